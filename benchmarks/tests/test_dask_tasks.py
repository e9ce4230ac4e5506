"""The benchmarks' tasks on a Dask cluster: the stored rows are those of a serial run, a
task that fails is named with its model and seed while the others are stored, the stored
file says where the tasks ran, and a task carries paths and numbers, not arrays.

On benchmarks/main_project.py (chapter 21's MLP and its variations, and the later
chapters' MLP), two seeds and a dataset of 300 jets of random numbers
(jetimages/tests/synthetic.py), on a LocalCluster of two single-threaded workers started
once for the module. The cluster is reached by its address, as `--dask tcp://...` would
be; `--dask local` starts the same LocalCluster (jetimages.dask_backend.quiet_client).
"""

import contextlib
import importlib
import json
import os
import pickle
import socket

import matplotlib
import numpy as np
import pytest
import torch

from jetimages import dask_backend, schema
from jetimages.generate import block_plan, shuffle_rows
from jetimages.layout import REPOSITORY
from jetimages.safe_output import write_dataset
from jetimages.tests.synthetic import arrays_for

SEEDS = ["--seeds", "1", "2"]
MODELS = [
    "main_project",
    "lr_3e-3",
    "lr_3e-4",
    "batch_1024",
    "epochs_100",
    "shared_mlp",
]
DEVICE = (
    f"cuda ({torch.cuda.get_device_name()})"
    if torch.cuda.is_available()
    else "cpu, 1 threads"
)
ON_ONE_THREAD = {"hosts": [socket.gethostname()], "devices": [DEVICE]}


@contextlib.contextmanager
def benchmark_modules(monkeypatch, tmp_path):
    """over_seeds and main_project imported as their scripts import them, storing their
    results under tmp_path; what running them changes in this process (PyTorch's
    threads, Matplotlib's style) is put back."""
    monkeypatch.syspath_prepend(str(REPOSITORY / "benchmarks"))
    over_seeds = importlib.import_module("over_seeds")
    main_project = importlib.import_module("main_project")
    monkeypatch.delenv(over_seeds.RETRAIN_VARIABLE, raising=False)
    monkeypatch.setattr(over_seeds, "RESULTS", tmp_path)
    threads = torch.get_num_threads()
    try:
        with matplotlib.rc_context():
            yield over_seeds, main_project
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """A dataset of 60 jets of each class, random numbers in every array."""
    path = tmp_path_factory.mktemp("data") / "jet-images.h5"
    arrays = shuffle_rows(arrays_for(block_plan(60)), 1)
    attrs = schema.file_attributes(1, 60)
    return write_dataset(path, arrays, attrs, schema.constituents_path(path))


@pytest.fixture(scope="module")
def address():
    with dask_backend.quiet_client("local", 2) as client:
        yield client.scheduler.address


def stored(folder, name="main_project"):
    return json.loads((folder / f"{name}.json").read_text())


def without_times(rows):
    """The stored rows but the training time, which no two runs share."""
    return [{k: v for k, v in row.items() if k != "training (s)"} for row in rows]


SUBMIT = dask_backend.submit
SUBMITTED = []


def spy(client, function, jobs, **options):
    """dask_backend.submit, recording what it was given."""
    SUBMITTED.append((function, jobs))
    return SUBMIT(client, function, jobs, **options)


@pytest.fixture(scope="module")
def runs(data, address, tmp_path_factory):
    """main_project run serially and on the cluster, each with its own folder of
    trainings (nothing loaded from the other), and what the cluster run submitted."""
    SUBMITTED.clear()
    outcome = {}
    for backend, options in (("serial", []), ("dask", ["--dask", address])):
        folder = tmp_path_factory.mktemp(backend)
        with (
            pytest.MonkeyPatch.context() as monkeypatch,
            benchmark_modules(monkeypatch, folder) as (over_seeds, main_project),
        ):
            monkeypatch.setattr(over_seeds, "TRAINED", folder / "trained")
            monkeypatch.setattr(dask_backend, "submit", spy)
            status = main_project.main(["--data", str(data), *SEEDS, *options])
            outcome[backend] = (status, stored(folder))
    return outcome, list(SUBMITTED)


def test_a_cluster_stores_the_rows_of_a_serial_run(runs):
    (serial_status, serial), (dask_status, spread) = runs[0].values()
    assert serial_status == dask_status == 0
    assert [(row["seed"], row["model"]) for row in spread["rows"]] == [
        (seed, model) for seed in (1, 2) for model in MODELS
    ]
    # floats as json wrote them: equal to the last digit
    assert without_times(spread["rows"]) == without_times(serial["rows"])
    assert "failed" not in spread


def test_the_stored_file_says_where_the_tasks_ran(runs, address):
    (_, serial), (_, spread) = runs[0].values()
    assert serial["execution"] == {
        "backend": "serial",
        "scheduler": None,
        "workers": 1,
        "threads_per_worker": 1,  # chapter 21's cells set one thread
        **ON_ONE_THREAD,
    }
    assert spread["execution"] == {
        "backend": "dask",
        "scheduler": address,
        "workers": 2,
        "threads_per_worker": 1,
        **ON_ONE_THREAD,
    }


def test_tasks_carry_paths_not_arrays(runs, data):
    (function, jobs) = runs[1][0]
    assert len(runs[1]) == 1 and len(jobs) == 2 * len(MODELS)
    for job in jobs:
        assert job["data"] == (str(data.resolve()),)
        assert all(
            isinstance(value, (str, int, tuple, type(None))) for value in job.values()
        ), job
        assert not any(isinstance(value, np.ndarray) for value in job.values())
        assert len(pickle.dumps(job)) < 1000
    # the function is named, not sent: the worker imports it from its checkout
    assert len(pickle.dumps(function)) < 500


def test_a_failed_task_is_named_and_the_others_are_stored(
    runs, data, address, monkeypatch, tmp_path, capsys
):
    serial = runs[0]["serial"][1]
    with benchmark_modules(monkeypatch, tmp_path) as (over_seeds, main_project):
        monkeypatch.setattr(over_seeds, "TRAINED", tmp_path / "trained")
        parser = over_seeds.seed_benchmark_parser("test")
        args = parser.parse_args(["--data", str(data), *SEEDS, "--dask", address])
        models = {"main_project": main_project.MODELS["main_project"]}
        scores = over_seeds.run_over_seeds(
            "main_project",
            main_project.one_task,
            args,
            ["main_project", "no_such_model"],
            models,
            about={},
            baseline="main_project",
        )
        assert over_seeds.exit_status(scores) == 1
    out = capsys.readouterr()
    for seed in (1, 2):
        line = (
            f"main_project: model no_such_model, seed {seed} failed: "
            f"KeyError: \"main_project has no model 'no_such_model'\""
        )
        assert line in out.out and line in out.err
    spread = stored(tmp_path)
    expected = [row for row in serial["rows"] if row["model"] == "main_project"]
    assert without_times(spread["rows"]) == without_times(expected)
    assert spread["failed"] == [
        {
            "models": ["no_such_model"],
            "seed": seed,
            "error": "KeyError: \"main_project has no model 'no_such_model'\"",
        }
        for seed in (1, 2)
    ]


def test_cluster_options_that_cannot_work_give_one_line(
    data, monkeypatch, tmp_path, capsys
):
    with benchmark_modules(monkeypatch, tmp_path) as (_, main_project):
        for options, message in (
            (
                ["--workers", "2"],
                "error: --workers counts the processes of --dask local",
            ),
            (
                ["--dask", "nowhere://x"],
                "error: --dask: no Dask scheduler answers at 'nowhere://x'",
            ),
        ):
            with pytest.raises(SystemExit) as stop:
                main_project.main(["--data", str(data), *SEEDS, *options])
            error = capsys.readouterr().err
            assert stop.value.code == 2
            assert error.startswith(message) and error.count("\n") == 1


def test_local_workers_keep_the_default_malloc(address):
    """--dask local leaves out Dask's MALLOC_TRIM_THRESHOLD_, under which a PyTorch
    training step took 1.8 times as long (README.md, "Benchmarks on a Dask cluster")."""
    from distributed import Client

    with Client(address) as client:
        seen = client.run(os.environ.get, "MALLOC_TRIM_THRESHOLD_")
    assert len(seen) == 2 and set(seen.values()) == {None}
