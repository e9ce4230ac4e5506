"""The book's table of contents, its chapter files, and every file a chapter names agree."""

import re
from pathlib import Path

import pytest

from conftest import BOOK, toc_chapters

CHAPTERS = sorted(path.stem for path in BOOK.glob("*.md"))
# quoted paths like "data/jet-images.h5" in code, and ![alt](img/x.svg) or {image} img/x.svg in prose
LOCAL_PATH = re.compile(r"""(?:["'(\s]|^)((?:data|img)/[\w./-]+\.\w+)""", re.MULTILINE)


def test_every_toc_entry_exists():
    missing = [stem for stem in toc_chapters() if not (BOOK / f"{stem}.md").is_file()]
    assert not missing, f"_toc.yml lists chapters with no file: {missing}"


def test_every_chapter_is_in_the_toc():
    orphans = sorted(set(CHAPTERS) - set(toc_chapters()))
    assert not orphans, f"chapters not in _toc.yml (the build would skip them): {orphans}"


@pytest.mark.parametrize("stem", CHAPTERS)
def test_every_named_file_exists(stem):
    text = (BOOK / f"{stem}.md").read_text()
    missing = sorted({p for p in LOCAL_PATH.findall(text) if not (BOOK / p).exists()})
    assert not missing, f"{stem}.md names files that do not exist next to it: {missing}"


@pytest.mark.parametrize("stem", CHAPTERS)
def test_every_chapter_declares_its_timeout(stem):
    header = (BOOK / f"{stem}.md").read_text().split("---")[1]
    assert re.search(r"^mystnb:\s*\n\s+execution_timeout:\s*\d+", header, re.MULTILINE), (
        f"{stem}.md must set mystnb.execution_timeout in its header"
    )
