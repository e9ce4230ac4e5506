"""Sphinx extension for the book: exercises numbered from 1 in each chapter.

sphinx-exercise numbers exercises with Sphinx's figure numbers, which run on through the whole
book when its table of contents is not numbered: the first exercise of the CNN chapter was
Exercise 8 on the website, while JupyterLab (jupyterlab-myst), which sees one notebook, calls
it Exercise 1. A workshop that says "Exercise 3 of chapter 30" must mean the same box in both,
so each chapter's exercises are numbered again from 1, in the order Sphinx found them. Solutions
and references ({ref}, {numref}) take their numbers from the same table, so they follow.

It is listed in the book's _config.yml under `sphinx.extra_extensions`.
"""

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

FIGTYPE = "exercise"  # the figure type sphinx-exercise registers its exercises under


def number_per_chapter(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Renumber each document's exercises 1, 2, ... after Sphinx numbered them book-wide."""
    for numbers in env.toc_fignumbers.values():
        exercises = numbers.get(FIGTYPE, {})
        in_order = sorted(exercises, key=exercises.get)
        exercises.update({key: (n,) for n, key in enumerate(in_order, start=1)})
    return []


def setup(app: Sphinx):
    # after Sphinx's toctree collector, which assigns the figure numbers on this event
    app.connect("env-get-updated", number_per_chapter, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
