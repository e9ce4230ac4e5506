"""Every chapter's code is formatted as `make format` leaves it: ruff, line length 88.

The website shows about 88 characters of code per line (tests/test_website.py checks that no
box overflows). The first check pipes each chapter's code cells through ruff exactly as
`make format` does (jupytext's --pipe, ruff's settings from pyproject.toml), and fails with the
cells that would change. Ruff does not split long strings or comments, so the second check
fails on any code line longer than 88 characters.
"""

import copy
import difflib
import sys
from pathlib import Path

import jupytext
import pytest
from jupytext.cli import pipe_notebook

from conftest import BOOK, toc_chapters

RUFF = Path(sys.executable).parent / "ruff"
MAX_LINE = 88  # as line-length in pyproject.toml
FIX = "run `make format` (ruff through jupytext) and review the change"


def code_cells(notebook) -> list[str]:
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


@pytest.mark.parametrize("stem", toc_chapters())
def test_chapter_code_is_formatted(stem):
    assert RUFF.is_file(), f"no ruff next to {sys.executable}; `pip install -r requirements.txt`"
    notebook = jupytext.read(BOOK / f"{stem}.md")
    formatted = pipe_notebook(copy.deepcopy(notebook), f"{RUFF} format -", quiet=True)
    changes = [
        "\n".join(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm=""))
        for before, after in zip(code_cells(notebook), code_cells(formatted))
        if before != after
    ]
    assert not changes, (
        f"{stem}.md has {len(changes)} code cells that are not formatted; {FIX}:\n"
        + "\n\n".join(changes)
    )


@pytest.mark.parametrize("stem", toc_chapters())
def test_chapter_code_lines_fit_the_website(stem):
    notebook = jupytext.read(BOOK / f"{stem}.md")
    long = [line for cell in code_cells(notebook) for line in cell.splitlines() if len(line) > MAX_LINE]
    assert not long, (
        f"{stem}.md has {len(long)} code lines longer than {MAX_LINE} characters, which the "
        "website hides behind a scroll bar; split their strings or comments:\n" + "\n".join(long)
    )
