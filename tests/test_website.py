"""The built website, as a reader sees it: every page of the table of contents opened in headless Chromium.

For each chapter: no missing image and every image has alt text, no broken internal link, all math
typeset by MathJax, every figure the executed chapter produced is on its page, the page has a
download button, and the page throws no JavaScript error. At the default width (1280 px), with
every dropdown opened, no code or output box is wider than its space (a reader would have to
scroll sideways); each cell's printed output is one box per stream, a progress bar shows its
final state only, and no library prints its start-up banner. A full-page screenshot of each page is saved
under screenshots/ (ignored by git) for a person to look at. A plain link check of every built page
runs without the browser.

Where the build comes from: `make test` builds the whole book (every chapter executed once) before
pytest starts. The `website` fixture below then brings the build up to date with the same command,
which Sphinx does incrementally: it executes again only chapters whose source changed since, so under
`make test` nothing is executed a second time, and `pytest tests/test_website.py` alone still works.

MathJax is loaded from cdn.jsdelivr.net by the pages; the test serves those requests from the MathJax 3
copy that the `django-static-mathjax` package ships (see requirements.txt), so it needs no network.
Every other request to another host is blocked and reported.

Chromium: the system's (Debian: `apt-get install chromium`), or Playwright's own
(`python -m playwright install chromium`). Without one the tests skip, except where the environment
variable CI is set, where they fail.
"""

import json
import mimetypes
import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from booktools.book import BOOK as THE_BOOK
from booktools.book import toc_chapters

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
# BOOK_DIR: check another copy of the book (for example a trimmed one while chapters are being written)
BOOK = Path(os.environ.get("BOOK_DIR", THE_BOOK)).resolve()
HTML = BOOK / "_build" / "html"
EXECUTED = BOOK / "_build" / "jupyter_execute"
SCREENSHOTS = ROOT / "screenshots"
BUILD_LOG = BOOK / "_build" / "website-test-build.log"

MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/"
# the order in which myst-nb picks an output's representation for HTML; an image wins only over text
HTML_MIME_PRIORITY = [
    "application/vnd.jupyter.widget-view+json",
    "application/javascript",
    "text/html",
    "image/svg+xml",
    "image/png",
    "image/gif",
    "image/jpeg",
    "text/markdown",
    "text/latex",
    "text/plain",
]
IMAGE_MIMES = {"image/svg+xml", "image/png", "image/gif", "image/jpeg"}
# JavaScript errors that come from the toolchain, not from the book, and change nothing a reader sees.
# sphinx-thebe 0.3.1 under Sphinx 7.4 puts its inline configuration script into every page twice; the
# second copy fails on `const` (the first one already defined everything; the book does not use thebe).
KNOWN_TOOLCHAIN_ERRORS = ("Identifier 'THEBE_JS_URL' has already been declared",)
# one line of a tqdm progress bar: "training:  40%|####      | 2/5 [00:01<00:01, 2.0epoch/s]"
PROGRESS_BAR = re.compile(r"^(?P<name>.*?)\s*\d+%\|.*\|\s*\d+/(?P<total>\d+)\b")
# the start-up banners of libraries the chapters use: silenced, the software is cited instead
BANNERS = {"FastJet": "FastJet release", "Pythia 8": "Welcome to the Lund Monte Carlo"}
ALT_TEXT_HOWTO = (
    "a figure made by a code cell gets its alt text from the cell's options, in the `---` block at the top "
    "of the code-cell: `mystnb: {image: {alt: What the figure shows}}`; a Markdown image from its brackets, "
    "![What it shows](img/file.png)"
)


def chapters() -> list[str]:
    """File stems of every chapter in the book's _toc.yml, the root page first."""
    return toc_chapters(BOOK)


# ------------------------------------------------------------------------------------------------
# the build


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


@pytest.fixture(scope="session")
def website() -> Path:
    """The built HTML folder, brought up to date (incrementally) with the build command of `make book`."""
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    command = [
        str(jupyter_book if jupyter_book.exists() else "jupyter-book"),
        "build",
        str(BOOK),
        "-n",
        "-W",
        "--keep-going",
    ]
    BUILD_LOG.parent.mkdir(parents=True, exist_ok=True)
    with BUILD_LOG.open("w") as log:
        result = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    if result.returncode != 0:
        pytest.fail(
            f"the book does not build ({' '.join(command)} exited {result.returncode}); "
            f"the full log is {BUILD_LOG}, its problems:\n{build_problems(BUILD_LOG.read_text())}",
            pytrace=False,
        )
    missing = [stem for stem in chapters() if not (HTML / f"{stem}.html").is_file()]
    assert not missing, f"the build made no page for {missing}; see {BUILD_LOG}"
    return HTML


# ------------------------------------------------------------------------------------------------
# links, checked on the files themselves


class PageParser(HTMLParser):
    """Collects every id (link target) and every href/src of a page."""

    LINK_ATTRIBUTES = {"href", "src", "poster", "data"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (name == "name" and tag == "a"):
                self.ids.add(value)
            elif name in self.LINK_ATTRIBUTES:
                self.links.append(value)
            elif name == "srcset":
                self.links.extend(
                    part.split()[0] for part in value.split(",") if part.strip()
                )


def parse(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text(errors="replace"))
    return parser


def broken_links(html: Path) -> list[str]:
    # _static/ holds the theme's Jinja templates, which are not pages
    pages = {
        path: parse(path)
        for path in sorted(html.rglob("*.html"))
        if "_static" not in path.relative_to(html).parts
    }
    broken = []
    for page, parsed in pages.items():
        for link in parsed.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith("//"):
                continue  # external (http, https, mailto, data, javascript): not part of this check
            if not parts.path:
                target = page
            else:
                target = (page.parent / unquote(parts.path)).resolve()
                if target.is_dir():
                    target = target / "index.html"
                if not target.is_relative_to(html.resolve()) or not target.exists():
                    broken.append(f"{page.relative_to(html)}: {link} (no such file)")
                    continue
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse(target).ids
                if fragment not in ids:
                    broken.append(
                        f"{page.relative_to(html)}: {link} (no element with id {fragment!r})"
                    )
    return broken


def test_internal_links_resolve(website):
    broken = broken_links(website)
    assert not broken, f"{len(broken)} broken internal links:\n" + "\n".join(broken)


def test_every_chapter_has_a_page(website):
    missing = [stem for stem in chapters() if not (website / f"{stem}.html").is_file()]
    assert not missing, f"chapters in _toc.yml with no page: {missing}"


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


def mathjax_folder() -> Path:
    try:
        import mathjax  # the django-static-mathjax package: MathJax 3.2.2, as published on npm
    except ImportError:
        pytest.fail(
            "the package django-static-mathjax (a local copy of MathJax 3) is missing; `pip install -r requirements.txt`"
        )
    folder = Path(mathjax.__file__).parent / "static" / "mathjax"
    assert (folder / "es5" / "tex-mml-chtml.js").is_file(), f"no MathJax 3 in {folder}"
    return folder


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
    outputs: list[dict] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)


# Run after the screenshot: opens every dropdown (hidden solutions too), then measures every
# code and output box (`pre`) that is wider than the space it has, and reads each code cell's
# printed output, box by box (myst-nb's classes: stdout "output stream", stderr "output stderr").
BOX_SCRIPT = """
() => {
  document.querySelectorAll('button.toggle-button.toggle-button-hidden').forEach(b => b.click());
  document.querySelectorAll('details:not([open])').forEach(d => { d.open = true; });
  const longest = text => text.split('\\n').reduce((a, b) => (b.length > a.length ? b : a), '');
  return {
    overwide: [...document.querySelectorAll('pre')]
      .filter(pre => pre.clientWidth > 0 && pre.scrollWidth > pre.clientWidth)
      .map(pre => ({output: !!pre.closest('.cell_output'), hidden: pre.scrollWidth - pre.clientWidth,
                    line: longest(pre.textContent).slice(0, 100)})),
    outputs: [...document.querySelectorAll('.cell_output')].map(area => ({
      stdout: [...area.querySelectorAll('.output.stream pre')].map(pre => pre.textContent),
      stderr: [...area.querySelectorAll('.output.stderr pre')].map(pre => pre.textContent),
    })),
  };
}
"""

PAGE_SCRIPT = """
async () => {
  const images = [...document.images];
  for (const img of images) img.loading = 'eager';
  await Promise.all(images.map(img => img.complete ? null :
    new Promise(done => { img.addEventListener('load', done); img.addEventListener('error', done); })));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  const math = [...document.querySelectorAll('.math')];
  const download = document.querySelector('.dropdown-download-buttons');
  const source = download && download.querySelector('a.btn-download-source-button');
  return {
    images: images.map(img => ({src: img.getAttribute('src') || '', alt: img.getAttribute('alt'),
                                width: img.naturalWidth, output: !!img.closest('.cell_output')})),
    mathjax: !!(window.MathJax && MathJax.startup),
    math: math.length,
    untypeset: math.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.trim().slice(0, 80)),
    errors: [...document.querySelectorAll('mjx-merror, [data-mjx-error]')]
              .map(e => e.getAttribute('data-mjx-error') || e.textContent.slice(0, 80)),
    download: download ? {button: !!download.querySelector('button'),
                          source: source ? source.getAttribute('href') : null} : {},
  };
}
"""


@pytest.fixture(scope="session")
def visit(browser, server, request):
    """visit(stem): open the chapter's page once, take its screenshot, and return what was seen."""
    mathjax = mathjax_folder()
    SCREENSHOTS.mkdir(exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):  # the folder shows this run only
        old.unlink()
    seen: dict[str, Visit] = {}

    def route(visit_record, route):
        url = route.request.url
        if url.startswith(server + "/"):
            return route.continue_()
        if url.startswith(MATHJAX_CDN):
            local = (mathjax / urlsplit(url).path.split("/mathjax@3/", 1)[1]).resolve()
            if local.is_relative_to(mathjax) and local.is_file():
                kind = mimetypes.guess_type(local.name)[0] or "application/octet-stream"
                return route.fulfill(path=local, content_type=kind)
        visit_record.blocked_requests.append(url)
        return route.abort()

    def open_page(stem: str) -> Visit:
        if stem in seen:
            return seen[stem]
        record = Visit(
            stem=stem,
            url=f"{server}/{stem}.html",
            screenshot=SCREENSHOTS / f"{stem}.png",
        )
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, service_workers="block"
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
            seen_on_page = page.evaluate(PAGE_SCRIPT)
            page.screenshot(path=record.screenshot, full_page=True)
            boxes = page.evaluate(BOX_SCRIPT)
        finally:
            context.close()
        record.images = seen_on_page["images"]
        record.mathjax_loaded = seen_on_page["mathjax"]
        record.math_elements = seen_on_page["math"]
        record.math_untypeset = seen_on_page["untypeset"]
        record.math_errors = seen_on_page["errors"]
        record.download_button = seen_on_page["download"]
        record.overwide = boxes["overwide"]
        record.outputs = boxes["outputs"]
        seen[stem] = record
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


CHAPTERS = chapters()


def expected_figures(stem: str) -> int:
    """How many images the executed notebook's outputs hold that the page should show."""
    notebook = EXECUTED / f"{stem}.ipynb"
    assert notebook.is_file(), (
        f"no executed notebook {notebook}: the build did not execute {stem}"
    )
    cells = json.loads(notebook.read_text())["cells"]
    count = 0
    for cell in cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell["cell_type"] != "code" or tags & {"remove-output", "remove-cell"}:
            continue
        if cell.get("metadata", {}).get("mystnb", {}).get("remove_code_outputs"):
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            shown = next((mime for mime in HTML_MIME_PRIORITY if mime in data), None)
            count += shown in IMAGE_MIMES
    return count


@pytest.mark.parametrize("stem", CHAPTERS)
def test_page_has_no_errors(visit, stem):
    seen = visit(stem)
    problems = [
        f"JavaScript error: {e}"
        for e in seen.page_errors
        if e not in KNOWN_TOOLCHAIN_ERRORS
    ]
    problems += [f"failed request: {r}" for r in seen.failed_requests]
    problems += [
        f"request to another host (blocked; the site must work offline): {r}"
        for r in seen.blocked_requests
    ]
    assert not problems, f"{seen.url} (screenshot {seen.screenshot}):\n" + "\n".join(
        problems
    )


@pytest.mark.parametrize("stem", CHAPTERS)
def test_images_load_and_have_alt_text(visit, stem):
    seen = visit(stem)
    missing = [img["src"] for img in seen.images if img["width"] == 0]
    assert not missing, f"{seen.url}: images that did not load: {missing}"
    no_alt = [
        img["src"]
        for img in seen.images
        if not (img["alt"] or "").strip()
        or img["alt"] == img["src"]
        or img["alt"].endswith(Path(img["src"]).name)
    ]
    assert not no_alt, (
        f"{seen.url}: images without alt text (or with their file name as alt text): {no_alt}; {ALT_TEXT_HOWTO}"
    )


@pytest.mark.parametrize("stem", CHAPTERS)
def test_every_figure_is_on_the_page(visit, stem):
    seen = visit(stem)
    expected = expected_figures(stem)
    shown = sum(img["output"] and img["width"] > 0 for img in seen.images)
    assert shown == expected, (
        f"{seen.url} shows {shown} figures from code cells, but executing {stem} made {expected} "
        f"(in {EXECUTED / (stem + '.ipynb')})"
    )


@pytest.mark.parametrize("stem", CHAPTERS)
def test_code_and_outputs_fit_their_boxes(visit, stem):
    seen = visit(stem)
    wide = [
        f"{'output' if box['output'] else 'code'} box, {box['hidden']} px hidden: {box['line']!r}"
        for box in seen.overwide
    ]
    assert not wide, (
        f"{seen.url} at 1280 px has {len(wide)} boxes wider than the page gives them, so a reader "
        "must scroll sideways (run `make format` for chapter code; shorten printed lines):\n"
        + "\n".join(wide)
    )


def stream_problems(cell: dict) -> list[str]:
    """How one code cell's printed output, as read from the page, differs from one box per
    stream with each progress bar in its final state only."""
    problems = []
    for stream in ("stdout", "stderr"):
        boxes = cell[stream]
        if len(boxes) > 1:
            problems.append(
                f"{len(boxes)} {stream} boxes, not one: {[box[:60] for box in boxes]}"
            )
        for box in boxes:
            bars = [
                (m["name"], m["total"])
                for line in box.splitlines()
                if (m := PROGRESS_BAR.match(line))
            ]
            problems += [
                f"the progress bar {name!r} of {total} shows {bars.count((name, total))} states, not "
                f"its final one only"
                for name, total in sorted(set(bars))
                if bars.count((name, total)) > 1
            ]
    return problems


@pytest.mark.parametrize("stem", CHAPTERS)
def test_printed_output_is_one_box_per_stream_with_final_progress_bars(visit, stem):
    seen = visit(stem)
    problems = [
        f"output {number}: {problem}"
        for number, cell in enumerate(seen.outputs, 1)
        for problem in stream_problems(cell)
    ]
    assert not problems, (
        f"{seen.url} (screenshot {seen.screenshot}); the book's Sphinx extension booktools.streams "
        "should merge a cell's printed output (is it in _config.yml, with nb_merge_streams off?):\n"
        + "\n".join(problems)
    )


@pytest.mark.parametrize("stem", CHAPTERS)
def test_no_library_banner_in_outputs(visit, stem):
    seen = visit(stem)
    printed = "\n".join(
        box
        for cell in seen.outputs
        for stream in ("stdout", "stderr")
        for box in cell[stream]
    )
    shown = [library for library, signature in BANNERS.items() if signature in printed]
    assert not shown, (
        f"{seen.url} shows the start-up banner of {shown}; silence it in the chapter (FastJet: "
        "fastjet._swig.ClusterSequence.set_fastjet_banner_stream(None); Pythia: "
        "pythia8mc.Pythia('', False)) and cite the software in the chapter's references"
    )


@pytest.mark.parametrize("stem", CHAPTERS)
def test_math_is_typeset(visit, stem):
    seen = visit(stem)
    if seen.math_elements == 0:
        return  # no math on this page
    assert seen.mathjax_loaded, (
        f"{seen.url} has {seen.math_elements} math elements but MathJax did not load"
    )
    assert not seen.math_untypeset, (
        f"{seen.url}: math left as TeX source: {seen.math_untypeset}"
    )
    assert not seen.math_errors, (
        f"{seen.url}: MathJax could not typeset: {seen.math_errors}"
    )


@pytest.mark.parametrize("stem", CHAPTERS)
def test_page_has_a_download_button(visit, server, stem):
    seen = visit(stem)
    assert seen.download_button.get("button"), (
        f"{seen.url} has no download button (html.use_download_button in _config.yml)"
    )
    source = seen.download_button.get("source")
    assert source, f"{seen.url}: the download menu offers no source file"
    text = (HTML / unquote(urlsplit(source).path)).read_text()
    assert "jupytext:" in text.split("---")[1], (
        f"{seen.url}: the downloadable {source} has no jupytext header, so JupyterLab would not open it as a notebook"
    )


def test_front_page_leads_to_the_first_chapter(browser, server):
    context = browser.new_context()
    try:
        page = context.new_page()
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(server)
                else route.abort()
            ),
        )
        page.goto(server + "/", wait_until="load", timeout=60_000)
        page.wait_for_url(f"**/{CHAPTERS[0]}.html", timeout=10_000)
    finally:
        context.close()
