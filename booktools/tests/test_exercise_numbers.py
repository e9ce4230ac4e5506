"""Exercises numbered from 1 in each chapter, as JupyterLab numbers them
(booktools.exercise_numbers)."""

import re

from sphinx.application import Sphinx

PAGE = """\
# {title}

:::{{exercise}} First
:label: {name}-first
:::

:::{{exercise}} Second
:label: {name}-second
:::

:::{{solution}} {name}-second
:::

See {{ref}}`{other}-second`.
"""


def test_each_chapter_numbers_its_exercises_from_one(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    (source / "conf.py").write_text(
        "extensions = ['myst_parser', 'sphinx_exercise', 'booktools.exercise_numbers']\n"
        "myst_enable_extensions = ['colon_fence']\n"
        # its own, as myst-nb (in another test's build) changes Sphinx's default in place
        "source_suffix = {'.md': 'markdown'}\n"
    )
    (source / "index.md").write_text("# Book\n\n```{toctree}\none\ntwo\n```\n")
    for name, other in (("one", "two"), ("two", "one")):
        (source / f"{name}.md").write_text(
            PAGE.format(title=name.title(), name=name, other=other)
        )
    app = Sphinx(
        source, source, tmp_path / "html", tmp_path / "doctrees", "html", status=None
    )
    app.build()
    for name in ("one", "two"):
        html = (tmp_path / "html" / f"{name}.html").read_text()
        text = re.sub(r"<[^>]+>|\s+", " ", html)
        assert "Exercise 1" in text and "Exercise 2" in text, name
        assert "Exercise 3" not in text and "Exercise 4" not in text, name
        assert "Solution to Exercise 2" in re.sub(r"\s+", " ", text), name
