"""Sphinx extension for the book: MyST's {eval} role, filled from what the chapter's run glued.

A chapter's prose writes {eval}`f"{test_accuracy:.3f}"` (an f-string of one name and its
format) or {eval}`n_seeds` (the bare name: an integer or a text) where a number of its run
belongs, and a code cell above calls `jetlearn.prose.glue("test_accuracy", accuracy)`. In
JupyterLab, jupyterlab-myst evaluates the expression in the chapter's kernel when the text
cell is run. myst-nb evaluates {eval} only while it executes a chapter itself
(`nb_execution_mode: inline`), and the book's chapters come from its cache instead
(booktools.execution); so this role evaluates the same expression on the value that the run
glued under the name, formatted as the kernel formats it (jetlearn.prose.Number: never a
minus sign on a zero). A name the run did not glue, a float without a format and any other
expression are warnings, hence a failed build under -W.

The teaching page shows numbers of other chapters (their Overview and Summary, through
booktools.chapter_points) in myst-nb's form, {glue:text}`30-convolutional-neural-networks.md::
key:.3f`, since that chapter's kernel is not this one's: `glue_reference` writes it for an
{eval} of a chapter. The chapters' own text never does (JupyterLab could not fill it in). The extension is listed in the book's _config.yml under
`sphinx.extra_extensions`, after myst-nb, whose own {eval} role it replaces.
"""

import ast

from docutils import nodes
from myst_nb.core.variables import RetrievalError
from myst_nb.ext.glue.utils import glue_warning, retrieve_glue_data
from myst_nb.ext.utils import RoleBase

from jetlearn.prose import Number, never_negative_zero

__all__ = ["EvalError", "glue_reference", "parse", "setup"]

FORMS = 'a glued name, {eval}`name`, or an f-string of one, {eval}`f"{name:.3f}"`'


class EvalError(ValueError):
    """An {eval} expression that the book does not evaluate; the message says why."""


def parse(expression: str) -> tuple[str, str | None]:
    """The name and the format of an {eval} expression: `name` -> (name, None),
    `f"{name:.3f}"` -> (name, ".3f")."""
    try:
        tree = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        tree = None
    if isinstance(tree, ast.Name):
        return tree.id, None
    if isinstance(tree, ast.JoinedStr) and len(tree.values) == 1:
        (field,) = tree.values
        spec = field.format_spec
        if (
            isinstance(field.value, ast.Name)
            and field.conversion == -1
            and (spec is None or [type(v) for v in spec.values] == [ast.Constant])
        ):
            return field.value.id, spec.values[0].value if spec else ""
    raise EvalError(f"{{eval}}`{expression}`: the book's {{eval}} shows {FORMS}")


def shown(value: int | float | str, spec: str | None) -> str:
    """value as the kernel shows the expression: a float as a jetlearn.prose.Number."""
    if spec is None:
        if isinstance(value, float):
            raise EvalError(f"{value!r} is a float: give it a format, as in {FORMS}")
        return str(value)
    return format(Number(value) if isinstance(value, float) else value, spec)


def glue_reference(expression: str, chapter: str) -> str:
    """The role that shows an {eval} expression of `chapter` (its file name) on another page
    of the same folder: {glue:text}`chapter::name:spec`, with the 'z' that Number adds."""
    name, spec = parse(expression)
    if not spec:
        spec = "s"
    elif spec[-1] in "eEfFgG%":  # which myst-nb formats as floats
        spec = never_negative_zero(spec)
    return f"{{glue:text}}`{chapter}::{name}:{spec}`"


class EvalGluedValue(RoleBase):
    """{eval}`f"{name:spec}"` or {eval}`name`, of the value that the chapter's run glued."""

    def run(self):
        try:
            name, spec = parse(self.text)
            glued = retrieve_glue_data(self.document, name).data.get("text/plain")
            text = shown(ast.literal_eval(glued), spec)
        except (EvalError, RetrievalError, ValueError, SyntaxError) as error:
            return [], [glue_warning(str(error), self.document, self.line)]
        node = nodes.inline(text, text, classes=["pasted-text"])
        self.set_source_info(node)
        return [node], []


def setup(app):
    app.add_role("eval", EvalGluedValue(), override=True)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
