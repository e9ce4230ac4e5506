"""What a page shows besides text, in headless Chromium: every image loads and has alt text,
every figure that executing the chapter made is on its page and opens full size when clicked
(_static/figures.js), and all math is typeset by MathJax."""

import json
from pathlib import Path

import pytest
from myst_nb.core.render import base_render_priority

from booktools.book import BOOK
from booktools.myst_markdown import MystText

pytestmark = pytest.mark.browser

# the order in which myst-nb picks an output's representation for HTML (its own table, lowest
# number first); an image wins only over text
HTML_MIME_PRIORITY = sorted(
    (priorities := base_render_priority()["html"]), key=lambda mime: priorities[mime]
)
IMAGE_MIMES = {"image/svg+xml", "image/png", "image/gif", "image/jpeg"}
ALT_TEXT_HOWTO = (
    "a figure made by a code cell gets its alt text from the cell's options, in the `---` block at the top "
    "of the code-cell: `mystnb: {image: {alt: What the figure shows}}`; a Markdown image from its brackets, "
    "![What it shows](img/file.png)"
)


def expected_figures(notebook: Path) -> int:
    """How many images the executed notebook's outputs hold that the page should show."""
    assert notebook.is_file(), (
        f"no executed notebook {notebook}: the build did not execute {notebook.stem}"
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


def test_every_figure_is_on_the_page(visit, executed_notebooks, stem):
    seen = visit(stem)
    notebook = executed_notebooks / f"{stem}.ipynb"
    expected = expected_figures(notebook)
    shown = sum(img["output"] and img["width"] > 0 for img in seen.images)
    assert shown == expected, (
        f"{seen.url} shows {shown} figures from code cells, but executing {stem} made {expected} "
        f"(in {notebook})"
    )


def math_in_source(stem: str) -> int:
    """How many math spans and blocks ($...$, $$...$$, {math}) the chapter's source holds,
    found by the parser that reads it for the website."""
    tokens = MystText((BOOK / f"{stem}.md").read_text()).tokens
    inline = [child for token in tokens for child in token.children or []]
    return sum(token.type.startswith("math") for token in tokens + inline)


def test_every_figure_opens_full_size(visit, stem):
    seen = visit(stem)
    unlinked = [
        f"{figure['src']} ({figure['alt']}...)"
        for figure in seen.figures
        if figure["link"] != figure["src"]
    ]
    assert not unlinked, (
        f"{seen.url} has figures that a click does not open full size "
        "(_static/figures.js links each cell's image to itself):\n"
        + "\n".join(unlinked)
    )


def test_math_is_typeset(visit, stem):
    seen = visit(stem)
    written = math_in_source(stem)
    if not written and not seen.math_elements:
        pytest.skip(f"{stem}.md writes no math")
    assert seen.math_elements, (
        f"{seen.url} shows none of the {written} math its source writes"
    )
    assert seen.mathjax_loaded, (
        f"{seen.url} has {seen.math_elements} math elements but MathJax did not load"
    )
    assert not seen.math_untypeset, (
        f"{seen.url}: math left as TeX source: {seen.math_untypeset}"
    )
    assert not seen.math_errors, (
        f"{seen.url}: MathJax could not typeset: {seen.math_errors}"
    )
