"""The workshop handout (`make notebooks`): clean notebooks of every TOC chapter, the data, and clear errors."""

import copy

import nbformat
import pytest

from booktools import handout
from booktools.book import BOOK, toc_chapters
from booktools.myst_markdown import PARSER
from jetimages.errors import UsageError

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


def test_the_handout_tells_students_to_install_the_students_set(glued_book, tmp_path):
    readme = (
        handout.write_handout(tmp_path / "h", glued_book) / "README.md"
    ).read_text()
    assert "pip install -e '.[student]' -c requirements.lock" in readme
    assert "[authors]" not in readme


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


def test_refuses_to_replace_a_folder_it_did_not_make(book, tmp_path, capsys):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(UsageError, match="not made by this command.*force=True"):
        handout.write_handout(tmp_path / "mine", book)
    assert handout.main([str(tmp_path / "mine"), "--book", str(book)]) == 2
    assert "add --force" in capsys.readouterr().err
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book", "mine"]


def test_force_replaces_a_folder_it_did_not_make(book, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("not precious after all")
    handout.write_handout(tmp_path / "mine", book, force=True)
    assert not (tmp_path / "mine" / "thesis.tex").exists()
    assert (tmp_path / "mine" / "README.md").is_file()


def test_an_error_while_writing_leaves_the_old_handout(book, tmp_path, monkeypatch):
    out = handout.write_handout(tmp_path / "handout", book)
    before = sorted(p.name for p in out.iterdir())

    def broken(*args, **kwargs):
        raise OSError("disk on fire")

    monkeypatch.setattr(handout.nbformat, "write", broken)
    with pytest.raises(OSError, match="disk on fire"):
        handout.write_handout(tmp_path / "handout", book)
    assert sorted(p.name for p in out.iterdir()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book", "handout"]


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


def myst_markup(markdown: str) -> list[str]:
    """The MyST markup that the website's parser finds in markdown (JupyterLab shows it raw): the
    first line of each directive, target and comment, and each role."""
    lines, left = markdown.split("\n"), []
    for token in PARSER.parse(markdown):
        if token.type in ("colon_fence", "myst_target", "myst_line_comment") or (
            token.type == "fence" and token.info.startswith("{")
        ):
            left.append(lines[token.map[0]])
        left += [
            f"{{{child.meta['name']}}}`{child.content}`"
            for child in token.children or []
            if child.type == "myst_role"
        ]
    return left


def test_myst_markup_finds_directives_targets_comments_and_roles_but_not_code():
    markdown = """\
(top)=
# Top

% a comment

See {ref}`top`, not ``{ref}`code` ``.

```{note}
A note.
```

```
{doc}`code`
```

:::{exercise}
:::
"""
    assert myst_markup(markdown) == [
        "(top)=",
        "% a comment",
        "{ref}`top`",
        "```{note}",
        ":::{exercise}",
    ]


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
        assert not myst_markup(text), text


CHAPTER_ERRORS = {
    "solution to an unknown exercise": (
        ":::{solution} task-mass",
        ":::{solution} task-masss",
        "'task-masss', but no exercise in its chapter has that :label:",
    ),
    "unknown directive": (
        "{admonition} Hint",
        "{figure} mass.png",
        r"bad.md: .*\{figure\} has no plain-Markdown form",
    ),
    "unknown role": (
        "{doc}`one`",
        "{term}`jet`",
        r"bad.md: the MyST role \{term\} has no plain-Markdown form",
    ),
    "unclosed directive": (
        "Use `np.histogram`.\n:::\n",
        "Use `np.histogram`.\n",
        "bad.md: the MyST directive `:::{admonition} Hint` is never closed by a line "
        "`:::`",
    ),
}


@pytest.mark.parametrize(
    ("good", "bad", "message"), CHAPTER_ERRORS.values(), ids=CHAPTER_ERRORS.keys()
)
def test_a_chapter_the_handout_cannot_translate_is_a_clear_error(
    tmp_path, good, bad, message
):
    assert good in EXERCISES
    (tmp_path / "bad.md").write_text(EXERCISES.replace(good, bad))
    with pytest.raises(handout.HandoutError, match=message):
        handout.clean_notebook(tmp_path / "bad.md")


@pytest.mark.parametrize("stem", toc_chapters(BOOK))
def test_no_myst_markup_is_left_in_the_book_s_handout(stem):
    source = (BOOK / f"{stem}.md").read_text()
    notebook = handout.clean_notebook(BOOK / f"{stem}.md")
    text = "\n".join(markdown_cells(notebook))
    left = [markup for cell in markdown_cells(notebook) for markup in myst_markup(cell)]
    assert not left, (
        f"{stem}: MyST markup that JupyterLab would show as raw text: {left}"
    )
    assert text.count("### Exercise ") == source.count("{exercise}")
    assert text.count("<b>Solution to exercise") >= source.count(
        "{solution}"
    ) + source.count("{solution-start}")


CODE_AND_NESTING = (
    HEADER
    + """
(tasks)=

# Tasks

Write ``{ref}`tasks` `` to get {ref}`tasks`. An exercise is written like this:

````markdown
:::{exercise} Not an exercise
:label: not-one
:::
````

::::{exercise} The only one
:label: only

````{admonition} A hint with code
:class: dropdown
```python
answer = "{doc}`not-a-link`"
```
````
::::

1. Read {doc}`one`:

   :::{note}
   Then try {ref}`only`.
   :::
2. Then the rest.
"""
)


def test_markup_inside_code_stays_and_directives_nest_anywhere(tmp_path):
    (tmp_path / "tasks.md").write_text(CODE_AND_NESTING)
    (markdown,) = markdown_cells(handout.clean_notebook(tmp_path / "tasks.md"))
    assert markdown == (
        """\
# Tasks

Write ``{ref}`tasks` `` to get Tasks. An exercise is written like this:

````markdown
:::{exercise} Not an exercise
:label: not-one
:::
````

### Exercise 1: The only one

<details>
<summary><b>A hint with code</b> (click to open)</summary>

```python
answer = "{doc}`not-a-link`"
```

</details>

1. Read [one](one.ipynb):

   > **Note**
   >
   > Then try Exercise 1 (The only one).
2. Then the rest."""
    )


def test_glued_numbers_are_pasted_where_the_parser_finds_their_roles():
    record = nbformat.v4.new_output(
        "display_data",
        data={"text/plain": "80.3692"},
        metadata={"scrapbook": {"name": "w_mass", "mime_prefix": ""}},
    )
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("glue('w_mass', 80.3692)", outputs=[record]),
            nbformat.v4.new_markdown_cell(
                "| W | {glue:text}`w_mass:.1f` GeV | {glue:text}`one.md::w_mass:.0f` |\n"
                "|---|---|---|\n\n"
                "Written ``{glue:text}`w_mass:.1f` ``: {glue:text}`w_mass`."
            ),
        ]
    )
    handout.paste_glued_values({"one": notebook})
    assert notebook.cells[1].source == (
        "| W | 80.4 GeV | 80 |\n|---|---|---|\n\n"
        "Written ``{glue:text}`w_mass:.1f` ``: 80.3692."
    )


def test_eval_roles_become_the_values_the_website_shows():
    record = nbformat.v4.new_output(
        "display_data",
        data={"text/plain": "-0.0004"},
        metadata={"scrapbook": {"name": "gain", "mime_prefix": ""}},
    )
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("glue('gain', -0.0004)", outputs=[record]),
            nbformat.v4.new_markdown_cell('A gain of {eval}`f"{gain:+.2f}"`.'),
        ]
    )
    clean = copy.deepcopy(notebook)
    handout.MystToMarkdown(clean.cells).rewrite(clean.cells)
    assert clean.cells[1].source == "A gain of `gain`."
    handout.paste_glued_values({"one": notebook})
    assert notebook.cells[1].source == "A gain of +0.00."


@pytest.mark.parametrize(
    ("role", "reference"),
    [
        ("w_mass:.1f", (None, "w_mass", ".1f")),
        ("n_seeds", (None, "n_seeds", "")),
        (
            "21-main-project-solutions.md::auc_q:.2f",
            ("21-main-project-solutions", "auc_q", ".2f"),
        ),
    ],
)
def test_glue_reference(role, reference):
    assert handout.glue_reference(role) == reference


@pytest.mark.parametrize(
    ("text", "format_spec", "shown"),
    [
        ("80.3692", ".1f", "80.4"),
        ("0.9234", ".0%", "92%"),
        ("0.0123", "+.2f", "+0.01"),
        ("12", "d", "12"),
        ("12.0", "", "12.0"),
        ("'W boson'", "", "W boson"),
        ("array([1, 2])", "", "array([1, 2])"),
    ],
)
def test_glued_values_are_formatted_as_the_website_formats_them(
    text, format_spec, shown
):
    # the handout formats with myst-nb's own function, as the website does
    assert handout.format_plain_text(text, format_spec) == shown
