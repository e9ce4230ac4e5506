"""safe_output.replacing, for any file or folder (such as the book's handout): written
beside its target, renamed into place only when complete, replacing only what this tool
made unless forced, and leaving nothing behind when it fails or is killed."""

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from jetimages.errors import UsageError
from jetimages.safe_output import replacing

MARKER = "made-by-this-tool"


def not_ours(path: Path) -> str | None:
    return None if (path / MARKER).is_file() else "was not made by this command"


def write_folder(path: Path, force: bool = False, **files: str) -> Path:
    with replacing(
        path,
        "outdir",
        description="the folder",
        why_not_ours=not_ours,
        force=force,
        folder=True,
    ) as staging:
        assert staging.is_dir() and not any(staging.iterdir())
        for name, text in {MARKER: "", **files}.items():
            (staging / name).write_text(text)
    return path


def listing(folder: Path) -> dict[str, str]:
    """Every file under `folder`, with its text."""
    return {
        str(path.relative_to(folder)): path.read_text()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_a_new_folder_appears_only_once_complete(tmp_path):
    target = tmp_path / "handout"
    with replacing(
        target, "outdir", description="the folder", why_not_ours=not_ours, folder=True
    ) as staging:
        (staging / "a.txt").write_text("new")
        assert not target.exists()
    assert listing(tmp_path) == {"handout/a.txt": "new"}


def test_a_folder_this_tool_made_is_replaced_whole_and_keeps_its_permissions(
    tmp_path,
):
    target = write_folder(tmp_path / "handout", old="old")
    target.chmod(0o750)
    write_folder(target, new="new")
    assert listing(tmp_path) == {"handout/made-by-this-tool": "", "handout/new": "new"}
    assert stat.S_IMODE(target.stat().st_mode) == 0o750


def test_another_folder_is_replaced_only_when_forced(tmp_path):
    target = tmp_path / "notes"
    target.mkdir()
    (target / "mine.txt").write_text("mine")
    with pytest.raises(UsageError) as refused:
        write_folder(target, new="new")
    assert str(refused.value) == (
        f"outdir {target} exists and was not made by this command: give another path, "
        "or add force=True to replace it"
    )
    assert listing(tmp_path) == {"notes/mine.txt": "mine"}
    write_folder(target, force=True, new="new")
    assert listing(tmp_path) == {"notes/made-by-this-tool": "", "notes/new": "new"}


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_a_failed_write_leaves_the_old_folder_and_nothing_else(tmp_path, error):
    target = write_folder(tmp_path / "handout", old="old")
    before = listing(tmp_path)

    def fail_halfway():
        with replacing(
            target,
            "outdir",
            description="the folder",
            why_not_ours=not_ours,
            folder=True,
        ) as staging:
            (staging / "half").write_text("half")
            raise error

    with pytest.raises(error):
        fail_halfway()
    assert listing(tmp_path) == before
    assert os.listdir(tmp_path) == ["handout"]


def test_a_file_is_replaced_the_same_way_and_never_by_a_folder(tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("old")
    target.chmod(0o640)
    with replacing(
        target, "out", description="the file", why_not_ours=lambda path: None
    ) as temporary:
        assert not temporary.exists()
        temporary.write_text("new")
        assert target.read_text() == "old"
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert os.listdir(tmp_path) == ["notes.txt"]
    with pytest.raises(UsageError, match="exists and is not a folder"):
        write_folder(target)


KILLED_WRITE = """
import os, signal, sys
from pathlib import Path
from jetimages.safe_output import replacing

with replacing(Path(sys.argv[1]), "outdir", description="the folder",
               why_not_ours=lambda path: None, folder=True) as staging:
    (staging / "half").write_text("half a folder")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_the_folder_a_killed_run_left_is_removed_by_the_next(tmp_path, capsys):
    target = tmp_path / "handout"
    killed = subprocess.run([sys.executable, "-c", KILLED_WRITE, str(target)])
    assert killed.returncode == -signal.SIGKILL
    (leftover,) = tmp_path.glob(".handout.jetimages-*.tmp")
    assert leftover.is_dir()
    write_folder(target, new="new")
    assert capsys.readouterr().err == (
        f"removed {leftover}, left behind by an interrupted write of handout\n"
    )
    assert os.listdir(tmp_path) == ["handout"]
