"""The book's style for figures and tables."""

import pandas as pd

from jetlearn.jetplots import book_style


def test_tables_show_long_cells_whole():
    book_style()
    reads = "pT shares and positions of the 128 hardest particles, log jet pT"
    shown = pd.DataFrame({"reads": [reads]})._repr_html_()
    assert reads in shown
