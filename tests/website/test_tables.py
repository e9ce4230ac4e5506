"""Tables on each page, in headless Chromium at 1280 px: every table (of the text, or a cell's
output) stays inside the page's text column, or scrolls inside a box of its own that does, and
no header or row-label cell wraps onto more than MAX_LABEL_LINES lines. (A table styled with
pandas' `.style` brings CSS of its own that the theme does not tame: print the DataFrame itself,
rounded, instead.)"""

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
