"""A chapter's code cells tagged `shared-with-benchmark`, run outside the book.

The benchmarks and some tests use the chapters' own imports, inputs, models and recipes instead
of copies of them: `chapter_namespace` runs the tagged cells and returns what they defined.
"""

from pathlib import Path

import jupytext

TAG = "shared-with-benchmark"


def chapter_namespace(chapter: Path) -> dict:
    """Run a chapter's tagged cells (imports, inputs, models, recipes) in a fresh namespace."""
    namespace: dict = {}
    cells = [
        c for c in jupytext.read(chapter).cells if TAG in c.metadata.get("tags", [])
    ]
    if not cells:
        raise RuntimeError(f"no code cell of {chapter.name} is tagged {TAG!r}")
    for cell in cells:
        exec(compile(cell.source, f"{chapter.name}[{TAG}]", "exec"), namespace)
    return namespace
