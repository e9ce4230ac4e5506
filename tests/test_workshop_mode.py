"""Workshop mode, the teaching page's fallback for slow laptops: a chapter that trains
networks runs from top to bottom with JETLEARN_WORKSHOP=1, its own checks included, and
says that it trains less. The book's stored trainings are switched off, as for a student
who changed a model: the chapter trains its networks itself.

The chapter runs in a fresh kernel with nbclient, as a student's would, and is not kept in
the book's cache of executed chapters (booktools.execution): its outputs are not the
book's.
"""

import jupytext
import pytest
from nbclient import NotebookClient

from booktools.book import BOOK
from jetimages.layout import WORKSHOP_VARIABLE
from jetlearn.kept import USE_STORED_VARIABLE

# the shortest chapter that trains with jetlearn.training.train (21 writes its own loop)
CHAPTER = "30-convolutional-neural-networks"


@pytest.mark.notebook
def test_a_chapter_runs_top_to_bottom_in_workshop_mode(monkeypatch):
    monkeypatch.setenv(WORKSHOP_VARIABLE, "1")  # the kernel inherits both
    monkeypatch.setenv(USE_STORED_VARIABLE, "0")
    notebook = jupytext.read(BOOK / f"{CHAPTER}.md")
    NotebookClient(
        notebook,
        timeout=notebook.metadata["mystnb"]["execution_timeout"],
        kernel_name="python3",
        resources={"metadata": {"path": str(BOOK)}},
    ).execute()  # raises on the first cell that fails, with its traceback
    printed = "".join(
        output.get("text", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )
    assert "workshop mode: " in printed, "no training said it was shortened"
    # the chapter reports the epochs it ran, not those of the full recipe (10)
    assert "10 epochs, " not in printed, "the chapter claims the full recipe"
