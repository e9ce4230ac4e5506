"""JupyterLab's contents manager for the chapters (booktools.lab)."""

import asyncio
import shutil
from pathlib import Path

import jupytext

from booktools.lab import ChapterContentsManager

HIDDEN_SOLUTION = (
    Path(__file__).parents[2] / "tests" / "fixtures" / "hidden-solution.md"
)


def hidden_sources(path: Path) -> set[str]:
    notebook = jupytext.read(path)
    return {
        cell.source
        for cell in notebook.cells
        if cell.metadata.get("jupyter", {}).get("source_hidden")
    }


def test_saving_a_chapter_with_its_solution_opened_keeps_the_solution_hidden(tmp_path):
    shutil.copy(HIDDEN_SOLUTION, tmp_path / "chapter.md")
    hidden = hidden_sources(tmp_path / "chapter.md")
    assert len(hidden) == 3, "the fixture hides two text cells and one code cell"
    manager = ChapterContentsManager(root_dir=str(tmp_path))

    async def open_the_solution_and_save():
        model = await manager.get("chapter.md", content=True, type="notebook")
        for cell in model["content"]["cells"]:
            cell["metadata"].pop("jupyter", None)  # what opening a hidden cell does
        model["content"]["cells"][-1]["source"] += "\n# the student's own note"
        await manager.save(
            {"type": "notebook", "format": "json", "content": model["content"]},
            "chapter.md",
        )

    asyncio.run(open_the_solution_and_save())
    assert hidden_sources(tmp_path / "chapter.md") == hidden
    assert "the student's own note" in (tmp_path / "chapter.md").read_text()
