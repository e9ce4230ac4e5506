"""What the benchmarks share: running a chapter's tagged cells, and one row of test scores.

The benchmarks measure what the chapters teach: they execute the chapters' code cells tagged
`shared-with-benchmark` rather than copies of them.
"""

from pathlib import Path

import jupytext
import numpy as np
from sklearn.metrics import log_loss

BOOK = Path(__file__).resolve().parent.parent / "deep-learning-intro-for-hep"
TAG = "shared-with-benchmark"


def chapter_namespace(chapter: Path) -> dict:
    """Run a chapter's tagged cells (imports, inputs, models, recipes) in a fresh namespace."""
    namespace: dict = {}
    cells = [c for c in jupytext.read(chapter).cells if TAG in c.metadata.get("tags", [])]
    if not cells:
        raise RuntimeError(f"no code cell of {chapter.name} is tagged {TAG!r}")
    for cell in cells:
        exec(compile(cell.source, f"{chapter.name}[{TAG}]", "exec"), namespace)
    return namespace


def score_row(book: dict, model, probabilities: np.ndarray, true: np.ndarray, seconds: float) -> dict:
    """Accuracy, cross-entropy, per-class and pair AUCs, training time and size of one model."""
    g, q, _, w, z = range(5)
    return {
        "accuracy": np.mean(probabilities.argmax(axis=1) == true),
        "cross-entropy": log_loss(true, probabilities, labels=range(5)),
        **{f"AUC {s}": a for s, a in zip("gqtwz", book["auc_per_class"](probabilities, true))},
        "W vs Z": book["pair_auc"](probabilities, true, w, z),
        "g vs q": book["pair_auc"](probabilities, true, g, q),
        "training (s)": seconds,
        "parameters": sum(p.numel() for p in model.parameters()),
    }
