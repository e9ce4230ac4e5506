"""The book in JupyterLab, as a student meets it: `make lab`, then a chapter opened and run.

`make lab` is started on 127.0.0.1 with a random token and no browser of its own; headless
Chromium opens the intro chapter's .md file from JupyterLab's file browser, as a student would,
checks that it opens as a notebook (jupytext's default viewer, which `make lab` sets), runs its
cells and reads the output of the setup check. A chapter with exercises must show them as
exercises, not as MyST source: the jupyterlab-myst extension renders MyST's directives in
JupyterLab. The server is stopped at the end, whatever happens.
"""

import json
import os
import secrets
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

# playwright comes with requirements.txt; without it, skip (the website tests then fail under CI)
PlaywrightTimeout = pytest.importorskip("playwright.sync_api").TimeoutError

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
LOG = BOOK / "_build" / "jupyterlab-test.log"
SCREENSHOT = BOOK / "_build" / "jupyterlab-test.png"
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
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    try:
        notebook.locator(".jp-Cell").first.wait_for(timeout=30_000)
    except PlaywrightTimeout:
        pytest.fail(
            f"{stem}.md did not open as a notebook (JupyterLab's default viewer for Markdown "
            "should be jupytext's 'Jupytext Notebook', which `make lab` sets)",
            pytrace=False,
        )
    return notebook


def test_a_student_opens_the_intro_as_a_notebook_and_runs_it(lab, browser):
    base, token = lab
    first = toc_chapters()[0]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        notebook = open_chapter(page, base, token, first)
        wait_for_connected_kernel(base, token)
        # run the cells one by one from the top, as a student does with Shift+Enter
        notebook.locator(".jp-Cell .jp-InputPrompt").first.click()
        for _ in range(notebook.locator(".jp-Cell").count()):
            page.keyboard.press("Shift+Enter")
        # the setup check prints one line per package, fastjet last, or an error that names the fix
        page.wait_for_function(
            """() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output')]
                 .some(out => /fastjet\\s+\\d/.test(out.textContent) || /error|stderr/.test(
                      out.querySelector('[data-mime-type]')?.dataset.mimeType || ''))""",
            timeout=90_000,
        )
        text = "\n".join(notebook.locator(".jp-OutputArea-output").all_inner_texts())
    finally:
        page.screenshot(
            path=SCREENSHOT
        )  # what the student saw, for a person to look at
        context.close()
    assert "torch" in text and "fastjet" in text, (
        f"the setup check in {first}.md printed:\n{text}"
    )


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
