"""Numbers for a chapter's text (jetlearn.prose)."""

import numpy as np
import pytest

from jetlearn.prose import Number, as_glued, glue


@pytest.mark.parametrize(
    ("value", "spec", "text"),
    [
        (0.91234, ".3f", "0.912"),
        (-0.0004, ".3f", "0.000"),
        (-0.04, ".1f", "0.0"),
        (-0.0004, "+.2f", "+0.00"),
        (-0.0004, "+z.2f", "+0.00"),
        (-0.0123, "+.2f", "-0.01"),
        (-0.001, ".0%", "0%"),
        (-0.0, "", "0.0"),
        (-0.04, ">+6.1f", "  +0.0"),
        (1.2e-7, ".1e", "1.2e-07"),
    ],
)
def test_a_number_never_shows_a_negative_zero(value, spec, text):
    assert f"{Number(value):{spec}}" == text


@pytest.mark.parametrize(
    ("value", "glued"),
    [(np.float32(0.5), 0.5), (np.int64(5), 5), (80000, 80000), ("10⁻³", "10⁻³")],
)
def test_glue_stores_python_numbers_and_texts(value, glued):
    assert as_glued(value) == glued
    assert type(as_glued(value)) is type(glued)


@pytest.mark.parametrize("value", [True, np.zeros(3), None])
def test_glue_stores_nothing_else(value):
    with pytest.raises(TypeError):
        as_glued(value)


@pytest.mark.parametrize("name", ["auc-q", "2d", "lambda"])
def test_glue_refuses_a_name_that_is_no_variable(name):
    with pytest.raises(ValueError, match="cannot be a Python variable"):
        glue(name, 0.9)
