"""Links, checked on the built files themselves, with no browser: no broken internal link (a
missing file, or a fragment that names no element of its page), and a page for every chapter.

Both builds are checked (tests/website/conftest.py): the one without executed chapters, which
`make test-fast` reads (no marker: it executes nothing and needs no Chromium), and the build of
`make book`, whose code outputs add links of their own (figures); that one carries the marker
`browser`, as it is the build that the browser tests open, and its build may execute chapters.
"""

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("prose_website", id="without-execution"),
        pytest.param("website", id="executed", marks=pytest.mark.browser),
    ],
)
def built(request) -> Path:
    """The HTML folder of one of the two builds."""
    return request.getfixturevalue(request.param)


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


def test_internal_links_resolve(built):
    broken = broken_links(built)
    assert not broken, f"{len(broken)} broken internal links:\n" + "\n".join(broken)


def test_every_chapter_has_a_page(built, chapters):
    missing = [stem for stem in chapters if not (built / f"{stem}.html").is_file()]
    assert not missing, f"chapters in _toc.yml with no page: {missing}"


def test_pages_load_scripts_and_styles_from_the_site_itself(built, chapters):
    """No script or style sheet from another host (MathJax included, booktools/mathjax.py):
    in a room with a poor network the pages must still show their equations. The internal
    link check above makes sure that the local copies are there."""
    external = [
        f"{stem}.html: {link}"
        for stem in chapters
        for link in parse(built / f"{stem}.html").links
        if link.endswith((".js", ".css"))
        and (urlsplit(link).netloc or "//" in link[:8])
    ]
    assert not external, "pages load code from other hosts:\n" + "\n".join(external)
