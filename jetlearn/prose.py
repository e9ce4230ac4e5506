"""Numbers that a run produces, put into a chapter's text on the website and in JupyterLab.

A code cell calls `glue("test_accuracy", accuracy)`; the text below it writes
{eval}`f"{test_accuracy:.3f}"`, an f-string of that one name (or {eval}`n_seeds`, the bare
name, for an integer or a text). Both readers evaluate the same expression: JupyterLab's
jupyterlab-myst asks the notebook's kernel when the text cell is run, where `glue` bound the
name; the website formats the value that `glue` stored in the executed notebook (myst-nb's
glue), with the book's {eval} role (booktools.eval_role).

- glue(name, value): store a number (or a text) for the website, and bind it to `name` in the
  notebook for JupyterLab
- Number: the float that `glue` binds, which never shows a minus sign on a zero
"""

import keyword
import numbers
import re

import numpy as np
from IPython import get_ipython
from myst_nb import glue as myst_nb_glue

__all__ = ["Number", "glue", "never_negative_zero"]

# [[fill]align][sign] of Python's format-specification mini-language, where its 'z' goes
HEAD = re.compile(r"(?:.?[<>=^])?[-+ ]?")


# the names that `glue` bound in this kernel, which it may bind again
BOUND: set[str] = set()


class Number(float):
    """A float that, formatted, shows a number that rounds to zero as 0, never as -0.

    f"{Number(-0.0004):.3f}" is "0.000" (Python's 'z' option, added to every format).
    """

    def __format__(self, spec: str) -> str:
        return super().__format__(never_negative_zero(spec))


def never_negative_zero(spec: str) -> str:
    """A float's format with Python's 'z' option: -0.0004 as 0.000, not -0.000."""
    head = HEAD.match(spec).end()
    return spec if spec.startswith("z", head) else f"{spec[:head]}z{spec[head:]}"


def as_glued(value: numbers.Real | str) -> int | float | str:
    """The Python int, float or str that `glue` stores for value (a NumPy scalar too)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        raise TypeError(f"glue a number or a text, not {value!r}: say it in words")
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    raise TypeError(f"glue stores numbers and texts, not {type(value).__name__}")


def glue(name: str, value: numbers.Real | str) -> None:
    """Store value under `name` for the chapter's text, {eval}`f"{name:.3f}"` or {eval}`name`.

    The website reads the stored value (myst-nb's glue, not displayed); JupyterLab reads the
    notebook's variable `name`, which this binds to the value (a float as a Number). A
    variable of the chapter's own code under that name is left alone if it equals the
    value; otherwise this refuses, since the two readers would see different numbers.
    """
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"{name!r} cannot be a Python variable: {{eval}} evaluates it")
    value = as_glued(value)
    myst_nb_glue(name, value, display=False)
    shell = get_ipython()
    if shell is None:  # run outside a notebook (a benchmark, a test): no text to fill
        return
    if name in shell.user_ns and name not in BOUND:
        # a variable of the chapter's own: kept, unless it is a plain float (which a Number is)
        mine = shell.user_ns[name]
        if not equal(mine, value):
            raise ValueError(
                f"the notebook's variable {name!r} holds {mine!r}: glue {value!r} under "
                "another name"
            )
        if type(mine) is not float:
            return
    BOUND.add(name)
    shell.push({name: Number(value) if isinstance(value, float) else value})


def equal(a, b) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # an array, say
        return False
