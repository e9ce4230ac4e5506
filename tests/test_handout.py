"""The workshop handout (`make notebooks`): clean notebooks of every TOC chapter, the data, and clear errors."""

import nbformat
import pytest

from jetimages import handout

CHAPTER = """\
---
jupytext:
  formats: md:myst
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3 (ipykernel)
  language: python
  name: python3
---

# {title}

```{{code-cell}} ipython3
print(open("data/jet-images.h5").read())
```
"""


@pytest.fixture
def book(tmp_path):
    folder = tmp_path / "book"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "jet-images.h5").write_text("jets")
    (folder / "data" / "jet-images.h5.tmp123").write_text("half a file")
    (folder / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: one\n    sections:\n      - file: two\n")
    for stem in ("intro", "one", "two", "not-in-toc"):
        (folder / f"{stem}.md").write_text(CHAPTER.format(title=stem))
    return folder


def test_clean_handout_has_every_toc_chapter_and_the_data(book, tmp_path):
    out = handout.write_handout(tmp_path / "handout", book)
    assert sorted(p.name for p in out.glob("*.ipynb")) == ["intro.ipynb", "one.ipynb", "two.ipynb"]
    assert (out / "data" / "jet-images.h5").read_text() == "jets"
    assert not (out / "data" / "jet-images.h5.tmp123").exists()
    notebook = nbformat.read(out / "one.ipynb", as_version=4)
    nbformat.validate(notebook)
    assert "jupytext" not in notebook.metadata
    assert notebook.metadata.kernelspec.name == "python3"
    assert [cell.outputs for cell in notebook.cells if cell.cell_type == "code"] == [[]]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".handout")], "the staging folder was left behind"


def test_executed_handout_runs_in_the_handout_folder(book, tmp_path):
    out = handout.write_handout(tmp_path / "handout", book, executed=True)
    notebook = nbformat.read(out / "two.ipynb", as_version=4)
    (output,) = notebook.cells[1].outputs
    assert output.text.strip() == "jets"


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
