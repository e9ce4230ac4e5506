"""The book in JupyterLab, as a student meets it: `make lab`, then a chapter opened and run.

`make lab` is started on 127.0.0.1 with a random token and no browser of its own (as root, it
must say that it adds --allow-root); headless Chromium opens the intro chapter's .md file from
JupyterLab's file browser, as a student would, checks that it opens as a notebook (jupytext's
default viewer, which `make lab` sets) not marked as changed, with its links to chapters
showing their titles, runs its cells, reads the output of the setup check, and finds the
numbers of its text filled in ({eval}, which jupyterlab-myst evaluates in the kernel). A
chapter with exercises must show them as exercises, not as MyST source: the jupyterlab-myst
extension renders MyST's directives in JupyterLab. A solution with code cells
(tests/fixtures/hidden-solution.md) must stay hidden. The server is stopped at the end,
whatever happens.
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import jupytext
import pytest

from booktools.book import BOOK, toc_chapters

# playwright comes with the authors' install (pyproject.toml's `authors` extra). Without it
# the browser tests need the `browser` fixture, which then skips, or fails where CI is set
# (tests/conftest.py): this module must still import, so that its tests get that far.
try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:
    PlaywrightTimeout = TimeoutError

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
LOG = BOOK / "_build" / "jupyterlab-test.log"
SCREENSHOT = BOOK / "_build" / "jupyterlab-test.png"
# a page for JupyterLab only, put where the book's build does not look
FIXTURE = Path(__file__).parent / "fixtures" / "hidden-solution.md"
FIXTURE_IN_LAB = "_build/jupyterlab-test/hidden-solution.md"
AS_ROOT = "make lab: running as root: JupyterLab is started with --allow-root"
DOC_ROLE = re.compile(r"\{doc\}`(?:(?P<title>[^`<]*?)\s*<)?(?P<stem>[^`<>]+)>?`")
EVAL_ROLE = re.compile(r"(\S*)\s*\{eval\}`([^`]+)`\s*(\S*)")
START_TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(
                f"`make lab` exited with {server.returncode}; its log: {LOG}",
                pytrace=False,
            )
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(
        f"JupyterLab did not answer at {url} within {START_TIMEOUT_S} s; its log: {LOG}",
        pytrace=False,
    )


def wait_for_connected_kernel(base: str, token: str) -> None:
    """Until the notebook's kernel is idle and the page holds a connection to it: a cell run
    before then is dropped by JupyterLab."""
    deadline = time.monotonic() + START_TIMEOUT_S
    kernels = []
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(
                f"{base}/api/kernels?token={token}", timeout=5
            ) as answer:
                kernels = json.load(answer)
        except urllib.error.HTTPError as error:
            # the server can answer 500 while a kernel it lists is still starting
            if error.code < 500:
                raise
            kernels = [f"HTTP {error.code}"]
        if any(
            isinstance(k, dict)
            and k["execution_state"] == "idle"
            and k["connections"] > 0
            for k in kernels
        ):
            return
        time.sleep(0.5)
    pytest.fail(
        f"no kernel was ready and connected after {START_TIMEOUT_S} s: {kernels}; log: {LOG}",
        pytrace=False,
    )


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """The base URL and token of a JupyterLab started with `make lab`."""
    port, token = free_port(), secrets.token_hex(16)
    scratch = tmp_path_factory.mktemp("jupyterlab")
    arguments = (
        f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} --IdentityProvider.token={token} "
        # the checkpoints JupyterLab keeps of opened files go to scratch, not into the book folder
        f"--FileCheckpoints.checkpoint_dir={scratch / 'checkpoints'}"
    )
    # as root (as in this project's CI), `make lab` itself adds --allow-root
    # workspaces (layouts JupyterLab saves) go to a temporary folder, not the user's ~/.jupyter
    environment = os.environ | {
        "JUPYTERLAB_WORKSPACES_DIR": str(scratch / "workspaces")
    }
    LOG.parent.mkdir(parents=True, exist_ok=True)
    with LOG.open("w") as log:
        server = subprocess.Popen(
            ["make", "--no-print-directory", "lab", f"LAB_ARGS={arguments}"],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environment,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/api/status?token={token}", server)
        yield base, token
    finally:
        os.killpg(
            server.pid, signal.SIGTERM
        )  # make and JupyterLab, which shuts its kernels down
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def open_chapter(page, base: str, token: str, stem: str):
    """Double-click the chapter's .md file in JupyterLab's file browser; its notebook panel."""
    page.goto(
        f"{base}/lab?token={token}", wait_until="domcontentloaded", timeout=60_000
    )
    page.locator(f'.jp-DirListing-item[title^="Name: {stem}.md"]').dblclick(
        timeout=60_000
    )
    return notebook_panel(page, f"{stem}.md")


def notebook_panel(page, name: str):
    """The notebook panel that JupyterLab shows, once it shows cells."""
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    try:
        notebook.locator(".jp-Cell").first.wait_for(timeout=30_000)
    except PlaywrightTimeout:
        pytest.fail(
            f"{name} did not open as a notebook (JupyterLab's default viewer for Markdown "
            "should be jupytext's 'Jupytext Notebook', which `make lab` sets)",
            pytrace=False,
        )
    return notebook


def shown_text(notebook, index: int) -> str:
    """What a cell shows (JupyterLab renders a cell once it is in view)."""
    cell = notebook.locator(".jp-Cell").nth(index)
    cell.scroll_into_view_if_needed(timeout=30_000)
    return cell.inner_text()


def marked_as_changed(page) -> bool:
    """Whether the notebook's tab says it has unsaved changes (closing it would ask)."""
    return page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty").count() > 0


def test_make_lab_says_that_it_adds_allow_root_as_root(lab):
    said = AS_ROOT in LOG.read_text()
    assert said == (os.geteuid() == 0), (
        f"`make lab` as {'root' if os.geteuid() == 0 else 'a user'} "
        f"{'did not say' if not said else 'said'} {AS_ROOT!r}; its log: {LOG}"
    )


def test_a_student_opens_the_intro_as_a_notebook_and_runs_it(lab, browser):
    base, token = lab
    first = toc_chapters()[0]
    cells = jupytext.read(BOOK / f"{first}.md").cells
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        notebook = open_chapter(page, base, token, first)
        wait_for_connected_kernel(base, token)
        page.wait_for_timeout(2_000)  # for what the kernel reports to reach the page
        changed_on_opening = marked_as_changed(page)
        # {doc}: the chapter's title, as on the website, not its file name
        links = {
            index: DOC_ROLE.findall(cell.source)
            for index, cell in enumerate(cells)
            if cell.cell_type == "markdown" and "{doc}" in cell.source
        }
        bare_links = [
            (stem, shown)
            for index, roles in links.items()
            for title, stem in roles
            if not title or title not in (shown := shown_text(notebook, index))
        ]
        # run the cells one by one from the top, as a student does with Shift+Enter
        notebook.locator(".jp-Cell .jp-InputPrompt").first.click()
        for _ in range(len(cells)):
            page.keyboard.press("Shift+Enter")
        # the setup check prints one line per package, fastjet last, or an error that names the fix
        page.wait_for_function(
            """() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output')]
                 .some(out => /fastjet\\s+\\d/.test(out.textContent) || /error|stderr/.test(
                      out.querySelector('[data-mime-type]')?.dataset.mimeType || ''))""",
            timeout=90_000,
        )
        text = "\n".join(notebook.locator(".jp-OutputArea-output").all_inner_texts())
        numbers = filled_numbers(page, notebook, cells)
    finally:
        page.screenshot(
            path=SCREENSHOT
        )  # what the student saw, for a person to look at
        context.close()
    assert "torch" in text and "fastjet" in text, (
        f"the setup check in {first}.md printed:\n{text}"
    )
    assert not changed_on_opening, (
        f"{first}.md opened already marked as changed: closing it would ask to save"
    )
    assert links and not bare_links, (
        f"{first}.md in JupyterLab shows links to chapters without their titles "
        f"(write {{doc}}`Title <stem>`): {bare_links}"
    )
    assert numbers and all(number for _, number in numbers), (
        f"{first}.md in JupyterLab, run, does not fill in the numbers of its text: {numbers}"
    )


def filled_numbers(page, notebook, cells) -> list[tuple[str, str | None]]:
    """Each {eval} expression of the run chapter's text, with the number that JupyterLab
    shows in its place (between the same words as in the source), or None."""
    found = []
    for index, cell in enumerate(cells):
        if cell.cell_type != "markdown" or "{eval}" not in cell.source:
            continue
        notebook.locator(".jp-Cell").nth(index).scroll_into_view_if_needed()
        for before, expression, after in EVAL_ROLE.findall(cell.source):
            number = re.compile(
                rf"{re.escape(before)}\s*([-+]?\d[\d,.]*%?)\s*{re.escape(after)}"
            )
            try:  # jupyterlab-myst asks the kernel once the text cell has run
                page.wait_for_function(
                    """([index, pattern]) => new RegExp(pattern).test(document.querySelectorAll(
                        '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')[index].innerText)""",
                    arg=[index, number.pattern],
                    timeout=30_000,
                )
            except PlaywrightTimeout:
                found.append((expression, None))
                continue
            found.append((expression, number.search(shown_text(notebook, index))[1]))
    return found


def test_exercises_show_as_exercises_in_jupyterlab(lab, browser):
    base, token = lab
    stem = next(
        stem
        for stem in toc_chapters()
        if "{exercise}" in (BOOK / f"{stem}.md").read_text()
    )
    cells = jupytext.read(BOOK / f"{stem}.md").cells
    index = next(k for k, cell in enumerate(cells) if "{exercise}" in cell.source)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        notebook = open_chapter(page, base, token, stem)
        cell = notebook.locator(".jp-Cell").nth(index)
        cell.scroll_into_view_if_needed(timeout=30_000)
        try:  # JupyterLab renders a Markdown cell once it is in view
            cell.get_by_text("Exercise 1").first.wait_for(timeout=30_000)
        except PlaywrightTimeout:
            pytest.fail(
                f"cell {index} of {stem}.md shows no 'Exercise 1' in JupyterLab: is jupyterlab-myst "
                f"installed? It shows:\n{cell.inner_text()}",
                pytrace=False,
            )
        shown = cell.inner_text()
    finally:
        context.close()
    raw = [
        marker
        for marker in ("{exercise}", "{solution}", "{admonition}", "{doc}", ":label:")
        if marker in shown
    ]
    assert not raw, (
        f"{stem}.md in JupyterLab shows MyST source {raw} instead of rendering it:\n{shown}"
    )


def test_a_solution_with_code_stays_hidden_until_opened(lab, browser):
    """A solution with code cells is written between `solution-start` and `solution-end`;
    jupyterlab-myst shows a box with the directive's own text only, so its cells carry JupyterLab's own
    `jupyter: {source_hidden: true}` metadata (outputs_hidden too, for code). JupyterLab
    then shows the first line of each, folded, and the rest only when the student opens it."""
    base, token = lab
    copy = BOOK / FIXTURE_IN_LAB
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(FIXTURE, copy)
    # what follows the first line of each hidden cell
    hidden = [
        line
        for cell in jupytext.read(FIXTURE).cells
        if cell.metadata.get("jupyter", {}).get("source_hidden")
        for line in cell.source.splitlines()[1:]
        if line.strip()
    ]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(
            f"{base}/lab/tree/{FIXTURE_IN_LAB}?token={token}",
            wait_until="domcontentloaded",
            timeout=60_000,
        )
        notebook = notebook_panel(page, FIXTURE_IN_LAB)
        notebook.locator("p", has_text="After the solution.").wait_for(timeout=30_000)
        shown = notebook.inner_text()
        # the solution's own box, a dropdown, opened as a student would
        box = notebook.locator("details", has_text="Solution to Exercise 1").first
        box.locator("summary").first.click()
        opened = box.inner_text()
    finally:
        context.close()
    assert "Exercise 1" in shown, f"{FIXTURE.name} shows no exercise:\n{shown}"
    # it says something (tests/test_book_structure.py), and nothing of the hidden cells
    assert "One way to do it" in opened, (
        f"the solution's box opens on nothing: {opened!r}"
    )
    visible = [line for line in hidden if line.strip() in shown]
    assert hidden and not visible, (
        f"{FIXTURE.name} in JupyterLab shows cells of its solution: {visible}"
    )
