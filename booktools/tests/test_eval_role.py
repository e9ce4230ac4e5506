"""MyST's {eval} role on the website, filled from what the run glued (booktools.eval_role)."""

import io

import nbformat
import pytest
from myst_nb.ext.glue import GLUE_PREFIX
from sphinx.application import Sphinx

from booktools.eval_role import EvalError, glue_reference, parse


def glued(name: str, value) -> nbformat.NotebookNode:
    """The output that jetlearn.prose.glue leaves in an executed notebook."""
    return nbformat.v4.new_output(
        "display_data",
        data={GLUE_PREFIX + "text/plain": repr(value)},
        metadata={"scrapbook": {"name": name, "mime_prefix": GLUE_PREFIX}},
    )


def build(tmp_path, prose: str) -> tuple[str, str]:
    """A one-page site whose executed notebook glued `gain` (a float) and `n_seeds`, with
    `prose` below it: the page's HTML and the build's warnings."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "conf.py").write_text(
        "extensions = ['myst_nb', 'booktools.eval_role']\n"
        "nb_execution_mode = 'off'\n"
        "exclude_patterns = ['_build']\n"
    )
    code = nbformat.v4.new_code_cell("glue('gain', -0.0004)\nglue('n_seeds', 5)")
    code.outputs = [glued("gain", -0.0004), glued("n_seeds", 5)]
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Page"),
            code,
            nbformat.v4.new_markdown_cell(prose),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3"},
            "language_info": {"name": "python"},
        },
    )
    nbformat.write(notebook, source / "index.ipynb")
    warnings = io.StringIO()
    app = Sphinx(
        source,
        source,
        tmp_path / "html",
        tmp_path / "doctrees",
        "html",
        status=None,
        warning=warnings,
        freshenv=True,
    )
    app.build()
    return (tmp_path / "html" / "index.html").read_text(), warnings.getvalue()


def test_eval_shows_the_glued_value_as_the_kernel_formats_it(tmp_path):
    html, warnings = build(
        tmp_path, 'A gain of {eval}`f"{gain:+.2f}"` over {eval}`n_seeds` seeds.'
    )
    assert "index.ipynb" not in warnings  # no warning about the page
    assert 'A gain of <span class="pasted-text">+0.00</span> over ' in html
    assert '<span class="pasted-text">5</span> seeds.' in html


@pytest.mark.parametrize(
    ("prose", "message"),
    [
        ('{eval}`f"{gian:.2f}"`', "No key 'gian' found in glue data"),
        ("{eval}`gain`", "-0.0004 is a float: give it a format"),
        ('{eval}`f"{gain * 100:.1f}"`', "the book's {eval} shows a glued name"),
    ],
)
def test_eval_of_what_the_run_did_not_glue_is_a_warning(tmp_path, prose, message):
    _, warnings = build(tmp_path, prose)
    assert message in warnings


@pytest.mark.parametrize(
    ("expression", "parsed"),
    [
        ("n_seeds", ("n_seeds", None)),
        ('f"{auc:.3f}"', ("auc", ".3f")),
        ("f'{x}'", ("x", "")),
    ],
)
def test_an_expression_is_a_name_or_an_f_string_of_one(expression, parsed):
    assert parse(expression) == parsed


@pytest.mark.parametrize(
    "expression", ["f'{x:.{n}f}'", "f'{x!r}'", "x[0]", "f'{x} GeV'"]
)
def test_other_expressions_are_refused(expression):
    with pytest.raises(EvalError):
        parse(expression)


@pytest.mark.parametrize(
    ("expression", "role"),
    [
        ('f"{gain:+.2f}"', "{glue:text}`30-cnn.md::gain:+z.2f`"),
        ('f"{share:.0%}"', "{glue:text}`30-cnn.md::share:z.0%`"),
        ('f"{rows:,}"', "{glue:text}`30-cnn.md::rows:,`"),
        ("n_seeds", "{glue:text}`30-cnn.md::n_seeds:s`"),
    ],
)
def test_an_eval_is_shown_on_another_page_by_a_glue_reference(expression, role):
    assert glue_reference(expression, "30-cnn.md") == role
