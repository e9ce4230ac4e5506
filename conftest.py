"""Runs every chapter of the book's table of contents as a notebook, cell by cell, with nbval.

The chapters are MyST markdown; jupytext turns each into a notebook beside it (ignored by git),
so that the kernel starts in the book folder and `data/...` paths resolve as for a student.
"""

from pathlib import Path

import jupytext
import pytest
import yaml
from nbval.plugin import IPyNbFile

BOOK = Path(__file__).parent / "deep-learning-intro-for-hep"
collect_ignore_glob = ["deep-learning-intro-for-hep/*.ipynb"]


def toc_chapters() -> list[str]:
    """File stems of every chapter in _toc.yml, the root page first."""
    toc = yaml.safe_load((BOOK / "_toc.yml").read_text())
    return [toc["root"], *(entry["file"] for entry in toc.get("chapters", []))]


def pytest_collect_file(file_path: Path, parent):
    if file_path.parent == BOOK and file_path.suffix == ".md" and file_path.stem in toc_chapters():
        notebook_path = file_path.with_suffix(".ipynb")
        jupytext.write(jupytext.read(file_path), notebook_path)
        return IPyNbFile.from_parent(parent, path=notebook_path)
    return None


def pytest_collection_modifyitems(items):
    for item in items:
        if isinstance(item.parent, IPyNbFile):
            item.add_marker(pytest.mark.notebook)
