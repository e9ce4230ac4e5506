"""The book's pytest plugin (loaded by the repository's conftest.py): the chapters as tests.

Every chapter of the table of contents runs as a notebook, cell by cell, under nbval. The
chapters are MyST markdown; nbval reads notebooks with nbformat, so it is handed jupytext's
reader. The kernel starts in the book folder, so `data/...` paths resolve as they do for a
student. A chapter that passes is kept in the book's cache of executed chapters
(booktools.execution), where the build takes its outputs from; a chapter whose code and inputs
are unchanged since it last ran without error is not run again, unless pytest is given
`--run-chapters`. One chapter: `pytest deep-learning-intro-for-hep/10-jets-and-images.md`.
Every figure a cell draws is checked as it is drawn (booktools.figure_layout): a cell whose
figure has text that runs together, or a legend over data, fails with what collides.

The browser tests' Chromium is set up in tests/conftest.py.
"""

import functools
import time
from pathlib import Path
from unittest import mock

import jupytext
import pytest
import yaml
from nbval import plugin as nbval_plugin

from . import execution
from .book import BOOK, toc_chapters
from .figure_layout import PROBLEM_MARK


def pytest_addoption(parser):
    parser.addoption(
        "--run-chapters",
        action="store_true",
        help="run every chapter under nbval, even one whose executed copy is up to date",
    )


# the chapters that passed from their executed copies in this session, named at its end
KEPT_CHAPTERS: list[str] = []


class ChapterUnchanged(pytest.Item):
    """Stands for the cells of a chapter that already ran without error with today's inputs:
    it checks the executed copy, runs nothing, and is named in the session's summary."""

    def __init__(self, *, record, **kwargs):
        super().__init__(**kwargs)
        self.record = record

    def runtest(self):
        # the copy must be the whole chapter, executed: every code cell has its execution count
        notebook = self.parent.cache.get_cache_bundle(self.record.pk).nb
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        unrun = [i for i in cells_to_run(notebook) if code[i].execution_count is None]
        errors = [i for i, cell in enumerate(code) if _has_error(cell)]
        assert not unrun and not errors, (
            f"the cached copy of {self.path.name} is incomplete (cells {unrun} not run, "
            f"{errors} with errors); run pytest with --run-chapters"
        )
        KEPT_CHAPTERS.append(self.path.name)

    def reportinfo(self):
        return (
            self.path,
            None,
            f"{self.path.name}: unchanged since it ran without error",
        )


def _has_error(cell) -> bool:
    return any(output.get("output_type") == "error" for output in cell.outputs)


SKIPPED_TAG = "nbval-skip"
"""A cell for the student to complete (a skeleton whose `...` they fill): nbval skips it, and
the build too, through its other tag, `skip-execution`; a chapter is whole without it."""


def cells_to_run(notebook) -> list[int]:
    """The numbers (among code cells) of the cells that a run of the chapter executes."""
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    return [
        i
        for i, cell in enumerate(code)
        if SKIPPED_TAG not in cell.metadata.get("tags", [])
    ]


@functools.cache
def executed_chapters():
    """The cache of executed chapters and the fingerprint of the chapters' inputs, both
    taken once per session (the cache is emptied if the inputs changed since it was)."""
    fingerprint = execution.inputs_fingerprint()
    return execution.open_cache(fingerprint=fingerprint), fingerprint


@functools.cache
def default_cell_timeout() -> int:
    """The build's limit for a cell, for chapters that do not set their own."""
    config = yaml.safe_load((BOOK / "_config.yml").read_text())
    return config["execute"]["timeout"]


class MystChapter(nbval_plugin.IPyNbFile):
    """nbval's notebook collector, reading a MyST-markdown chapter through jupytext."""

    def collect(self):
        self.cache, self.fingerprint = executed_chapters()
        notebook = jupytext.read(self.path)
        # the limit the build puts on each cell of this chapter, so that the tests do too
        self.cell_timeout = notebook.metadata.get("mystnb", {}).get(
            "execution_timeout", default_cell_timeout()
        )
        record = execution.executed_copy(self.cache, notebook, self.fingerprint)
        if record is not None and not self.config.getoption("--run-chapters"):
            self.unchanged = True
            yield ChapterUnchanged.from_parent(self, name="unchanged", record=record)
            return
        self.unchanged = False
        with mock.patch.object(
            nbval_plugin.nbformat, "read", lambda path, as_version: jupytext.read(path)
        ):
            yield from super().collect()

    def setup(self):
        self.passed_cells: set[int] = set()
        self.started = time.perf_counter()
        if not self.unchanged:  # no kernel for a chapter that is not run again
            super().setup()
            self._watch_figures()

    def _watch_figures(self):
        """Have the kernel check every figure a cell draws (booktools.figure_layout); silent,
        so the chapter's own cells and their numbering are unchanged."""
        code = "from booktools.figure_layout import watch\nwatch()"
        msg_id = self.kernel.kc.execute(code, silent=True, store_history=False)
        self.kernel.await_reply(msg_id, timeout=60)
        self.kernel.await_idle(msg_id, timeout=60)

    def cell_passed(self, item) -> None:
        item.cell.outputs = item.test_outputs
        item.cell.execution_count = item.cell_num + 1
        self.passed_cells.add(item.cell_num)

    def teardown(self):
        if not self.unchanged and self.kernel is not None and self.kernel.is_alive():
            # what myst-nb records after an execution of its own (code highlighting)
            reply = self.kernel.kc.kernel_info(reply=True, timeout=10)
            self.nb.metadata["language_info"] = reply["content"]["language_info"]
        super().teardown()
        if self.unchanged:
            return
        every_cell = set(cells_to_run(self.nb))
        # all ran and passed, in this session, with the inputs the session started with
        if (
            every_cell
            and self.passed_cells == every_cell
            and execution.inputs_fingerprint() == self.fingerprint
        ):
            seconds = time.perf_counter() - self.started
            execution.keep_executed(
                self.cache, self.nb, self.path, seconds, self.fingerprint
            )


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


def pytest_runtest_setup(item):
    if isinstance(item, nbval_plugin.IPyNbCell) and isinstance(
        item.parent, MystChapter
    ):
        item.config.option.nbval_cell_timeout = item.parent.cell_timeout


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if (
        call.when == "call"
        and report.passed
        and isinstance(item, nbval_plugin.IPyNbCell)
        and isinstance(item.parent, MystChapter)
    ):
        problems = figure_problems(item.test_outputs)
        if problems:
            report.outcome = "failed"
            report.longrepr = (
                f"cell {item.cell_num} of {item.path.name} draws a figure that a reader "
                "sees collide (booktools/figure_layout.py):\n" + "\n".join(problems)
            )
        else:
            item.parent.cell_passed(item)
    return report


def figure_problems(outputs) -> list[str]:
    """The figure-layout problems that a cell's kernel printed among its outputs."""
    return [
        line.removeprefix(PROBLEM_MARK).strip()
        for output in outputs
        if output.get("output_type") == "stream"
        for line in output.get("text", "").splitlines()
        if line.startswith(PROBLEM_MARK)
    ]


def pytest_terminal_summary(terminalreporter):
    if KEPT_CHAPTERS:
        terminalreporter.write_sep("-", "chapters not run in this session")
        terminalreporter.write_line(
            f"{len(KEPT_CHAPTERS)} passed on their executed copies, unchanged since they ran "
            f"without error with the same inputs (`--run-chapters` runs them): "
            + ", ".join(KEPT_CHAPTERS)
        )
