"""Defects a tester found: links planted beside or at the outputs, files that read other
files, outputs of another kind, runs too large for memory, damaged or absurd contents,
Pythia that cannot start, a worker that dies, a service that is no Dask scheduler, and
a signal during the compression. Each ends with one line and writes nothing it should
not."""

import os
import signal
import socket
import threading
import time
from collections import namedtuple
from importlib import metadata

import h5py
import numpy as np
import pytest

from jetimages import dask_backend, dataset, errors, schema
from jetimages import generate as generate_module
from jetimages.__main__ import main
from jetimages.generate import merge

from .synthetic import arrays_for, write_shards, write_whole
from .test_generate_checks import fake_simulation, signal_during_write
from .test_interrupts import lines, start


@pytest.fixture
def simulation(monkeypatch):
    """Random arrays instead of simulated jets; the tasks asked for, in a list."""
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


def generate_args(out, *args) -> list:
    return ["generate", "--jets-per-class", "3", "--out", out, *args]


def contents(folder) -> dict:
    return {
        path.name: os.readlink(path) if path.is_symlink() else path.read_bytes()
        for path in folder.iterdir()
        if path.is_symlink() or not path.is_dir()
    }


# --- 1. links beside the outputs; files whose arrays live in other files ---


@pytest.mark.parametrize("name", ["jetimages-temporaries", "jetimages-lock"])
@pytest.mark.parametrize("victim_exists", [False, True])
def test_a_link_planted_beside_the_output_is_never_followed(
    tmp_path, capsys, simulation, name, victim_exists
):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    victim = elsewhere / "victim"
    if victim_exists:
        victim.write_bytes(b"precious")
    (out / f".jet-images.h5.{name}").symlink_to(victim)
    code, error = run(capsys, *generate_args(out / "jet-images.h5"))
    assert code == 2 and "is a symbolic link" in error, error
    assert contents(elsewhere) == ({"victim": b"precious"} if victim_exists else {})
    assert not simulation


def with_external_storage(path, name, outside):
    """Make the array `name` of the file at `path` read its bytes from `outside`."""
    with h5py.File(path, "r+") as file:
        values = file[name][:]
        del file[name]
        outside.write_bytes(values.tobytes())
        file.create_dataset(
            name,
            shape=values.shape,
            dtype=values.dtype,
            external=[(str(outside), 0, values.nbytes)],
        )


def test_a_file_with_external_storage_is_refused(tmp_path):
    path = write_whole(tmp_path / "jet-images.h5")
    with_external_storage(path, "jet_pt", tmp_path / "secret")
    with pytest.raises(errors.DamagedInputError, match="HDF5 external storage"):
        dataset.load_dataset(path)


def test_an_external_link_is_refused(tmp_path):
    path = write_whole(tmp_path / "jet-images.h5")
    (tmp_path / "other").mkdir()
    other = write_whole(tmp_path / "other" / "jet-images.h5")
    with h5py.File(path, "r+") as file:
        del file["jet_pt"]
        file["jet_pt"] = h5py.ExternalLink(str(other), "jet_pt")
    with pytest.raises(errors.DamagedInputError, match="not an array stored in"):
        dataset.load_dataset(path)


def test_merge_refuses_a_shard_with_external_storage(tmp_path, capsys):
    shards = write_shards(tmp_path, jets_per_class=3, shards=2)
    with_external_storage(shards[1], "images", tmp_path / "secret")
    code, error = run(capsys, "merge", *shards, "--out", tmp_path / "all.h5")
    assert code == 3 and "external storage" in error
    assert not (tmp_path / "all.h5").exists()


# --- 2. a symbolic link as the output ---


@pytest.mark.parametrize("force", [[], ["--force"]])
@pytest.mark.parametrize("option", ["--out", "--constituents-out"])
@pytest.mark.parametrize("points_to", ["dataset", "nothing"])
def test_an_output_that_is_a_link_is_refused(
    tmp_path, capsys, simulation, force, option, points_to
):
    data = tmp_path / "data"
    data.mkdir()
    write_whole(data / "jet-images.h5")
    target = data / ("jet-images.h5" if option == "--out" else "jet-constituents.h5")
    if points_to == "nothing":
        target = data / "gone.h5"
    link = tmp_path / "link.h5"
    link.symlink_to(target)
    outputs = {"--out": tmp_path / "a.h5", "--constituents-out": tmp_path / "b.h5"}
    outputs[option] = link
    before = contents(data), contents(tmp_path)
    args = ["generate", "--jets-per-class", "3", *force]
    for pair in outputs.items():
        args += pair
    code, error = run(capsys, *args)
    assert code == 2 and f"{option} {link} is a symbolic link" in error, error
    assert (contents(data), contents(tmp_path)) == before
    assert not simulation


# --- 3. a dataset of another kind ---


@pytest.mark.parametrize(
    "args",
    [
        # images into the constituents file
        ["--out", "jet-constituents.h5", "--constituents-out", "new.h5"],
        # constituents into the images file
        ["--out", "new.h5", "--constituents-out", "jet-images.h5"],
        # a shard over the images file
        ["--out", "jet-images.h5", "--shard", "0", "--shards", "2"],
    ],
)
def test_a_dataset_of_another_kind_is_not_replaced(tmp_path, capsys, simulation, args):
    write_whole(tmp_path / "jet-images.h5")
    before = contents(tmp_path)
    paths = [str(tmp_path / arg) if arg.endswith(".h5") else arg for arg in args]
    code, error = run(capsys, "generate", "--jets-per-class", "3", *paths)
    assert code == 2 and "of this tool, not" in error and "--force" in error, error
    assert contents(tmp_path) == before
    assert not simulation


def test_a_dataset_of_the_same_kind_is_still_replaced(tmp_path, capsys, simulation):
    write_whole(tmp_path / "jet-images.h5")
    code, error = run(capsys, *generate_args(tmp_path / "jet-images.h5"))
    assert code == 0, error


# --- 4. memory ---


def test_a_run_too_large_for_memory_is_refused_before_simulating(
    tmp_path, capsys, simulation, monkeypatch
):
    import psutil

    memory = namedtuple("memory", "available")
    monkeypatch.setattr(psutil, "virtual_memory", lambda: memory(10**9))
    code, error = run(
        capsys,
        "generate",
        "--jets-per-class",
        "8000000",
        "--out",
        tmp_path / "jet-images.h5",
    )
    assert code == 1 and "about 40000 jets fit (8000 per class)" in error, error
    assert "--jets-per-class" in error
    assert not simulation and not list(tmp_path.iterdir())


# --- 5. damaged attributes, absurd values, a shard loaded as a dataset ---


def rewrite(path, name, values):
    with h5py.File(path, "r+") as file:
        del file[name]
        file[name] = values


def changed(path, name, row, value):
    with h5py.File(path, "r") as file:
        values = file[name][:]
    values[row] = value
    rewrite(path, name, values)


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("images", np.nan, "nan"),
        ("images", -1e30, "-1e+30"),
        ("jet_pt", np.inf, "inf"),
        ("features", np.nan, "nan"),
        ("n_particles", 60_000, "60000"),
        ("particles", 5.0, "5"),
    ],
)
def test_values_no_jet_can_hold_are_refused(tmp_path, name, value, shown):
    path = write_whole(tmp_path / "jet-images.h5")
    file = (
        path
        if name not in ("n_particles", "particles")
        else (schema.constituents_path(path))
    )
    changed(file, name, 2, value)
    with pytest.raises(errors.DamagedInputError) as refused:
        dataset.load_dataset(path, constituents=True)
    message = str(refused.value)
    assert message.startswith(f"{file}: '{name}'") and f"holds {shown}" in message
    assert "\n" not in message


def test_merge_refuses_absurd_values_with_status_3(tmp_path, capsys):
    shards = write_shards(tmp_path, jets_per_class=3, shards=2)
    changed(shards[0], "images", 0, -1e30)
    code, error = run(capsys, "merge", *shards, "--out", tmp_path / "all.h5")
    assert code == 3 and error.startswith(f"error: {shards[0]}: 'images'"), error


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("schema_version", "two"),
        ("label_order", 7),
        ("seed", -1),
        ("seed", "one"),
        ("jets_per_class", 2.5),
        ("simulation", "a dream"),
        ("version_numpy", 3),
        ("source_jetimages", 3),
    ],
)
def test_a_damaged_attribute_gives_one_line(tmp_path, key, value):
    path = write_whole(tmp_path / "jet-images.h5")
    with h5py.File(path, "r+") as file:
        file.attrs[key] = value
    with pytest.raises(errors.DamagedInputError) as refused:
        dataset.load_dataset(path)
    assert str(refused.value).startswith(f"{path}") and "\n" not in str(refused.value)


@pytest.mark.parametrize(
    ("key", "value"), [("shard", "x"), ("shard", 5), ("shards", -2), ("seed", "one")]
)
def test_merge_of_a_shard_with_damaged_attributes_exits_with_3(
    tmp_path, capsys, key, value
):
    shards = write_shards(tmp_path, jets_per_class=3, shards=2)
    with h5py.File(shards[1], "r+") as file:
        file.attrs[key] = value
    code, error = run(capsys, "merge", *shards, "--out", tmp_path / "all.h5")
    assert code == 3 and error.startswith(f"error: {shards[1]}"), error
    assert not (tmp_path / "all.h5").exists()


def test_a_shard_does_not_load_as_a_dataset(tmp_path):
    shard = write_shards(tmp_path, jets_per_class=3, shards=2)[0]
    with pytest.raises(errors.DamagedInputError, match="is shard 0 of 2 of a dataset"):
        dataset.load_dataset(shard)


# --- 6. Pythia that cannot start; merge without Pythia ---


@pytest.mark.parametrize("workers", ["1", "2"])
def test_pythia_without_its_data_gives_one_line(tmp_path, capsys, monkeypatch, workers):
    monkeypatch.setenv("PYTHIA8DATA", str(tmp_path / "nowhere"))
    out = tmp_path / "jets.h5"
    code, error = run(capsys, *generate_args(out, "--workers", workers))
    assert code == 1 and "Pythia cannot start: PYTHIA8DATA is" in error, error
    assert not out.exists()


def test_make_pythia_refuses_a_missing_data_folder(tmp_path, monkeypatch):
    from jetimages.simulation import make_pythia

    monkeypatch.setenv("PYTHIA8DATA", str(tmp_path))
    with pytest.raises(errors.MachineError, match="Pythia cannot start"):
        make_pythia("w", 1)


def test_merge_needs_no_pythia(tmp_path, monkeypatch):
    shards = write_shards(tmp_path, jets_per_class=3, shards=2)
    with h5py.File(shards[0], "r") as file:
        recorded = file.attrs["version_pythia8mc"]
    real_version = metadata.version

    def version(name):
        if name == "pythia8mc":
            raise metadata.PackageNotFoundError(name)
        return real_version(name)

    monkeypatch.setattr(metadata, "version", version)
    monkeypatch.setitem(__import__("sys").modules, "pythia8mc", None)
    merge(shards, tmp_path / "all-images.h5")
    merged = dataset.load_dataset(tmp_path / "all-images.h5", constituents=True)
    assert len(merged) == 15 and merged.attrs["version_pythia8mc"] == recorded


# --- 7. a worker process that dies ---

DYING_WORKERS = """
import os, sys
from jetimages import generate
from jetimages.__main__ import main

def dying_block(task):
    os._exit(9)  # as the out-of-memory killer or a crash ends a process

generate._run_block = dying_block
args = ["generate", "--jets-per-class", "3", "--workers", "2", "--out", sys.argv[1]]
sys.exit(main(args))
"""


def test_a_worker_that_dies_stops_the_run_with_one_line(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    process = start("-c", DYING_WORKERS, out / "jets.h5")
    try:
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    found = lines(stderr)
    assert process.returncode == 1 and len(found) == 1, stderr
    assert found[0].startswith("error: a worker process died")
    assert os.listdir(out) == []


# --- 8. a service that is no Dask scheduler ---


@pytest.fixture
def not_a_scheduler(request):
    """The address of a server that answers as another service would, or not at
    all."""
    server = socket.create_server(("127.0.0.1", 0))
    connections = []

    def serve():
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            connections.append(connection)
            if request.param == "answers":
                connection.recv(100)
                connection.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n" * 20)

    threading.Thread(target=serve, daemon=True).start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    server.close()
    for connection in connections:
        connection.close()


@pytest.mark.parametrize("not_a_scheduler", ["answers", "silent"], indirect=True)
def test_a_service_that_is_no_scheduler_gives_one_line(
    tmp_path, capsys, monkeypatch, not_a_scheduler
):
    monkeypatch.setattr(dask_backend, "CHECK_TIMEOUT_S", 1)
    began = time.monotonic()
    code, error = run(
        capsys, *generate_args(tmp_path / "x.h5", "--dask", not_a_scheduler)
    )
    assert time.monotonic() - began < 30
    assert code == 2, error
    assert error.startswith(
        f"error: --dask: no Dask scheduler answers at '{not_a_scheduler}'"
    )
    assert not list(tmp_path.iterdir())


# --- 9. a signal while the files are compressed ---


@pytest.fixture
def interactive_signals():
    found = {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler),
        signal.SIGTERM: signal.signal(signal.SIGTERM, signal.SIG_DFL),
    }
    yield
    for signum, handler in found.items():
        signal.signal(signum, handler)


@pytest.mark.usefixtures("interactive_signals")
def test_ctrl_c_during_the_compression_says_the_run_is_finishing(
    tmp_path, monkeypatch, capsys
):
    signal_during_write(monkeypatch, signal.SIGINT)
    fake_simulation(monkeypatch)
    code = main(["generate", "--jets-per-class", "3", "--out", str(tmp_path / "j.h5")])
    error = capsys.readouterr().err.splitlines()
    assert code == 130
    assert error[0].startswith("stopping: the files being compressed in memory")
    assert error[1].startswith("interrupted:") and len(error) == 2
    assert not list(tmp_path.iterdir())
