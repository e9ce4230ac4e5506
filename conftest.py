"""Runs every chapter of the book's table of contents as a notebook, cell by cell, with nbval.

The chapters are MyST markdown; nbval reads notebooks with nbformat, so for chapters it is handed
jupytext's reader instead. The kernel starts in the book folder, so `data/...` paths resolve as
they do for a student. Run one chapter with `pytest deep-learning-intro-for-hep/10-jets-and-images.md`.
"""

from pathlib import Path
from unittest import mock

import jupytext
import pytest
from nbval import plugin as nbval_plugin

from jetimages import handout

BOOK = Path(__file__).parent / "deep-learning-intro-for-hep"
collect_ignore_glob = ["deep-learning-intro-for-hep/*.ipynb"]


def toc_chapters() -> list[str]:
    """File stems of every chapter in _toc.yml, the root page first."""
    return handout.toc_chapters(BOOK)


class MystChapter(nbval_plugin.IPyNbFile):
    """nbval's notebook collector, reading a MyST-markdown chapter through jupytext."""

    def collect(self):
        with mock.patch.object(nbval_plugin.nbformat, "read", lambda path, as_version: jupytext.read(path)):
            yield from super().collect()


def pytest_collect_file(file_path: Path, parent):
    if file_path.parent == BOOK and file_path.suffix == ".md" and file_path.stem in toc_chapters():
        return MystChapter.from_parent(parent, path=file_path)
    return None


def pytest_collection_modifyitems(items):
    for item in items:
        if isinstance(item.parent, MystChapter):
            item.add_marker(pytest.mark.notebook)
