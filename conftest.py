"""Runs every chapter of the book's table of contents as a notebook, cell by cell, with nbval;
and gives the browser tests their headless Chromium (the `browser` fixture).

The chapters are MyST markdown; nbval reads notebooks with nbformat, so for chapters it is handed
jupytext's reader instead. The kernel starts in the book folder, so `data/...` paths resolve as
they do for a student. Run one chapter with `pytest deep-learning-intro-for-hep/10-jets-and-images.md`.
"""

import os
import shutil
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
        with mock.patch.object(
            nbval_plugin.nbformat, "read", lambda path, as_version: jupytext.read(path)
        ):
            yield from super().collect()


def pytest_collect_file(file_path: Path, parent):
    if (
        file_path.parent == BOOK
        and file_path.suffix == ".md"
        and file_path.stem in toc_chapters()
    ):
        return MystChapter.from_parent(parent, path=file_path)
    return None


def pytest_collection_modifyitems(items):
    for item in items:
        if isinstance(item.parent, MystChapter):
            item.add_marker(pytest.mark.notebook)


# ------------------------------------------------------------------------------------------------
# headless Chromium, for the website tests (tests/test_website.py) and the JupyterLab test

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_CHROMIUM = (
    "install Chromium: `sudo apt-get install chromium` (Debian, Ubuntu) "
    "or `python -m playwright install chromium` (any system)"
)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def find_chromium() -> str | None:
    candidates = [os.environ.get("CHROMIUM"), "/usr/bin/chromium"]
    candidates += [
        shutil.which(name)
        for name in (
            "chromium",
            "chromium-browser",
            "google-chrome",
            "google-chrome-stable",
        )
    ]
    return next(
        (c for c in candidates if c and Path(c).is_file() and os.access(c, os.X_OK)),
        None,
    )


def no_browser(reason: str):
    message = f"no Chromium for the browser tests ({reason}); {INSTALL_CHROMIUM}"
    if in_ci():
        pytest.fail(
            message + " [CI is set, so this is a failure, not a skip]", pytrace=False
        )
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium, started once per test session (skipped, or failed under CI, without one)."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        no_browser(
            "the Python package playwright is not installed; `pip install -r requirements.txt`"
        )
    executable = find_chromium()
    with sync_playwright() as playwright:
        try:
            if executable:
                chromium = playwright.chromium.launch(
                    executable_path=executable, args=CHROMIUM_FLAGS
                )
            else:  # Playwright's own download, if the reader made one
                chromium = playwright.chromium.launch(args=CHROMIUM_FLAGS)
        except Error as error:
            no_browser(
                f"{executable or 'Playwright chromium'} did not start: {str(error).splitlines()[0]}"
            )
        yield chromium
        chromium.close()
