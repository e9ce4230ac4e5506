"""Every chapter's code is formatted as `make format` leaves it: ruff, line length 88.

The website shows about 88 characters of code per line (tests/website/test_code_cells.py checks that no
box overflows). The first check pipes each chapter's code cells through ruff exactly as
`make format` does (jupytext's --pipe, ruff's settings from pyproject.toml), and fails with the
cells that would change. Ruff does not split long strings or comments, so the second check
fails on any code line longer than 88 characters. Code shown inside an exercise or solution box
is indented by the box, so the page has room for fewer characters there: the third check holds
those lines to 80 (82 characters already overflowed by 6 px at 1280 px).
"""

import copy
import difflib
import inspect
import re
import sys
from pathlib import Path

import jupytext
import pytest
from jupytext.cli import pipe_notebook

import jetimages.nsubjettiness
import jetlearn.robustness
import jetlearn.training
from booktools.book import BOOK, toc_chapters

RUFF = Path(sys.executable).parent / "ruff"
MAX_LINE = 88  # as line-length in pyproject.toml
MAX_BOXED_LINE = 80  # code in a {exercise} or {solution} box
# an {exercise} or {solution} box, or a gated solution: all it holds is drawn in the box
BOXED_CODE = re.compile(
    r"^:::\{(?:exercise|solution)\}.*?^:::$"
    r"|^:::\{solution-start\}.*?^:::\{solution-end\}",
    re.S | re.M,
)
FENCED_CODE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
FIX = "run `make format` (ruff through jupytext) and review the change"


def code_cells(notebook) -> list[str]:
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


@pytest.mark.parametrize("stem", toc_chapters())
def test_chapter_code_is_formatted(stem):
    assert RUFF.is_file(), (
        f"no ruff next to {sys.executable}; `pip install -e '.[authors]' -c requirements.lock`"
    )
    notebook = jupytext.read(BOOK / f"{stem}.md")
    formatted = pipe_notebook(copy.deepcopy(notebook), f"{RUFF} format -", quiet=True)
    changes = [
        "\n".join(
            difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="")
        )
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
    long = [
        line
        for cell in code_cells(notebook)
        for line in cell.splitlines()
        if len(line) > MAX_LINE
    ]
    assert not long, (
        f"{stem}.md has {len(long)} code lines longer than {MAX_LINE} characters, which the "
        "website hides behind a scroll bar; split their strings or comments:\n"
        + "\n".join(long)
    )


@pytest.mark.parametrize("stem", toc_chapters())
def test_exercise_code_lines_fit_their_boxes(stem):
    text = (BOOK / f"{stem}.md").read_text()
    long = [
        line
        for box in BOXED_CODE.findall(text)
        for code in FENCED_CODE.findall(box)
        for line in code.splitlines()
        if len(line) > MAX_BOXED_LINE
    ]
    assert not long, (
        f"{stem}.md has {len(long)} lines of exercise or solution code longer than "
        f"{MAX_BOXED_LINE} characters, which overflow the box on the website; split them:\n"
        + "\n".join(long)
    )


SHOWN_SOURCE = re.compile(r"getsource\((\w+)\)")
# the package modules whose functions the chapters show
SHOWN_MODULES = (jetlearn.training, jetlearn.robustness, jetimages.nsubjettiness)


def shown_function(name):
    """The package function a chapter shows under this name."""
    found = [getattr(m, name) for m in SHOWN_MODULES if hasattr(m, name)]
    assert found, f"getsource({name}): not a function of {SHOWN_MODULES}"
    return found[0]


@pytest.mark.parametrize("stem", toc_chapters())
def test_package_code_that_a_chapter_shows_fits_the_website(stem):
    """A chapter shows the package's functions with inspect.getsource: their lines, comments
    and docstrings included, must fit the page as a chapter's own code does."""
    names = SHOWN_SOURCE.findall((BOOK / f"{stem}.md").read_text())
    long_lines = [
        f"{name}: {line}"
        for name in names
        for line in inspect.getsource(shown_function(name)).splitlines()
        if len(line) > MAX_LINE
    ]
    assert not long_lines, (
        f"{stem}.md shows package code with lines longer than {MAX_LINE} characters, "
        "which wrap to the left edge of the page: " + "\n".join(long_lines)
    )
