"""The book's table of contents, its chapter files, every file a chapter names, and every path
the README names agree."""

import re

import jupytext
import pytest

from booktools.book import BOOK, toc_chapters
from booktools.chapter_points import chapter_points
from booktools.eval_role import EvalError
from booktools.eval_role import parse as parse_eval
from booktools.myst_markdown import MystText

CHAPTERS = sorted(path.stem for path in BOOK.glob("*.md"))
# quoted paths like "data/jet-images.h5" in code, and ![alt](img/x.svg) or {image} img/x.svg in prose
LOCAL_PATH = re.compile(r"""(?:["'(\s]|^)((?:data|img)/[\w./-]+\.\w+)""", re.MULTILINE)


def test_every_toc_entry_exists():
    missing = [stem for stem in toc_chapters() if not (BOOK / f"{stem}.md").is_file()]
    assert not missing, f"_toc.yml lists chapters with no file: {missing}"


def test_every_chapter_is_in_the_toc():
    orphans = sorted(set(CHAPTERS) - set(toc_chapters()))
    assert not orphans, (
        f"chapters not in _toc.yml (the build would skip them): {orphans}"
    )


@pytest.mark.parametrize("stem", CHAPTERS)
def test_every_named_file_exists(stem):
    text = (BOOK / f"{stem}.md").read_text()
    missing = sorted({p for p in LOCAL_PATH.findall(text) if not (BOOK / p).exists()})
    assert not missing, f"{stem}.md names files that do not exist next to it: {missing}"


@pytest.mark.parametrize("stem", CHAPTERS)
def test_every_chapter_declares_its_timeout(stem):
    header = (BOOK / f"{stem}.md").read_text().split("---")[1]
    assert re.search(
        r"^mystnb:\s*\n\s+execution_timeout:\s*\d+", header, re.MULTILINE
    ), f"{stem}.md must set mystnb.execution_timeout in its header"


TEACHING = "90-teaching"
TIMES_ROW = re.compile(r"^\| \{doc\}`(?P<stem>[\w-]+)` \|", re.MULTILINE)


def test_the_teaching_page_times_every_chapter():
    text = (BOOK / f"{TEACHING}.md").read_text()
    timed = set(TIMES_ROW.findall(text))
    untimed = [
        stem for stem in toc_chapters() if stem != TEACHING and stem not in timed
    ]
    assert not untimed, (
        f"{TEACHING}.md has no row in its table of times for {untimed}: add one, with the "
        "chapter's reading time and its run time from benchmarks/chapters.py"
    )


TABLE_ROW = re.compile(
    r"^\| \{doc\}`(?P<stem>[\w-]+)` \| (?P<reading>[^|]+) \| (?P<running>[^|]+) \|"
    r"(?: [^|]+ \|)?$",  # then the peak memory
    re.MULTILINE,
)
UNITS = {"second": 1, "s": 1, "minute": 60, "hour": 3600}
DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(hours?|minutes?|seconds?|s)\b")


def seconds(text: str) -> tuple[float, float]:
    """The first duration in `text`, in seconds, and its unit's size in seconds."""
    match = DURATION.search(text)
    assert match, f"no duration in {text!r}"
    unit = UNITS[match[2].rstrip("s") or "s"]
    return float(match[1]) * unit, unit


def chapter_times(stem: str) -> tuple[str, str]:
    """The chapter's "Time to learn" and "Run time" lines, under its prerequisites."""
    text = (BOOK / f"{stem}.md").read_text()
    learn = re.search(r"^- \*\*Time to learn\*\*: (.+)$", text, re.MULTILINE)
    run = re.search(r"^- \*\*Run time\*\*: (.+)$", text, re.MULTILINE)
    assert learn and run, f"{stem}.md states no Time to learn or Run time"
    return learn[1], run[1]


def test_chapters_and_the_teaching_page_give_the_same_times():
    """The teaching page's table is where the times are kept; each chapter repeats its
    own row, rounded to the unit the chapter writes it in."""
    rows = TABLE_ROW.finditer((BOOK / f"{TEACHING}.md").read_text())
    disagree = []
    for row in rows:
        if row["stem"] == "00-intro":
            continue  # no prerequisites section: the table has our estimate
        learn, run = chapter_times(row["stem"])
        for name, page, table in [
            ("reading", learn, row["reading"]),
            ("running", run, row["running"]),
        ]:
            (said, unit), (kept, _) = seconds(page), seconds(table)
            if abs(said - kept) > unit / 2:
                disagree.append(f"{row['stem']} {name}: {page!r} against {table!r}")
    assert not disagree, "times that disagree with 90-teaching.md:\n" + "\n".join(
        disagree
    )


# the pages that are not chapters of the course: the intro (the root) and this teaching page
TAUGHT = [stem for stem in toc_chapters()[1:] if stem != TEACHING]


@pytest.mark.parametrize("stem", TAUGHT)
def test_every_chapter_has_objectives_and_key_points(stem):
    """An Overview list and a Summary list of at least two points each, which the teaching
    page shows (booktools.chapter_points raises, naming a section that is missing)."""
    objectives, key_points = chapter_points(BOOK / f"{stem}.md").split("**Key points**")
    for name, part in [("objectives", objectives), ("key points", key_points)]:
        points = re.findall(r"^(?:-|\d+\.) ", part, re.MULTILINE)
        assert len(points) >= 2, (
            f"{stem}.md shows {len(points)} {name}; write at least two"
        )


def test_the_teaching_page_shows_the_points_of_every_chapter():
    shown = re.findall(
        r"^```\{chapter-points\} ([\w-]+)$",
        (BOOK / f"{TEACHING}.md").read_text(),
        re.MULTILINE,
    )
    assert shown == TAUGHT, (
        f"{TEACHING}.md shows the objectives and key points of {shown}; it should show "
        f"those of {TAUGHT}, in the order of _toc.yml"
    )


PLAN_ROW = re.compile(r"^\| (\d):(\d\d) \| (\d):(\d\d) \|", re.MULTILINE)


def test_the_three_hour_plan_adds_up():
    """The workshop plan's slots follow each other without gap or overlap, from 0:00 to
    3:00."""
    slots = [
        (60 * int(h1) + int(m1), 60 * int(h2) + int(m2))
        for h1, m1, h2, m2 in PLAN_ROW.findall((BOOK / f"{TEACHING}.md").read_text())
    ]
    assert slots[0][0] == 0 and slots[-1][1] == 180, slots
    assert all(end == start for (_, end), (start, _) in zip(slots, slots[1:])), slots


ROOT = BOOK.parent
# paths that commands make, so a fresh clone lacks them; README says which command makes each
MADE_BY_COMMANDS = (
    ".venv/",
    "handout/",
    "screenshots/",
    "deep-learning-intro-for-hep/_build/",
    "benchmarks/.trained/",  # the benchmarks' cache of trained models
    "large-data/",  # make large-data: the learning curves' dataset, which git does not keep
)
README_PATH = re.compile(
    r"`([\w.-]+(?:/[\w.-]*)+)`"
)  # a backticked word with a slash in it


def readme_paths() -> list[str]:
    """Backticked paths in README.md, and every entry of its Layout block (nested ones joined to
    the folder above them)."""
    readme = (ROOT / "README.md").read_text()
    paths = README_PATH.findall(readme)
    layout = readme.split("## Layout", 1)[1].split("```")[1]
    folder = ""
    for line in layout.strip("\n").splitlines():
        entry = line.split()[0]
        if line.startswith(" "):
            paths.append(folder + entry)
        else:
            folder = entry if entry.endswith("/") else ""
            paths.append(entry)
    return paths


def test_every_path_the_readme_names_exists():
    missing = sorted(
        {
            path
            for path in readme_paths()
            if not path.startswith(MADE_BY_COMMANDS)
            and not (ROOT / path).exists()
            and not (BOOK / path).exists()
        }
    )
    assert not missing, (
        f"README.md names paths that exist neither in the repository nor in the book folder: {missing}"
    )


# a number glued by another page ("{glue:text}`page.md::name:.3f`"): the website shows it, but
# JupyterLab shows the markup, since only this page's own cells can fill in its numbers
CROSS_PAGE_GLUE = re.compile(r"\{glue(?::\w+)?\}`([^`]*::[^`]*)`")


@pytest.mark.parametrize("stem", CHAPTERS)
def test_no_chapter_quotes_a_number_of_another_page(stem):
    quoted = CROSS_PAGE_GLUE.findall((BOOK / f"{stem}.md").read_text())
    assert not quoted, (
        f"{stem}.md quotes numbers glued by another page, which JupyterLab cannot show: "
        f"{quoted}; compute them in this chapter (from the stored benchmark results, "
        "jetlearn.results.load_results) and use {eval}"
    )


@pytest.mark.parametrize("stem", CHAPTERS)
def test_every_eval_role_is_one_the_book_shows(stem):
    """{eval} shows a glued name or an f-string of one (booktools.eval_role); anything
    else would fail the build only after every chapter has run."""
    text = MystText((BOOK / f"{stem}.md").read_text())
    wrong = []

    def check(role):
        if role.meta["name"] == "eval":
            try:
                parse_eval(role.content)
            except EvalError as error:
                wrong.append(str(error))

    text.replace_roles(check)
    assert not wrong, f"{stem}.md: {wrong}"


MAIN_PROJECT = "20-main-project"
SKIPPED = {
    "skip-execution",
    "nbval-skip",
}  # the build's and the tests' names for a skip


@pytest.mark.parametrize("stem", CHAPTERS)
def test_build_and_tests_skip_the_same_cells(stem):
    """A cell left for the student (a skeleton) is skipped by the build and by nbval alike:
    a cell with one of the two tags has both."""
    notebook = jupytext.read(BOOK / f"{stem}.md")
    half = [
        cell.source.splitlines()[0]
        for cell in notebook.cells
        if len(SKIPPED & set(cell.metadata.get("tags", []))) == 1
    ]
    assert not half, f"{stem}.md: cells with only one of {sorted(SKIPPED)}: {half}"


def test_every_task_of_the_main_project_has_a_cell_to_work_in():
    cells = jupytext.read(BOOK / f"{MAIN_PROJECT}.md").cells
    tasks = [i for i, cell in enumerate(cells) if "{exercise}" in cell.source]
    assert len(tasks) == 7
    for i in tasks:
        after = cells[i + 1] if i + 1 < len(cells) else None
        assert (
            after is not None
            and after.cell_type == "code"
            and set(after.metadata.get("tags", [])) >= SKIPPED
        ), f"no cell to work in right after the task in cell {i} of {MAIN_PROJECT}.md"


# JupyterLab shows the first line of a collapsed cell: a solution's must give nothing away
HIDDEN_FIRST_LINE = {
    "markdown": "% a solution, hidden until you open this cell",  # a MyST comment
    "code": "# a solution, hidden until you open this cell",
}


@pytest.mark.parametrize("stem", CHAPTERS)
def test_a_hidden_solution_shows_nothing_of_itself_while_collapsed(stem):
    shown = [
        cell.source.splitlines()[0]
        for cell in jupytext.read(BOOK / f"{stem}.md").cells
        if cell.metadata.get("jupyter", {}).get("source_hidden")
        and cell.source.splitlines()[0] != HIDDEN_FIRST_LINE[cell.cell_type]
    ]
    assert not shown, (
        f"{stem}.md: hidden solution cells whose first line, which a collapsed cell shows, "
        f"is part of the answer (start them with {HIDDEN_FIRST_LINE}): {shown}"
    )


# a gated solution's opening directive, its options, and its own text up to its closing :::
SOLUTION_START = re.compile(
    r"^:::\{solution-start\}[^\n]*\n(?::\w+:[^\n]*\n)*(.*?)^:::$", re.S | re.M
)


@pytest.mark.parametrize("stem", CHAPTERS)
def test_every_gated_solution_opens_with_words_of_its_own(stem):
    """JupyterLab shows a `solution-start` directive as a box of its own, apart from the
    cells that follow it: without a line of text it is an empty box."""
    empty = [
        match.start()
        for match in SOLUTION_START.finditer((BOOK / f"{stem}.md").read_text())
        if not match.group(1).strip()
    ]
    assert not empty, (
        f"{stem}.md has solution-start directives with no text of their own (at characters "
        f"{empty}); write one line, e.g. 'One way to do it:'"
    )
