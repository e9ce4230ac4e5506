"""A chapter's code cells tagged `shared-with-benchmark`, run outside it.

Later chapters, the benchmarks and some tests use a chapter's own imports, inputs, models and
recipes instead of copies of them: `chapter_namespace` runs the tagged cells and returns what
they defined.
"""

from pathlib import Path

import jupytext

from jetimages.layout import BOOK

TAG = "shared-with-benchmark"


def tagged_cells(chapter: str | Path) -> list[str]:
    """The sources of a chapter's code cells tagged `shared-with-benchmark`, in order
    (chapter: its path, or its file name in the book's folder)."""
    return [
        cell.source
        for cell in jupytext.read(BOOK / chapter).cells
        if TAG in cell.metadata.get("tags", [])
    ]


def chapter_namespace(chapter: str | Path) -> dict:
    """Run a chapter's tagged cells (imports, inputs, models, recipes) in a fresh
    namespace (chapter: its path, or its file name in the book's folder)."""
    chapter = BOOK / chapter
    namespace: dict = {}
    sources = tagged_cells(chapter)
    if not sources:
        raise RuntimeError(f"no code cell of {chapter.name} is tagged {TAG!r}")
    for source in sources:
        exec(compile(source, f"{chapter.name}[{TAG}]", "exec"), namespace)
    return namespace
