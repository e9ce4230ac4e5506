"""Every page of the table of contents in headless Chromium: it loads with no JavaScript error,
no failed request and no request to another host (the site works offline), and it offers a
download of its source as a notebook; the front page leads to the first chapter."""

from urllib.parse import unquote, urlsplit

import pytest

pytestmark = pytest.mark.browser

# JavaScript errors that come from the toolchain, not from the book, and change nothing a reader sees.
# sphinx-thebe 0.3.1 under Sphinx 7.4 puts its inline configuration script into every page twice; the
# second copy fails on `const` (the first one already defined everything; the book does not use thebe).
KNOWN_TOOLCHAIN_ERRORS = ("Identifier 'THEBE_JS_URL' has already been declared",)


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


def test_mathjax_fetches_what_it_needs_from_the_site(visit, stem):
    """MathJax fetches more files while it typesets (its fonts, TeX extensions): those
    requests, recorded in the browser, must go to the site's own copy too (booktools/mathjax.py);
    a request to another host fails test_page_has_no_errors above."""
    seen = visit(stem)
    if seen.math_elements == 0:
        return
    fetched_later = [
        url
        for url in seen.requests
        if "/_static/mathjax/" in url and not url.split("?")[0].endswith(".js")
    ]
    assert fetched_later, (
        f"{seen.url} has math, but the browser fetched no MathJax font from the site: "
        f"where does MathJax take its fonts from? Requests seen: {seen.requests}"
    )


def test_page_has_a_download_button(visit, website, stem):
    seen = visit(stem)
    assert seen.download_button.get("button"), (
        f"{seen.url} has no download button (html.use_download_button in _config.yml)"
    )
    source = seen.download_button.get("source")
    assert source, f"{seen.url}: the download menu offers no source file"
    text = (website / unquote(urlsplit(source).path)).read_text()
    assert "jupytext:" in text.split("---")[1], (
        f"{seen.url}: the downloadable {source} has no jupytext header, so JupyterLab would not open it as a notebook"
    )


def test_front_page_leads_to_the_first_chapter(browser, server, chapters):
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
        page.wait_for_url(f"**/{chapters[0]}.html", timeout=10_000)
    finally:
        context.close()
