"""The workshop handout (`make notebooks`): clean notebooks of every TOC chapter, the data, and clear errors."""

import nbformat
import pytest

from booktools import handout
from booktools.book import BOOK, toc_chapters

# the front matter of a MyST chapter, as jupytext reads it
HEADER = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3 (ipykernel)
  language: python
  name: python3
---
"""

CHAPTER = (
    HEADER
    + """
# {title}

```{{code-cell}} ipython3
print(open("data/jet-images.h5").read())
```
"""
)


@pytest.fixture
def book(tmp_path):
    folder = tmp_path / "book"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "jet-images.h5").write_text("jets")
    (folder / "data" / "jet-images.h5.tmp123").write_text("half a file")
    (folder / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n  - file: one\n    sections:\n      - file: two\n"
    )
    for stem in ("intro", "one", "two", "not-in-toc"):
        (folder / f"{stem}.md").write_text(CHAPTER.format(title=stem))
    return folder


def test_clean_handout_has_every_toc_chapter_and_the_data(book, tmp_path):
    out = handout.write_handout(tmp_path / "handout", book)
    assert sorted(p.name for p in out.glob("*.ipynb")) == [
        "intro.ipynb",
        "one.ipynb",
        "two.ipynb",
    ]
    assert (out / "data" / "jet-images.h5").read_text() == "jets"
    assert not (out / "data" / "jet-images.h5.tmp123").exists()
    notebook = nbformat.read(out / "one.ipynb", as_version=4)
    nbformat.validate(notebook)
    assert "jupytext" not in notebook.metadata
    assert notebook.metadata.kernelspec.name == "python3"
    assert [cell.outputs for cell in notebook.cells if cell.cell_type == "code"] == [[]]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".handout")], (
        "the staging folder was left behind"
    )


def test_executed_handout_runs_in_the_handout_folder(book, tmp_path):
    out = handout.write_handout(tmp_path / "handout", book, executed=True)
    notebook = nbformat.read(out / "two.ipynb", as_version=4)
    (output,) = notebook.cells[1].outputs
    assert output.text.strip() == "jets"


GLUED = """\
```{{code-cell}} ipython3
from myst_nb import glue

glue("w_mass", 80.3692, display=False)
```

The W mass is {{glue:text}}`w_mass:.1f` GeV{more}.
"""


@pytest.fixture
def glued_book(book):
    (book / "one.md").write_text(CHAPTER.format(title="one") + GLUED.format(more=""))
    (book / "two.md").write_text(
        CHAPTER.format(title="two")
        + GLUED.format(more=", {glue:text}`one.md::w_mass:.0f` in one")
    )
    return book


def test_executed_handout_pastes_glued_numbers_from_its_own_and_other_chapters(
    glued_book, tmp_path
):
    out = handout.write_handout(tmp_path / "handout", glued_book, executed=True)
    text = "\n".join(markdown_cells(nbformat.read(out / "two.ipynb", as_version=4)))
    assert "The W mass is 80.4 GeV, 80 in one." in text


def test_clean_handout_names_each_glued_number_and_says_where_it_comes_from(
    glued_book, tmp_path
):
    out = handout.write_handout(tmp_path / "handout", glued_book)
    text = "\n".join(markdown_cells(nbformat.read(out / "two.ipynb", as_version=4)))
    assert "The W mass is `w_mass` GeV, `w_mass` in one." in text
    assert "the cell that\ncomputes it prints it" in (out / "README.md").read_text()


def test_a_number_no_chapter_recorded_is_a_clear_error(glued_book, tmp_path):
    (glued_book / "two.md").write_text(
        CHAPTER.format(title="two") + "Mass {glue:text}`one.md::z_mass:.1f`.\n"
    )
    with pytest.raises(
        handout.HandoutError,
        match="two pastes 'z_mass' from one, which did not record it",
    ):
        handout.write_handout(tmp_path / "handout", glued_book, executed=True)
    assert not (tmp_path / "handout").exists()


def test_a_second_run_replaces_the_first(book, tmp_path):
    handout.write_handout(tmp_path / "handout", book)
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    out = handout.write_handout(tmp_path / "handout", book)
    assert sorted(p.name for p in out.glob("*.ipynb")) == ["intro.ipynb"]


def test_missing_data_file_is_a_clear_error(book, tmp_path, capsys):
    (book / "data" / "jet-images.h5").unlink()
    assert handout.main([str(tmp_path / "handout"), "--book", str(book)]) == 2
    assert "jet-images.h5 is missing" in capsys.readouterr().err
    assert not (tmp_path / "handout").exists()


def test_refuses_to_replace_a_folder_it_did_not_make(book, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(handout.HandoutError, match="not made by this command"):
        handout.write_handout(tmp_path / "mine", book)
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"


EXERCISES = (
    HEADER
    + """
(tasks)=
# Tasks

Start with {ref}`task-mass`, then read {doc}`one` and {ref}`the tasks <tasks>`.

::::{exercise} Find the mass
:label: task-mass

Histogram the groomed mass.

:::{admonition} Hint
:class: dropdown
Use `np.histogram`.
:::
::::

:::{solution} task-mass
:class: dropdown

```python
np.histogram(mass)
```
:::

:::{exercise}
:label: task-plot

Plot it.
:::

:::{solution-start} task-plot
:class: dropdown
:::

First the figure:

```{code-cell} ipython3
figure = "made"
```

and then its title.

:::{solution-end}
:::

```{code-cell} ipython3
after = "not a solution"
```
"""
)


def markdown_cells(notebook) -> list[str]:
    return [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]


def test_exercises_become_headings_and_solutions_closed_details(tmp_path):
    (tmp_path / "tasks.md").write_text(EXERCISES)
    notebook = handout.clean_notebook(tmp_path / "tasks.md")
    first, second = markdown_cells(notebook)
    assert first.lstrip().startswith("# Tasks"), first
    assert (
        "Start with Exercise 1 (Find the mass), then read [one](one.ipynb) and the tasks."
        in first
    )
    assert "### Exercise 1: Find the mass\n" in first
    assert "<details>\n<summary><b>Hint</b>" in first and "Use `np.histogram`." in first
    solution = first[
        first.index("Solution to exercise 1") - len("<details>\n<summary><b>") :
    ]
    assert solution.startswith(
        "<details>\n<summary><b>Solution to exercise 1</b> (Find the mass)"
    )
    assert (
        "```python\nnp.histogram(mass)\n```" in solution
        and solution.rstrip().endswith("</details>")
    )
    assert "### Exercise 2\n" in first and "Plot it." in first
    assert first.rstrip().endswith("First the figure:\n\n</details>")
    assert "<summary><b>Solution to exercise 2</b>, continued" in second
    assert second.count("</details>") == 1 and "and then its title." in second
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [
        cell.metadata.get("jupyter", {}).get("source_hidden", False) for cell in code
    ] == [True, False]
    for text in markdown_cells(notebook):
        assert (
            not handout.DIRECTIVE.search(text)
            and "{ref}" not in text
            and "{doc}" not in text
        )
        assert "(tasks)=" not in text


def test_a_solution_to_an_unknown_exercise_is_a_clear_error(tmp_path):
    (tmp_path / "bad.md").write_text(
        EXERCISES.replace(":::{solution} task-mass", ":::{solution} task-masss")
    )
    with pytest.raises(
        handout.HandoutError,
        match="'task-masss', but no exercise in its chapter has that :label:",
    ):
        handout.clean_notebook(tmp_path / "bad.md")


def test_an_unknown_directive_is_a_clear_error(tmp_path):
    (tmp_path / "bad.md").write_text(
        EXERCISES.replace("{admonition} Hint", "{figure} mass.png")
    )
    with pytest.raises(
        handout.HandoutError, match=r"\{figure\} has no plain-Markdown form"
    ):
        handout.clean_notebook(tmp_path / "bad.md")


@pytest.mark.parametrize("stem", toc_chapters(BOOK))
def test_no_myst_markup_is_left_in_the_book_s_handout(stem):
    source = (BOOK / f"{stem}.md").read_text()
    notebook = handout.clean_notebook(BOOK / f"{stem}.md")
    text = "\n".join(markdown_cells(notebook))
    left = [
        line
        for line in text.splitlines()
        if handout.DIRECTIVE.match(line) or handout.TARGET.match(line)
    ]
    left += handout.ROLE.findall(text) + handout.GLUE.findall(text)
    assert not left, (
        f"{stem}: MyST markup that JupyterLab would show as raw text: {left}"
    )
    assert text.count("### Exercise ") == source.count("{exercise}")
    assert text.count("<b>Solution to exercise") >= source.count(
        "{solution}"
    ) + source.count("{solution-start}")
