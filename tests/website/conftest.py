"""The built website, as a reader sees it: the fixtures of the website tests (tests/website/).

Two builds of the book:
- `website`: the build that `make book` makes, with the same command (`jupyter-book build --all
  -n -W --keep-going`): every page is read again, so every warning is seen again, but a chapter
  is executed only if the book's cache of executed chapters (`_build/.jupyter_cache`,
  booktools/execution.py) does not hold it executed with today's code and inputs. Under
  `make test` the chapters have run under nbval just before, so the build only renders, and
  `pytest tests/website` alone still works.
- `prose_website`: the book built with no chapter executed (code cells without outputs), into a
  temporary folder, warnings as errors as in `make book` (except those about `{glue}` values,
  which only an executed chapter has); it takes about 10 s. The link check reads it under
  `make test-fast`, which must not execute chapters; a session that checks the executed build's
  links (`make test`) does not make it.

The browser tests (marker `browser`) open every page of the table of contents once in headless
Chromium (`visit`), from a server on 127.0.0.1; `probe.js` reads what the page shows. The site
serves its own MathJax (booktools/mathjax.py): every request the page makes is recorded (the
fonts and extensions that MathJax fetches while it typesets included), and every request to
another host, a CDN included, is blocked and reported, and fails the page's test. A full-page screenshot of each
page is saved under screenshots/ (ignored by git) for a person to look at.

Chromium comes from pytest-playwright's `browser` fixture, configured in tests/conftest.py.
"""

import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from booktools.book import BOOK as THE_BOOK
from booktools.book import toc_chapters

ROOT = Path(__file__).resolve().parents[2]
# BOOK_DIR: check another copy of the book (for example a trimmed one while chapters are being written)
BOOK = Path(os.environ.get("BOOK_DIR", THE_BOOK)).resolve()
HTML = BOOK / "_build" / "html"
EXECUTED = BOOK / "_build" / "jupyter_execute"
BUILD_LOG = BOOK / "_build" / "website-test-build.log"
SCREENSHOTS = ROOT / "screenshots"
PROBE = Path(__file__).with_name("probe.js")
# warnings that only a build without executed chapters gives: a {glue} value, in its own chapter
# or referred to from another one, comes from running the chapter
WITHOUT_EXECUTION_SUPPRESSED = ["mystnb.glue", "mystnb.glue_ref"]


def chapter_stems() -> list[str]:
    """File stems of every chapter in the book's _toc.yml, the root page first."""
    return toc_chapters(BOOK)


@pytest.hookimpl(trylast=True)  # after -m and -k have chosen
def pytest_collection_modifyitems(config, items):
    """When a session checks the links of the executed build, it does not build the book a
    second time without execution for the same checks: that build's pages are the executed
    build's without the code outputs, so its links are among those checked."""
    link_checks = [item for item in items if item.path.name == "test_links.py"]
    if any(item.nodeid.endswith("[executed]") for item in link_checks):
        dropped = [
            item for item in link_checks if item.nodeid.endswith("[without-execution]")
        ]
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]


def pytest_generate_tests(metafunc):
    """A test that takes `stem` runs once for every chapter, in the order of the book."""
    if "stem" in metafunc.fixturenames:
        metafunc.parametrize("stem", chapter_stems())


@pytest.fixture(scope="session")
def chapters() -> list[str]:
    """File stems of every chapter in the book's _toc.yml, the root page first."""
    return chapter_stems()


# ------------------------------------------------------------------------------------------------
# the builds


def build_problems(log: str, most: int = 40) -> str:
    """The warning and error lines of a build log (without colour codes), or its end if it has none."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in log.splitlines()]
    problems = [
        line
        for line in lines
        if re.search(r"WARNING|ERROR|\w+Error\b|\w+Exception\b", line)
        and "IPKernelApp" not in line
        and not line.lstrip().startswith(("raise ", "File "))
    ]
    return "\n".join((problems or lines)[-most:])


def build(options: list[str], log_file: Path, html: Path) -> Path:
    """Run `jupyter-book build BOOK -n -W --keep-going` with more options; fail with the build's
    problems if it fails or makes no page for a chapter."""
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    command = [
        str(jupyter_book if jupyter_book.exists() else "jupyter-book"),
        "build",
        str(BOOK),
        *options,
        "-n",
        "-W",
        "--keep-going",
    ]
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("w") as log:
        result = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    if result.returncode != 0:
        pytest.fail(
            f"the book does not build ({' '.join(command)} exited {result.returncode}); "
            f"the full log is {log_file}, its problems:\n{build_problems(log_file.read_text())}",
            pytrace=False,
        )
    missing = [
        stem for stem in chapter_stems() if not (html / f"{stem}.html").is_file()
    ]
    assert not missing, f"the build made no page for {missing}; see {log_file}"
    return html


@pytest.fixture(scope="session")
def website() -> Path:
    """The built HTML folder, made by the build command of `make book`."""
    return build(["--all"], BUILD_LOG, HTML)


@pytest.fixture(scope="session")
def executed_notebooks(website) -> Path:
    """The chapters as the build executed them (or took them from the cache), as notebooks."""
    return EXECUTED


@pytest.fixture(scope="session")
def prose_website(tmp_path_factory) -> Path:
    """The book built without executing any chapter, in a temporary folder: its HTML folder."""
    folder = tmp_path_factory.mktemp("website-without-execution")
    config = yaml.safe_load((BOOK / "_config.yml").read_text())
    config.setdefault("execute", {})["execute_notebooks"] = "off"
    sphinx = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx["suppress_warnings"] = [
        *sphinx.get("suppress_warnings", []),
        *WITHOUT_EXECUTION_SUPPRESSED,
    ]
    (folder / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    options = ["--path-output", str(folder), "--config", str(folder / "_config.yml")]
    return build(options, folder / "build.log", folder / "_build" / "html")


# ------------------------------------------------------------------------------------------------
# the browser


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="session")
def server(website):
    """The built website on http://127.0.0.1 at an ephemeral port, served from a thread."""
    httpd = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(QuietHandler, directory=str(website))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@dataclass
class Visit:
    """What the browser saw on one page."""

    stem: str
    url: str
    screenshot: Path
    images: list[dict] = field(default_factory=list)
    math_elements: int = 0
    math_untypeset: list[str] = field(default_factory=list)
    math_errors: list[str] = field(default_factory=list)
    mathjax_loaded: bool = False
    download_button: dict = field(default_factory=dict)
    page_errors: list[str] = field(default_factory=list)
    overwide: list[dict] = field(default_factory=list)
    wrapped: list[dict] = field(default_factory=list)
    column: float = 0.0  # the width of the page's text column, in CSS px
    figures: list[dict] = field(default_factory=list)
    tables: list[dict] = field(default_factory=list)
    prose: str = ""  # the page's text and tables, without code, printed output or math
    # each cell's printed output: its boxes in the page's order
    outputs: list[list[dict]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def visit(browser, server, request):
    """visit(stem, width=1280): open the chapter's page once at that window width (CSS px; 390
    is a phone), take its screenshot, and return what was seen."""
    probe = PROBE.read_text()
    SCREENSHOTS.mkdir(exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):  # the folder shows this run only
        old.unlink()
    seen: dict[str, Visit] = {}

    def route(visit_record, route):
        url = route.request.url
        visit_record.requests.append(url)
        if url.startswith(server + "/"):
            return route.continue_()
        visit_record.blocked_requests.append(url)
        return route.abort()

    def open_page(stem: str, width: int = 1280) -> Visit:
        if (stem, width) in seen:
            return seen[stem, width]
        suffix = "" if width == 1280 else f"-{width}px"
        record = Visit(
            stem=stem,
            url=f"{server}/{stem}.html",
            screenshot=SCREENSHOTS / f"{stem}{suffix}.png",
        )
        context = browser.new_context(
            viewport={"width": width, "height": 900}, service_workers="block"
        )
        page = context.new_page()
        context.route("**/*", partial(route, record))
        page.on("pageerror", lambda error: record.page_errors.append(str(error)))
        page.on(
            "requestfailed",
            lambda request: (
                record.failed_requests.append(f"{request.url} ({request.failure})")
                if request.url.startswith(server)
                else None
            ),
        )
        page.on(
            "response",
            lambda response: (
                record.failed_requests.append(
                    f"{response.url} (HTTP {response.status})"
                )
                if response.url.startswith(server) and response.status >= 400
                else None
            ),
        )
        try:
            page.goto(record.url, wait_until="networkidle", timeout=60_000)
            seen_on_page = page.evaluate(probe, "page")
            page.screenshot(path=record.screenshot, full_page=True)
            boxes = page.evaluate(probe, "boxes")
        finally:
            context.close()
        record.images = seen_on_page["images"]
        record.mathjax_loaded = seen_on_page["mathjax"]
        record.math_elements = seen_on_page["math"]
        record.math_untypeset = seen_on_page["untypeset"]
        record.math_errors = seen_on_page["errors"]
        record.download_button = seen_on_page["download"]
        record.overwide = boxes["overwide"]
        record.wrapped = boxes["wrapped"]
        record.column = boxes["column"]
        record.figures = boxes["figures"]
        record.tables = boxes["tables"]
        record.prose = boxes["prose"]
        record.outputs = boxes["outputs"]
        seen[stem, width] = record
        return record

    request.config.pluginmanager.register(
        ScreenshotSummary(seen), "website-screenshots"
    )
    return open_page


class ScreenshotSummary:
    """Says at the end of the test run where the screenshots are."""

    def __init__(self, seen: dict):
        self.seen = seen

    def pytest_terminal_summary(self, terminalreporter):
        if self.seen:
            terminalreporter.write_sep("-", "website screenshots")
            terminalreporter.write_line(
                f"{len(self.seen)} full-page screenshots, for a person to look at, in {SCREENSHOTS}/"
            )
