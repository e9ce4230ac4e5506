"""generate fails before the first event on anything that can be checked then, with one
line naming the flag and exit status 2; writes never leave a wrong file, a lost Ctrl-C
or an unexplained leftover."""

import os
import signal
from pathlib import Path

import numpy as np
import pytest

from jetimages import dataset, schema
from jetimages import generate as generate_module
from jetimages.__main__ import main
from jetimages.errors import UsageError

from .synthetic import arrays_for, write_whole


@pytest.fixture
def no_simulation(monkeypatch):
    """Any simulation fails the test: every check must come before the first event."""

    def simulate(*args, **kwargs):
        raise AssertionError("the simulation started before the arguments were checked")

    monkeypatch.setattr(generate_module, "simulate_blocks", simulate)


def run(capsys, *args) -> tuple[int, str]:
    code = main(["generate", "--jets-per-class", "10", *map(str, args)])
    error = capsys.readouterr().err
    assert error.count("\n") == 1, f"not one line: {error!r}"
    return code, error


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--shards", "0"], "--shards: the number of shards must be between 1 and 5"),
        (["--shards", "6"], "--shards: the number of shards must be between 1 and 5"),
        (
            ["--shards", "2", "--shard", "2"],
            "--shard: shard must be between 0 and 1, not 2",
        ),
        (
            ["--seed", "-1"],
            "--seed: the seed must be a whole number from 0 to 9223372036854775807, "
            "not -1",
        ),
        (["--seed", str(2**63)], "--seed: the seed must be a whole number"),
        (
            ["--workers", "0"],
            "--workers: the number of processes must be at least 1, not 0",
        ),
        (
            ["--jets-per-class", str(generate_module.MAX_JETS_PER_CLASS + 1)],
            "--jets-per-class: jets per class must be a positive number up to 32768000",
        ),
        (
            ["--shards", "2", "--constituents-out", "p.h5"],
            "--constituents-out: a shard is one file",
        ),
    ],
)
@pytest.mark.usefixtures("no_simulation")
def test_bad_numbers_name_their_flag(tmp_path, capsys, args, message):
    code, error = run(capsys, "--out", tmp_path / "jets.h5", *args)
    assert code == 2
    assert error.startswith(f"error: {message}")


@pytest.mark.usefixtures("no_simulation")
def test_an_unknown_simulation_is_refused_before_any_event(no_simulation, tmp_path):
    with pytest.raises(UsageError, match="unknown simulation 'herwig'; choose"):
        generate_module.generate(
            tmp_path / "jets.h5", jets_per_class=10, seed=1, simulation="herwig"
        )


def test_the_simulation_is_recorded_in_both_files(tmp_path, monkeypatch):
    def simulate(tasks, seed, workers, client, simulation):
        assert simulation == "fsr-alphas-up"
        return arrays_for(tasks)

    monkeypatch.setattr(generate_module, "simulate_blocks", simulate)
    out = generate_module.generate(
        tmp_path / "jets.h5", jets_per_class=2, seed=1, simulation="fsr-alphas-up"
    )
    jets = dataset.load_dataset(out, constituents=True)
    assert jets.simulation == "fsr-alphas-up"
    assert jets.attrs["simulation_settings"] == "TimeShower:alphaSvalue = 0.150"


def test_an_empty_output_path_is_refused(capsys):
    code, error = run(capsys, "--out", "")
    assert (code, error) == (
        2,
        "error: --out is empty: give the path of the .h5 file to write\n",
    )


@pytest.mark.parametrize("option", ["--out", "--constituents-out"])
@pytest.mark.usefixtures("no_simulation")
def test_an_output_that_is_a_folder_is_refused(tmp_path, capsys, option):
    paths = {
        "--out": tmp_path / "jets.h5",
        "--constituents-out": tmp_path / "particles.h5",
    }
    paths[option] = tmp_path
    code, error = run(capsys, *[x for pair in paths.items() for x in pair])
    assert code == 2
    assert error.startswith(f"error: {option} {tmp_path} is a folder")


@pytest.mark.parametrize("option", ["--out", "--constituents-out"])
@pytest.mark.usefixtures("no_simulation")
def test_an_output_in_a_missing_folder_is_refused(tmp_path, capsys, option):
    paths = {
        "--out": tmp_path / "jets.h5",
        "--constituents-out": tmp_path / "particles.h5",
    }
    paths[option] = tmp_path / "missing" / "x.h5"
    code, error = run(capsys, *[x for pair in paths.items() for x in pair])
    assert code == 2
    assert "missing does not exist; create it first" in error


@pytest.mark.usefixtures("no_simulation")
def test_the_same_file_for_both_outputs_is_refused(tmp_path, capsys):
    code, error = run(
        capsys, "--out", tmp_path / "a.h5", "--constituents-out", tmp_path / "a.h5"
    )
    assert code == 2
    assert "is the same file as --out" in error


@pytest.mark.skipif(
    not Path("/sys/kernel").is_dir(),
    reason="needs Linux's /sys, where not even root can create files",
)
@pytest.mark.usefixtures("no_simulation")
def test_an_output_folder_nobody_can_write_to_is_refused(capsys):
    """Works as root too: /sys refuses new files to everyone, unlike a folder without
    write permission."""
    code, error = run(capsys, "--out", "/sys/kernel/jets.h5")
    assert code == 2
    assert error.startswith(
        "error: cannot write /sys/kernel/jets.h5: no file can be created in /sys/kernel"
    )


@pytest.mark.skipif(
    os.geteuid() == 0, reason="root may write into any folder, whatever its permissions"
)
@pytest.mark.usefixtures("no_simulation")
def test_an_output_folder_without_write_permission_is_refused(tmp_path, capsys):
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o555)
    code, error = run(capsys, "--out", folder / "jets.h5")
    assert code == 2
    assert "no file can be created in" in error


# --- writing ---


def test_the_block_column_never_wraps():
    with pytest.raises(
        ValueError,
        match=r"'block' holds values from 0 to 65536, outside its on-disk type uint16",
    ):
        schema.stored_values("block", np.array([0, 65536]))
    assert (
        generate_module.block_plan(generate_module.MAX_JETS_PER_CLASS)[-1][1]
        == np.iinfo(np.uint16).max
    )


@pytest.fixture
def interactive_signals():
    """SIGINT and SIGTERM handled as in an interactive Python, whatever this run
    inherited (a background job or nohup ignores SIGINT); the inherited handlers are put
    back after."""
    found = {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler),
        signal.SIGTERM: signal.signal(signal.SIGTERM, signal.SIG_DFL),
    }
    yield
    for signum, handler in found.items():
        signal.signal(signum, handler)


def fake_simulation(monkeypatch):
    monkeypatch.setattr(
        generate_module, "simulate_blocks", lambda tasks, *args: arrays_for(tasks)
    )


def signal_during_write(monkeypatch, signum):
    """Send `signum` to this process as the first array is stored; returns the names of
    the arrays stored."""
    stored = []
    real_stored_values = schema.stored_values

    def interrupted_once(name, values):
        if not stored:
            handler = signal.getsignal(signum)  # SIG_DFL would end the test session
            assert handler != signal.SIG_DFL, f"nothing handles {signum!r}"
            os.kill(os.getpid(), signum)
        stored.append(name)
        return real_stored_values(name, values)

    monkeypatch.setattr(schema, "stored_values", interrupted_once)
    return stored


@pytest.mark.usefixtures("interactive_signals")
def test_ctrl_c_during_the_final_write_is_raised_and_replaces_nothing(
    tmp_path, monkeypatch, capsys
):
    """The interrupt arrives while the first file is written: it is held until both are
    complete, then raised before either is renamed; the old files stay, no temporary
    file is left, and SIGINT's handler is the one found."""
    target = write_whole(tmp_path / "jet-images.h5")
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    stored = signal_during_write(monkeypatch, signal.SIGINT)
    fake_simulation(monkeypatch)
    code = main(["generate", "--jets-per-class", "3", "--out", str(target)])
    assert code == 130
    assert "interrupted" in capsys.readouterr().err
    # both files were complete: the ids are in both
    assert len(stored) == len(schema.ARRAYS) + 3
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.usefixtures("interactive_signals")
def test_a_kill_during_the_final_write_stops_as_ctrl_c_does(
    tmp_path, monkeypatch, capsys
):
    """SIGTERM (kill) is held as Ctrl-C is, says that the run is finishing, and ends it
    with one line and status 143."""
    target = write_whole(tmp_path / "jet-images.h5")
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    signal_during_write(monkeypatch, signal.SIGTERM)
    fake_simulation(monkeypatch)
    code = main(["generate", "--jets-per-class", "3", "--out", str(target)])
    notice, error = capsys.readouterr().err.splitlines()
    assert code == 143
    assert notice.startswith("stopping: the files being compressed in memory")
    assert error.startswith("terminated: outputs are replaced whole")
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


@pytest.mark.usefixtures("interactive_signals")
def test_a_run_that_ignores_ctrl_c_keeps_ignoring_it_while_writing(
    tmp_path, monkeypatch, capsys
):
    """As a background job or under nohup: SIGINT is ignored, also during the write, and
    is still ignored afterwards."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal_during_write(monkeypatch, signal.SIGINT)
    fake_simulation(monkeypatch)
    code = main(["generate", "--jets-per-class", "3", "--out", str(tmp_path / "j.h5")])
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    assert code == 0, capsys.readouterr().err
    assert len(dataset.load_dataset(tmp_path / "j.h5", constituents=True)) == 15
