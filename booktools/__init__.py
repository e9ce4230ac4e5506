"""The book's own machinery: what builds, tests and hands out the book, and what no chapter imports.

- `book`: where the book is, and its chapters in reading order (from _toc.yml)
- `streams`: a Sphinx extension that shows each cell's printed output in one box per stream
- `chapter_points`: a Sphinx extension that shows a chapter's Overview and Summary on another page
- `eval_role`: a Sphinx extension that fills {eval} in the text with the values the run glued
- `exercise_numbers`: a Sphinx extension that numbers exercises from 1 in each chapter
- `lab`: the contents manager of `make lab`, so that a chapter opens in JupyterLab unchanged
- `execution`: the executed chapters shared by the tests and the build (jupyter-cache)
- `pytest_plugin`: the chapters as nbval tests, each kept executed for the build
- `handout`: the workshop handout, every chapter as a Jupyter notebook
- `myst_markdown`: MyST markup found by myst-parser's own parser, for the handout to rewrite
"""
