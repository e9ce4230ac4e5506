"""The cache of executed chapters that the tests fill and the build reads (booktools.execution)."""

import subprocess
import sys

import jupytext
import nbformat
import pytest
from myst_nb.core.read import read_myst_markdown_notebook
from myst_parser.config.main import MdParserConfig

from booktools import execution
from booktools.book import BOOK, toc_chapters
from jetimages.layout import WORKSHOP_VARIABLE

CHAPTER = """\
---
jupytext:
  formats: md:myst
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3 (ipykernel)
  language: python
  name: python3
---
# A chapter

```{code-cell}
x = 6 * 7
```

Some prose.

```{code-cell}
:tags: [hide-input]
print(x)
```
"""


@pytest.fixture
def inputs(tmp_path, monkeypatch):
    """A repository with one package file and one data file as the chapters' inputs."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "code.py").write_text("ANSWER = 42\n")
    (tmp_path / "data.h5").write_bytes(b"\x89HDF")
    monkeypatch.setattr(execution, "ROOT", tmp_path)
    monkeypatch.setattr(execution, "INPUT_PATTERNS", ("pkg/*.py", "data.h5"))
    return tmp_path


def executed(notebook):
    for number, cell in enumerate(c for c in notebook.cells if c.cell_type == "code"):
        cell.execution_count = number + 1
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="42\n")]
    return notebook


def keep(cache, path, fingerprint):
    """Keep the chapter at `path` as if it had run, with the inputs of `fingerprint`."""
    notebook = jupytext.read(path)
    execution.keep_executed(cache, executed(notebook), path, 1.0, fingerprint)
    return jupytext.read(path)


def found(folder, notebook) -> bool:
    """Whether a session that starts now would take `notebook` from the cache."""
    fingerprint = execution.inputs_fingerprint()
    cache = execution.open_cache(folder, fingerprint)
    return execution.executed_copy(cache, notebook, fingerprint) is not None


def test_a_kept_chapter_is_found_by_its_code(inputs, tmp_path):
    (tmp_path / "chapter.md").write_text(CHAPTER)
    assert not found(tmp_path / "cache", jupytext.read(tmp_path / "chapter.md"))
    cache = execution.open_cache(tmp_path / "cache")
    keep(cache, tmp_path / "chapter.md", execution.inputs_fingerprint())
    # the prose may change; the code may not
    edited = CHAPTER.replace("Some prose.", "Other prose.")
    assert found(tmp_path / "cache", jupytext.reads(edited, fmt="md"))
    changed = CHAPTER.replace("6 * 7", "7 * 6")
    assert not found(tmp_path / "cache", jupytext.reads(changed, fmt="md"))


@pytest.mark.parametrize("changed", ["pkg/code.py", "data.h5"])
def test_the_cache_is_emptied_when_an_input_changes(inputs, tmp_path, changed):
    (tmp_path / "chapter.md").write_text(CHAPTER)
    cache = execution.open_cache(tmp_path / "cache")
    notebook = keep(cache, tmp_path / "chapter.md", execution.inputs_fingerprint())
    assert found(tmp_path / "cache", notebook)

    (tmp_path / changed).write_bytes((tmp_path / changed).read_bytes() + b" ")
    assert not found(tmp_path / "cache", notebook)


def test_a_new_input_file_empties_the_cache(inputs, tmp_path):
    before = execution.inputs_fingerprint()
    (tmp_path / "pkg" / "more.py").write_text("")
    assert execution.inputs_fingerprint() != before


def test_another_chapters_shared_cells_are_inputs(inputs):
    # a chapter may run the cells of another one tagged shared-with-benchmark
    chapter = inputs / BOOK.name / "model.md"
    chapter.parent.mkdir()
    tagged = "```{code-cell}\n:tags: [shared-with-benchmark]\nWIDTH = %d\n```\n"
    chapter.write_text(CHAPTER + tagged % 32)
    before = execution.inputs_fingerprint()
    chapter.write_text(CHAPTER.replace("Some prose.", "Other prose.") + tagged % 32)
    assert execution.inputs_fingerprint() == before, "the prose is not an input"
    chapter.write_text(CHAPTER + tagged % 64)
    assert execution.inputs_fingerprint() != before


def test_workshop_mode_is_an_input(inputs, monkeypatch):
    # chapters trained with fewer epochs must not be kept as the book's full runs
    monkeypatch.delenv(WORKSHOP_VARIABLE, raising=False)
    before = execution.inputs_fingerprint()
    monkeypatch.setenv(WORKSHOP_VARIABLE, "1")
    assert execution.inputs_fingerprint() != before


def test_hidden_files_beside_the_data_are_not_inputs(inputs, tmp_path):
    before = execution.inputs_fingerprint()
    (tmp_path / ".data.h5.jetimages-lock").write_text("")
    assert execution.inputs_fingerprint() == before


def test_a_cache_without_fingerprint_is_not_trusted(inputs, tmp_path):
    (tmp_path / "chapter.md").write_text(CHAPTER)
    cache = execution.open_cache(tmp_path / "cache")
    notebook = keep(cache, tmp_path / "chapter.md", execution.inputs_fingerprint())
    (tmp_path / "cache" / execution.FINGERPRINT_FILE).unlink()  # made by another tool
    assert not found(tmp_path / "cache", notebook)


def test_a_chapter_kept_with_other_inputs_is_not_taken(inputs, tmp_path):
    """Kept by a session whose inputs changed while it ran, or by the build (which
    records no inputs): the tests run the chapter again."""
    (tmp_path / "chapter.md").write_text(CHAPTER)
    cache = execution.open_cache(tmp_path / "cache")
    notebook = keep(cache, tmp_path / "chapter.md", "another fingerprint")
    assert not found(tmp_path / "cache", notebook)


def test_the_installed_versions_are_inputs():
    versions = execution.installed_versions()
    assert any(line.startswith("torch==") for line in versions)
    assert versions[0] == sys.version


def test_the_package_data_and_results_are_inputs():
    names = {
        path.relative_to(execution.ROOT).as_posix()
        for path in execution.chapter_inputs()
    }
    assert "jetlearn/training.py" in names
    assert "jetimages/images.py" in names
    assert f"{BOOK.name}/data/jet-images.h5" in names
    assert "benchmarks/results/cnn_models.json" in names
    assert "requirements.lock" in names


@pytest.mark.parametrize("stem", toc_chapters())
def test_the_build_and_the_tests_read_a_chapter_as_the_same_notebook(stem, tmp_path):
    """The tests read chapters with jupytext, the build with myst-nb: jupyter-cache must give
    both the same key, or the build would run every chapter again."""
    path = BOOK / f"{stem}.md"
    cache = execution.open_cache(tmp_path / "cache", fingerprint="test")
    by_jupytext = jupytext.read(path)
    by_myst_nb = read_myst_markdown_notebook(
        path.read_text(), MdParserConfig(), path=path
    )
    assert (
        cache.create_hashed_notebook(by_jupytext)[1]
        == cache.create_hashed_notebook(by_myst_nb)[1]
    )


def test_the_book_s_machinery_reads_where_things_are_without_pytorch():
    """booktools needs the layout of the repository, not the chapters' toolkit: importing
    it must not load PyTorch (seconds, and gigabytes, for a path and a name)."""
    code = (
        "import sys, booktools.execution, booktools.book; print('torch' in sys.modules)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert shown.stdout.strip() == "False"
