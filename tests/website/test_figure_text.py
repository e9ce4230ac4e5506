"""The text in the figures can be read on the website.

A figure is a PNG drawn at a known resolution with the fonts of `jetlearn.jetplots.book_style`;
the page shrinks a figure wider than its text column to fit it, and the text with it. In headless
Chromium at 1280 px, every figure's smallest text, shrunk as the page shows it, must stay at
least READABLE_PX tall; on a phone (390 px) too, where a figure keeps its desktop size and
scrolls sideways in its box. A font size written into a chapter's own drawing code (or the book's
diagrams) may not go below book_style's smallest, or the browser check would not cover it.
"""

import re
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import pytest
from matplotlib.font_manager import FontProperties, font_scalings

from booktools.book import BOOK
from jetlearn.jetplots import book_style

ROOT = Path(__file__).resolve().parents[2]
# the smallest text that reads without effort on a screen, in CSS px (the page's text is 16 px)
READABLE_PX = 9
# a phone's window width, in CSS px
PHONE_PX = 390
# the rcParams that set a size of text in a figure
TEXT_SIZES = (
    "font.size",
    "axes.titlesize",
    "axes.labelsize",
    "xtick.labelsize",
    "ytick.labelsize",
    "legend.fontsize",
    "figure.titlesize",
)
FONT_SIZE_ARGUMENT = re.compile(
    r"fontsize\s*=\s*(?:(\d+(?:\.\d+)?)|[\"']([a-z-]+)[\"'])"
)
DRAWING_CODE = [
    *sorted(BOOK.glob("[0-9]*.md")),
    ROOT / "jetlearn" / "jetplots.py",
    ROOT / "jetlearn" / "diagrams.py",
]


def book_fonts() -> tuple[float, float, float]:
    """(base font size, smallest font size, both in points; pixels per inch) of book_style."""
    with mpl.rc_context():
        book_style()
        sizes = [
            FontProperties(size=plt.rcParams[key]).get_size_in_points()
            for key in TEXT_SIZES
        ]
        return plt.rcParams["font.size"], min(sizes), plt.rcParams["figure.dpi"]


def test_no_drawing_code_asks_for_text_smaller_than_the_book_style():
    base, smallest, _ = book_fonts()
    small = []
    for path in DRAWING_CODE:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for points, name in FONT_SIZE_ARGUMENT.findall(line):
                size = float(points) if points else base * font_scalings[name]
                if size < smallest - 0.1:  # 'small' is 0.833 of 12 pt: 10 pt
                    small.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not small, (
        f"text smaller than book_style's smallest ({smallest:g} pt), which the website's "
        "figure check assumes:\n" + "\n".join(small)
    )


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, PHONE_PX])
def test_figure_text_is_readable_at_the_page_width(visit, stem, width):
    seen = visit(stem, width)
    _, smallest, dpi = book_fonts()
    text_px = smallest * dpi / 72  # in the PNG, before the page shrinks it
    small = [
        f"{figure['src']} ({figure['alt']}...): {figure['natural']} px wide shown at "
        f"{figure['shown']:.0f} px, smallest text {text_px * scale:.1f} px"
        for figure in seen.figures
        if (scale := figure["shown"] / figure["natural"]) * text_px < READABLE_PX
    ]
    assert not small, (
        f"{seen.url} at {width} px (text column {seen.column:.0f} px) shrinks figures until "
        f"their smallest text ({smallest:g} pt at {dpi:g} pixels per inch) is under "
        f"{READABLE_PX} px: make them narrower (figsize; fewer panels per row) so that they "
        "need less shrinking; on a phone, the figure's box scrolls (_static/code.css):\n"
        + "\n".join(small)
    )
