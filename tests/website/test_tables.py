"""Tables on each page, in headless Chromium at 1280 px: every table (of the text, or a cell's
output) stays inside the page's text column, or scrolls inside a box of its own that does, and
no header or row-label cell wraps onto more than MAX_LABEL_LINES lines. (A table styled with
pandas' `.style` brings CSS of its own that the theme does not tame: print the DataFrame itself,
rounded, instead.) No cell is cut short by pandas, and no number on the page reads as a zero
with a minus sign."""

import re

import pytest

pytestmark = pytest.mark.browser

MAX_LABEL_LINES = 2


def test_tables_fit_the_text_column(visit, stem):
    seen = visit(stem)
    outside = [
        f"{table['outside']} px outside: {table['text']!r}"
        for table in seen.tables
        if table["outside"] > 1
    ]
    assert not outside, (
        f"{seen.url} (text column {seen.column:.0f} px) has tables that reach out of the "
        "column, where a reader loses their last columns:\n" + "\n".join(outside)
    )


def test_table_labels_do_not_wrap(visit, stem):
    seen = visit(stem)
    wrapped = [
        f"{table['label']!r} on {table['labelLines']} lines, in {table['text']!r}"
        for table in seen.tables
        if table["labelLines"] > MAX_LABEL_LINES
    ]
    assert not wrapped, (
        f"{seen.url} at 1280 px wraps table labels onto more than {MAX_LABEL_LINES} lines "
        "(shorter labels, or fewer columns):\n" + "\n".join(wrapped)
    )


def test_no_table_cell_is_cut_short(visit, stem):
    seen = visit(stem)
    cut = [
        f"{cell!r} in {table['text']!r}"
        for table in seen.tables
        for cell in table["truncated"]
    ]
    assert not cut, (
        f"{seen.url} shows table cells that end in '...', cut short by pandas "
        "(jetlearn.jetplots.book_style sets display.max_colwidth to None):\n"
        + "\n".join(cut)
    )


# a zero with a minus sign: -0, −0.0, -0.000 (not -0.5, 10-0 or x-0)
NEGATIVE_ZERO = re.compile(r"(?<![\w.])[-−]0(?:\.0+)?(?!\.?\d)")


def test_no_number_reads_minus_zero(visit, stem):
    seen = visit(stem)
    found = [
        seen.prose[max(0, m.start() - 40) : m.end() + 20].replace("\n", " ")
        for m in NEGATIVE_ZERO.finditer(seen.prose)
    ]
    assert not found, (
        f"{seen.url} prints a zero with a minus sign (format with 'z', as in "
        "f'{x:+z.1f}', or round before formatting):\n" + "\n".join(found)
    )
