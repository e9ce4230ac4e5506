"""What generate and merge do to the files around their outputs: they replace only
datasets of this tool (or anything, with --force), remove only temporary files they
provably made, stop a second run on the same output at its start, and fail on a full
disk with one line, the old files intact."""

import errno
import inspect
import os
import pickle
import re
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import filelock
import h5py
import pytest

from jetimages import dataset, errors, safe_output, schema
from jetimages import generate as generate_module
from jetimages.__main__ import OPTIONS, exit_status, main
from jetimages.generate import generate, merge

from .synthetic import arrays_for, write_shards, write_whole


@pytest.fixture
def simulation(monkeypatch):
    """Random arrays instead of simulated jets; the tasks it was asked for, in a
    list."""
    calls = []

    def simulate(tasks, *args):
        calls.append(tasks)
        return arrays_for(tasks)

    monkeypatch.setattr(generate_module, "simulate_blocks", simulate)
    return calls


def run(capsys, *args) -> tuple[int, str]:
    """main(args): its exit status and what it printed on stderr, at most one line."""
    code = main([*map(str, args)])
    error = capsys.readouterr().err
    assert error.count("\n") <= 1, f"more than one line: {error!r}"
    return code, error


def generate_args(out, *args) -> list[str]:
    return ["generate", "--jets-per-class", "3", "--out", *map(str, [out, *args])]


FILES = ("images", "constituents")


def contents(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir()}


# --- what is replaced ---


@pytest.mark.parametrize("option", ["--out", "--constituents-out"])
def test_a_file_that_is_not_a_dataset_is_not_replaced(
    tmp_path, capsys, simulation, option
):
    outputs = {
        "--out": tmp_path / "jets.h5",
        "--constituents-out": tmp_path / "parts.h5",
    }
    outputs[option].write_text("my notes")
    args = ["--constituents-out", outputs["--constituents-out"]]
    code, error = run(capsys, *generate_args(outputs["--out"], *args))
    assert code == 2 and not simulation
    assert error.startswith(
        f"error: {option} {outputs[option]} exists and is not a dataset"
    )
    assert "--force" in error
    assert outputs[option].read_text() == "my notes"
    assert os.listdir(tmp_path) == [outputs[option].name]


def test_an_hdf5_file_of_another_kind_is_not_replaced(tmp_path, capsys, simulation):
    other = tmp_path / "jets.h5"
    write_whole(other)
    with h5py.File(other, "r+") as file:
        del file.attrs["label_order"]
    code, error = run(capsys, *generate_args(other))
    assert code == 2 and "no attribute 'label_order'" in error and not simulation


@pytest.mark.usefixtures("simulation")
def test_force_replaces_any_file_and_keeps_a_read_only_mode(tmp_path, capsys):
    notes = tmp_path / "jets.h5"
    notes.write_text("my notes")
    notes.chmod(0o444)
    code, error = run(capsys, *generate_args(notes))
    assert code == 2 and "is read-only: add --force" in error
    assert run(capsys, *generate_args(notes, "--force"))[0] == 0
    assert len(dataset.load_dataset(notes, constituents=True)) == 15
    assert stat.S_IMODE(notes.stat().st_mode) == 0o444


@pytest.mark.usefixtures("simulation")
def test_a_replaced_dataset_keeps_its_permissions(tmp_path, capsys):
    target = write_whole(tmp_path / "jet-images.h5")
    target.chmod(0o640)
    assert run(capsys, *generate_args(target))[0] == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    constituents = schema.constituents_path(target)
    assert stat.S_IMODE(constituents.stat().st_mode) == 0o644  # as it was


@pytest.mark.usefixtures("simulation")
def test_a_special_file_is_never_replaced(tmp_path, capsys):
    pipe = tmp_path / "jets.h5"
    os.mkfifo(pipe)
    code, error = run(capsys, *generate_args(pipe, "--force"))
    assert code == 2 and "is not a regular file" in error
    assert stat.S_ISFIFO(pipe.stat().st_mode)


def test_merge_replaces_only_a_dataset_too(tmp_path, capsys):
    shards = write_shards(tmp_path, jets_per_class=3, shards=2)
    notes = tmp_path / "all.h5"
    notes.write_text("my notes")
    code, error = run(capsys, "merge", *shards, "--out", notes)
    assert code == 2 and "is not a dataset of this tool" in error
    assert notes.read_text() == "my notes"
    assert run(capsys, "merge", *shards, "--out", notes, "--force")[0] == 0
    assert len(dataset.load_dataset(notes)) == 15


def test_help_says_what_is_replaced_and_what_the_exit_statuses_are(capsys):
    for command in ("generate", "merge"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert (
            "replaced, whole and only once the new one is complete, if it is a dataset"
            in text
        )
        assert "--force replace the outputs even if they are not datasets" in text
        assert "2 a usage error" in text and "3 a damaged input" in text


# --- temporary files: only the tool's own are removed ---


KILLED_WRITE = """
import os, signal, sys
from pathlib import Path
from jetimages import safe_output

target = Path(sys.argv[1])
locks = safe_output.OutputLocks()
locks.acquire(target)
locks.temporary(target).write_bytes(b"half a file")
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.usefixtures("simulation")
def test_only_the_leftovers_of_a_killed_run_are_removed(tmp_path, capsys):
    """A run killed while writing leaves its temporary file, its lock file and the list
    of its temporaries; the next run that goes ahead removes that file, with a note, and
    nothing else: not a user's file named like a temporary one, not even one named as
    the tool names them."""
    target = tmp_path / "jet-images.h5"
    killed = subprocess.run([sys.executable, "-c", KILLED_WRITE, str(target)])
    assert killed.returncode == -signal.SIGKILL
    (leftover,) = tmp_path.glob(".jet-images.h5.jetimages-*.tmp")
    assert (tmp_path / ".jet-images.h5.jetimages-lock").exists()
    listed = (tmp_path / ".jet-images.h5.jetimages-temporaries").read_text()
    assert listed.splitlines()[1:] == [leftover.name]
    names = ["jet-images.h5.backup.tmp", "jet-images.h5.k3j_x9a2.tmp"]
    names.append(".jet-images.h5.jetimages-0123456789abcdef.tmp")
    for name in names:
        (tmp_path / name).write_text("mine")

    # a command that fails its checks removes nothing
    assert run(capsys, *generate_args(target, "--seed", "-1"))[0] == 2
    assert leftover.exists()

    code, error = run(capsys, *generate_args(target))
    note = f"removed {leftover}, left behind by an interrupted write of {target.name}"
    assert (code, error) == (0, note + "\n")
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["jet-images.h5", "jet-constituents.h5", *names]
    )


def test_a_failed_merge_leaves_a_users_tmp_file_alone(tmp_path, capsys):
    shards = write_shards(tmp_path, jets_per_class=3, shards=2)
    folder = tmp_path / "d"
    folder.mkdir()
    backup = folder / "jet-images.h5.backup.tmp"
    backup.write_text("mine")
    code, error = run(
        capsys,
        "merge",
        shards[0],
        tmp_path / "nope.h5",
        "--out",
        folder / "jet-images.h5",
    )
    assert code == 2 and "nope.h5 does not exist" in error
    assert os.listdir(folder) == [backup.name]


@pytest.mark.parametrize("name", ["jetimages-lock", "jetimages-temporaries"])
def test_a_lock_file_the_tool_did_not_make_is_left_alone(
    tmp_path, capsys, simulation, name
):
    """Nor a list of temporaries: both keep what they held, and so do the files named
    in them."""
    target = tmp_path / "jets.h5"
    in_the_way = tmp_path / f".jets.h5.{name}"
    in_the_way.write_text(".jets.h5.jetimages-0123456789abcdef.tmp\n")
    (tmp_path / ".jets.h5.jetimages-0123456789abcdef.tmp").write_text("mine")
    code, error = run(capsys, *generate_args(target))
    assert code == 2 and error == (
        f"error: {in_the_way} is in the way: this tool did not make it; move it\n"
    )
    assert len(os.listdir(tmp_path)) == 2 and not simulation
    assert in_the_way.read_text() == ".jets.h5.jetimages-0123456789abcdef.tmp\n"


@pytest.mark.usefixtures("simulation")
def test_the_lock_file_of_the_tool_before_filelock_still_counts(tmp_path, capsys):
    """The lock file itself listed the temporaries before the lock was filelock's."""
    target = tmp_path / "jets.h5"
    leftover = tmp_path / ".jets.h5.jetimages-0123456789abcdef.tmp"
    (tmp_path / ".jets.h5.jetimages-lock").write_text(
        "jetimages: locked by a run writing this file; its temporary files:\n"
        + leftover.name
        + "\n"
    )
    leftover.write_text("half a file")
    code, error = run(capsys, *generate_args(target))
    assert code == 0 and error.startswith(f"removed {leftover}, left behind by ")
    assert sorted(os.listdir(tmp_path)) == ["jets-constituents.h5", "jets.h5"]


# --- two runs on one output ---


@pytest.mark.parametrize("held", ["jet-images.h5", "jet-constituents.h5"])
def test_a_second_run_on_the_same_output_stops_at_its_start(
    tmp_path, capsys, simulation, held
):
    """The lock is a file lock (flock): the same for another process as for this one."""
    target = tmp_path / "jet-images.h5"
    with safe_output.locked_outputs([tmp_path / held]):
        code, error = run(capsys, *generate_args(target))
        assert code == 2 and not simulation
        assert error.startswith(f"error: another run is writing {tmp_path / held} now")
        assert not target.exists()
    assert run(capsys, *generate_args(target))[0] == 0
    assert sorted(os.listdir(tmp_path)) == ["jet-constituents.h5", "jet-images.h5"]


@pytest.mark.usefixtures("simulation")
def test_the_lock_is_a_filelock(tmp_path, capsys):
    """Another program, or a second run, that locks the lock file with filelock stops
    a run, and a run's lock stops it."""
    target = tmp_path / "jet-images.h5"
    other = filelock.FileLock(tmp_path / ".jet-images.h5.jetimages-lock", timeout=0)
    with other:
        code, error = run(capsys, *generate_args(target))
        assert code == 2 and not target.exists()
        assert error.startswith(f"error: another run is writing {target} now")
    with safe_output.locked_outputs([target]), pytest.raises(filelock.Timeout):
        other.acquire()
    assert not other.is_locked


def test_the_lock_is_held_from_the_start_of_a_run_to_its_end(
    tmp_path, capsys, monkeypatch
):
    target = tmp_path / "jet-images.h5"

    def simulate(tasks, *args):  # a second run, started while the first one simulates
        assert main(generate_args(target)) == 2
        return arrays_for(tasks)

    monkeypatch.setattr(generate_module, "simulate_blocks", simulate)
    assert main(generate_args(target)) == 0
    error = capsys.readouterr().err
    assert (
        error.startswith(f"error: another run is writing {target} now")
        and error.count("\n") == 1
    )


# --- a full disk ---


def test_too_little_space_is_found_before_the_simulation(
    tmp_path, capsys, simulation, monkeypatch
):
    target = write_whole(tmp_path / "jet-images.h5")
    before = contents(tmp_path)
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage._replace(free=10**6))
    code, error = run(capsys, "generate", "--jets-per-class", "1000", "--out", target)
    assert code == 1 and not simulation
    assert error.startswith(
        f"error: not enough space for {target} and "
        f"{schema.constituents_path(target)}: about "
    )
    needed = sum(
        generate_module.estimated_size(schema.arrays_of(f), 5000) for f in FILES
    )
    assert f": about {needed / 1e6:.1f} MB needed, 1.0 MB free; " in error
    assert contents(tmp_path) == before


def test_merge_checks_the_space_before_it_writes(tmp_path, capsys, monkeypatch):
    shards = write_shards(tmp_path, jets_per_class=3, shards=2)
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage._replace(free=10**6))
    code, error = run(capsys, "merge", *shards, "--out", tmp_path / "all.h5")
    assert code == 1 and error.startswith(f"error: not enough space for {tmp_path}")
    assert sorted(os.listdir(tmp_path)) == ["shard-0.h5", "shard-1.h5"]


@pytest.mark.parametrize("failing", ["posix_fallocate", "fsync"])
@pytest.mark.usefixtures("simulation")
def test_a_full_disk_during_the_write_gives_one_line_and_keeps_the_old_files(
    tmp_path, capsys, monkeypatch, failing
):
    """The disk fills up while the constituents file is written: early (fallocate, where
    the file system reserves space) or late (fsync, as a quota or NFS reports it)."""
    target = write_whole(tmp_path / "jet-images.h5")
    before = contents(tmp_path)
    real = getattr(os, failing)

    def full_disk(handle, *args):
        if len(list(tmp_path.glob(".*.tmp"))) == 2:  # the second file
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(handle, *args)

    monkeypatch.setattr(os, failing, full_disk)
    code, error = run(capsys, *generate_args(target))
    constituents = schema.constituents_path(target)
    assert code == 1
    assert error.startswith(f"error: no space left for {constituents}: it needs ")
    assert error.endswith(
        " MB; nothing was replaced (free some space, or choose another folder)\n"
    )
    assert contents(tmp_path) == before


@pytest.mark.parametrize("file", ["jetimages-lock", "jetimages-temporaries"])
def test_no_space_for_the_lock_or_its_list_is_out_of_space(tmp_path, monkeypatch, file):
    target = tmp_path / "jets.h5"
    real = os.open

    def full_disk(path, flags, *args, **kwargs):
        if str(path).endswith(file) and flags & os.O_CREAT:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", full_disk)
    message = f"no space left for {target}, not even for .jets.h5.{file}; free some"
    with (
        pytest.raises(errors.OutOfSpaceError, match=re.escape(message)),
        safe_output.locked_outputs([target]),
    ):
        pass
    assert os.listdir(tmp_path) == []


def test_no_space_to_list_a_temporary_is_out_of_space(tmp_path, monkeypatch):
    target = tmp_path / "jets.h5"
    with safe_output.locked_outputs([target]) as locks:

        def full_disk(handle, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(os, "write", full_disk)
        with pytest.raises(errors.OutOfSpaceError, match="not even for .jets.h5.jet"):
            locks.temporary(target)
        monkeypatch.undo()
    assert os.listdir(tmp_path) == []


# --- the library's errors and arguments ---


def test_errors_are_the_tools_own_and_stay_what_they_were(tmp_path):
    """DataToolErrors, which are still the ValueError, FileNotFoundError or RuntimeError
    they were, each kind with its exit status on the command line."""
    kinds = {
        errors.UsageError: (ValueError, 2),
        errors.NotFoundError: (FileNotFoundError, 2),
        errors.DamagedInputError: (ValueError, 3),
        errors.OutOfSpaceError: (errors.DataToolError, 1),
        errors.ClusterError: (RuntimeError, 1),
        errors.MachineError: (RuntimeError, 1),
    }
    assert set(errors.DataToolError.__subclasses__()) == set(kinds)
    for error, (builtin, status) in kinds.items():
        assert issubclass(error, errors.DataToolError) and issubclass(error, builtin)
        assert exit_status(error("a message")) == status
    with pytest.raises(errors.NotFoundError):
        dataset.load_dataset(tmp_path / "nowhere.h5")
    (tmp_path / "notes.h5").write_text("my notes")
    with pytest.raises(errors.DamagedInputError):
        dataset.load_dataset(tmp_path / "notes.h5")


def test_the_library_names_its_arguments_and_the_command_line_its_options(tmp_path):
    notes = tmp_path / "jets.h5"
    notes.write_text("my notes")
    with pytest.raises(errors.UsageError) as refused:
        generate(notes, jets_per_class=3, seed=1)
    assert str(refused.value).startswith(f"out {notes} exists and is not a dataset")
    assert str(refused.value).endswith("or add force=True to replace it")
    assert refused.value.message(OPTIONS).startswith(f"--out {notes} exists")
    assert refused.value.message(OPTIONS).endswith("or add --force to replace it")
    with pytest.raises(errors.UsageError, match=r"^seed: the seed must be") as refused:
        generate(tmp_path / "new.h5", jets_per_class=3, seed=-1)
    assert "--" not in str(refused.value)


def test_every_argument_of_generate_and_merge_has_its_option(capsys):
    for command, function in (("generate", generate), ("merge", merge)):
        arguments = set(inspect.signature(function).parameters) - {"shard_paths"}
        assert arguments <= OPTIONS.keys()
        with pytest.raises(SystemExit):
            main([command, "--help"])
        help_text = capsys.readouterr().out
        for argument in arguments:
            assert OPTIONS[argument] in help_text


def test_braces_in_a_path_are_never_read_as_fields_of_a_message(tmp_path):
    missing = tmp_path / "{out}" / "{0}" / "jets.h5"
    with pytest.raises(errors.NotFoundError) as refused:
        generate(missing, jets_per_class=3, seed=1)
    assert f"cannot write {missing}: {missing.parent} does not exist" in str(
        refused.value
    )


def test_an_error_is_the_same_after_pickling():
    """Dask sends an error raised on a worker back to the run as a pickle."""
    error = errors.ClusterError("on {host}: {versions}", host="{x}", versions="1.0")
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), str(again)) == (errors.ClusterError, "on {x}: 1.0")


def test_generate_takes_its_numbers_by_keyword_only(tmp_path):
    with pytest.raises(TypeError, match="positional"):
        generate(tmp_path / "jets.h5", 10, 1)
