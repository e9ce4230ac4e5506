"""Where this repository keeps the book, its data and the stored benchmark results.

The one place that says so: the data tool (`jetimages`), the chapters' toolkit (`jetlearn`), the
book's machinery (`booktools`), the benchmarks and the tests all import these paths. It imports
nothing heavy, so the book's machinery can read it without PyTorch.
"""

from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
"""The top folder of the checkout (the packages are installed from it in editable mode)."""
BOOK = REPOSITORY / "deep-learning-intro-for-hep"
"""The book's folder: its chapters (*.md), _toc.yml and _config.yml."""
DATA = BOOK / "data"
"""The committed dataset files, which the chapters read as data/... from the book's folder."""
RESULTS = REPOSITORY / "benchmarks" / "results"
"""The benchmarks' stored results, which the chapters read."""
WORKSHOP_VARIABLE = "JETLEARN_WORKSHOP"
"""The environment variable that switches on workshop mode (jetlearn.training)."""
