"""What the benchmarks share: running a chapter's tagged cells, training and scoring models
over split seeds, and storing the results for the chapters.

The benchmarks measure what the chapters teach: they execute the chapters' code cells tagged
`shared-with-benchmark` rather than copies of them. Their results go to
benchmarks/results/NAME.json (jetlearn.results), from which the chapters quote means and
spreads.

Tasks. Every training of a benchmark depends only on its model, its seed and the data, so
a benchmark is a list of Tasks, one per (model, seed), that its function one_task(task)
runs: by default one after another in this process; with --dask ADDRESS|local, on a Dask
cluster (run_over_seeds). A task carries the paths of the data files, never arrays: the
process that runs it opens them itself, and keeps what it loaded for its next task (held),
so that a worker holds one copy of a benchmark's data. A task that fails is reported in
one line with its model and seed; the others' rows are stored, with the failures, and the
run's exit status is 1.
"""

import argparse
import contextlib
import dataclasses
import functools
import hashlib
import importlib
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import torch
from sklearn.metrics import log_loss

from jetimages import dask_backend
from jetimages.errors import DataToolError
from jetimages.layout import BOOK
from jetimages.schema import code_digest, installed_version, source_digest
from jetlearn.kept import save_whole, training_key
from jetlearn.results import (
    PACKAGES,
    RESULTS,
    gain,
    load_results,
    run_record,
    summary,
    write_results,
)

SEEDS = [2026, 1, 7, 42, 99]
"""The split seeds of every benchmark; 2026 is the one the chapters train on."""

TRAINED = Path(__file__).parent / ".trained"
"""Models trained by earlier runs (git ignores it): several benchmarks train the same
model on the same inputs, split and seed, and the second one loads it (see trained)."""
_OWN_TRAINED = TRAINED  # a worker keeps trainings in its own checkout unless told
RETRAIN_VARIABLE = "BENCHMARKS_RETRAIN"
"""Set (to anything but 0) by --retrain: every model is trained again."""
# how the errors of jetimages.dask_backend name the options
OPTIONS = {"dask": "--dask", "workers": "--workers"}


def _positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def seed_benchmark_parser(description: str) -> argparse.ArgumentParser:
    """The options every benchmark over split seeds shares: --seeds, --data, --no-store,
    --retrain, --dask and --workers."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=SEEDS,
        help="one comparison per seed (the seed sets the split, the initial weights and "
        "the batches)",
    )
    parser.add_argument("--data", default=str(BOOK / "data" / "jet-images.h5"))
    parser.add_argument(
        "--no-store",
        action="store_true",
        help="print only; leave benchmarks/results/ as it is",
    )
    parser.add_argument(
        "--retrain",
        nargs=0,
        action=_Retrain,
        help=f"train every model again instead of loading the same training from "
        f"{TRAINED.name}/",
    )
    parser.add_argument(
        "--dask",
        metavar="ADDRESS|local",
        help="run the tasks (one per model and seed) on the Dask cluster whose "
        "scheduler is at ADDRESS, such as tcp://HOST:8786, or on a new LocalCluster of "
        "this machine ('local'); by default they run one after another in this process",
    )
    parser.add_argument(
        "--workers",
        type=_positive,
        help="with --dask local: its number of single-threaded worker processes "
        "(default: all cores)",
    )
    return parser


def add_model_options(
    parser: argparse.ArgumentParser, choices: list, always=()
) -> None:
    """--models (train only these, and those of `always`) and --update (store their new
    rows among the stored results, see update_results)."""
    also = f" (and always {', '.join(always)})" if always else ""
    parser.add_argument(
        "--models", nargs="+", choices=choices, help=f"train only these{also}"
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="with --models: put these models' new rows into the stored results, "
        "keeping the other models' rows (the stored seeds must be the same)",
    )


def check_model_options(parser: argparse.ArgumentParser, args) -> None:
    """Refuse --update without --models, or with --no-store."""
    if args.update and (args.models is None or args.no_store):
        parser.error("--update needs --models, and cannot go with --no-store")


class _Retrain(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        os.environ[RETRAIN_VARIABLE] = "1"


def score_row(
    book: dict, model, probabilities: np.ndarray, true: np.ndarray, seconds: float
) -> dict:
    """Accuracy, cross-entropy, per-class and pair AUCs, training time and size of one model."""
    g, q, _, w, z = range(5)
    return {
        "accuracy": np.mean(probabilities.argmax(axis=1) == true),
        "cross-entropy": log_loss(true, probabilities, labels=range(5)),
        **{
            f"AUC {s}": a
            for s, a in zip("gqtwz", book["auc_per_class"](probabilities, true))
        },
        "W vs Z": book["pair_auc"](probabilities, true, w, z),
        "g vs q": book["pair_auc"](probabilities, true, g, q),
        "training (s)": seconds,
        "parameters": sum(p.numel() for p in model.parameters()),
    }


def trained(book: dict, x, make_model, recipe: dict, split, labels, seed: int):
    """A model trained with the book's loop on the training rows of `split` (its best
    validation epoch kept), and the seconds its training took.

    The weights are kept in TRAINED under training_key; the same training asked for
    again, by this benchmark or another, is loaded from there (with the seconds of the
    run that trained it) unless RETRAIN_VARIABLE is set."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_rows, val_rows, _ = split
    y = torch.from_numpy(labels)
    torch.manual_seed(seed)
    model = make_model().to(device)
    train_data = (x[train_rows].to(device), y[train_rows].to(device))
    val_data = (x[val_rows].to(device), y[val_rows].to(device))
    key = training_key(model, [*train_data, *val_data], recipe, seed)
    path = TRAINED / f"{key}.pt"
    if path.exists() and os.environ.get(RETRAIN_VARIABLE, "0") in ("", "0"):
        stored = torch.load(path, map_location=device, weights_only=True)
        model.load_state_dict(stored["weights"])
        return model, stored["seconds"]
    start = time.perf_counter()
    book["train"](model, train_data, val_data, seed=seed, progress_bar=False, **recipe)
    seconds = time.perf_counter() - start
    save_whole({"weights": model.state_dict(), "seconds": seconds}, path)
    return model, seconds


def train_and_score(
    book: dict, x, make_model, recipe: dict, split, labels, seed: int
) -> dict:
    """Train one model (see trained) and score it on the test rows of `split`."""
    model, seconds = trained(book, x, make_model, recipe, split, labels, seed)
    test_rows = split[2]
    device = next(model.parameters()).device
    probabilities = book["predict_probabilities"](model, x[test_rows].to(device))
    return score_row(book, model, probabilities, labels[test_rows], seconds)


def device_line() -> str:
    if torch.cuda.is_available():
        return f"cuda ({torch.cuda.get_device_name()})"
    return f"cpu, {torch.get_num_threads()} threads"


@dataclasses.dataclass(frozen=True)
class Task:
    """Train and score `models` (one model, or a few that only make sense together) on
    the split of `seed`, reading the data files `data` (absolute paths, the first the
    images file of the nominal jets). Plain values only: what goes to a Dask worker.
    `retrain` and `trained` carry --retrain and a folder other than TRAINED (tests) to a
    worker; in this process they are already in force."""

    benchmark: str
    seed: int
    models: tuple[str, ...]
    data: tuple[str, ...]
    retrain: bool = False
    trained: str | None = None

    @property
    def label(self) -> str:
        models = "model" if len(self.models) == 1 else "models"
        return f"{self.benchmark}: {models} {', '.join(self.models)}, seed {self.seed}"


_HELD: dict = {}


def held(name: str, key, make: Callable):
    """make(), kept in this process for the next call with the same name and key: the
    tasks of a benchmark read the same files, which a process (this one, or a worker)
    then loads once. A new key drops what the name held before anything new is made,
    so a process holds one copy of each."""
    kept = _HELD.pop(name, None)
    if kept is None or kept[0] != key:
        del kept
        kept = (key, make())
    _HELD[name] = kept
    return kept[1]


def loaded(path: str, **options):
    """jetimages.load_dataset(path, **options), held (see held)."""
    from jetimages import load_dataset

    key = (path, sorted(options.items()))
    return held("jets", key, lambda: load_dataset(path, **options))


def jets_in(path) -> int:
    """The number of jets of a dataset file, read from its metadata alone: this process
    need not load the arrays that its tasks load."""
    try:
        with h5py.File(path, "r") as file:
            return len(file["labels"])
    except (OSError, KeyError) as error:
        raise SystemExit(f"error: --data: cannot read {path}: {error}") from None


def _folder_digest(folder: Path) -> str:
    return code_digest(
        {path.name: path.read_text(encoding="utf-8") for path in folder.glob("*.py")}
    )


@functools.cache  # once per process: its modules are imported once too
def environment() -> dict[str, str]:
    """What decides a task's scores besides its inputs: Python, the versions of the
    packages that the results record (and SciPy, FastJet), and the code of the data
    tool, of jetlearn and of the benchmarks, and the chapters' text (their tagged cells
    define the models and recipes). A Dask worker whose environment differs from the
    submitting process's runs no task (dask_backend._checked_call)."""
    import jetlearn

    chapters = hashlib.sha256()
    for path in sorted(BOOK.glob("*.md")):
        chapters.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return {
        "python": sys.version.split()[0],
        **{name: installed_version(name) for name in (*PACKAGES, "scipy", "fastjet")},
        "the data tool's code": source_digest(),
        "jetlearn's code": _folder_digest(Path(jetlearn.__file__).parent),
        "the benchmarks' code": _folder_digest(Path(__file__).parent),
        "the chapters": chapters.hexdigest()[:12],
    }


def run_task(job: dict) -> dict:
    """One Task (given as a dict) on a Dask worker: PyTorch on one thread (a worker
    is meant to be one process per core, as README.md says; more threads per task
    would compete for the same cores), the task's --retrain and folder of trainings,
    then the benchmark's one_task. Returns its rows and where and how long it ran."""
    from distributed import get_worker

    global TRAINED
    task = Task(**job)
    torch.set_num_threads(1)
    TRAINED = Path(task.trained) if task.trained else _OWN_TRAINED
    if task.retrain:
        os.environ[RETRAIN_VARIABLE] = "1"
    else:
        os.environ.pop(RETRAIN_VARIABLE, None)
    one_task = importlib.import_module(task.benchmark).one_task
    return {**_timed(one_task, task), "where": f"on worker {get_worker().address}"}


def _timed(one_task: Callable, task: Task) -> dict:
    start = time.perf_counter()
    rows = one_task(task)
    return {
        "rows": rows,
        "seconds": time.perf_counter() - start,
        "host": socket.gethostname(),
        "device": device_line(),
    }


def _in_this_process(tasks: list[Task], one_task: Callable) -> Iterator:
    """(index, outcome or exception) of every task, run here in order."""
    for index, task in enumerate(tasks):
        try:
            outcome = {**_timed(one_task, task), "where": "in this process"}
        except Exception as error:  # the other tasks still run; Ctrl-C stops all
            outcome = error
        yield index, outcome


def _on_cluster(client, tasks: list[Task]) -> Iterator:
    """(index, outcome or exception) of every task, run on the cluster's workers, in
    the order they finish. What each future carries is the task's dict of names,
    numbers and paths; the benchmarks' code is imported by the worker from its own
    checkout (dask_backend.call_in_repository)."""
    from distributed import as_completed

    in_benchmarks = functools.partial(
        dask_backend.call_in_repository, "benchmarks", "over_seeds"
    )
    futures = dask_backend.submit(
        client,
        functools.partial(in_benchmarks, "run_task"),
        [dataclasses.asdict(task) for task in tasks],
        environment=functools.partial(in_benchmarks, "environment"),
        outcome="scores",
    )
    index = {future.key: k for k, future in enumerate(futures)}
    for future in as_completed(futures):
        try:
            outcome = future.result()
        except Exception as error:  # the task's own exception, raised again here
            outcome = error
        future.release()  # the cluster may forget the rows
        yield index[future.key], outcome


def one_line(error: BaseException) -> str:
    return " ".join(f"{type(error).__name__}: {error}".split())


def _cluster_record(client, address: str) -> dict:
    nthreads = client.nthreads()
    threads = sorted(set(nthreads.values()))
    return {
        "backend": "dask",
        "scheduler": address,
        "workers": len(nthreads),
        "threads_per_worker": threads[0] if len(threads) == 1 else threads,
    }


def _run_tasks(tasks: list[Task], one_task: Callable, dask, workers) -> tuple:
    """Run the tasks here or on the cluster of `dask`, printing a line per finished
    task; ({index: rows}, [failures], execution record)."""
    rows, failures, hosts, devices = {}, [], set(), set()
    with dask_cluster(dask, workers) as client:
        if client is None:
            outcomes = _in_this_process(tasks, one_task)
            execution = {"backend": "serial", "scheduler": None, "workers": 1}
        else:
            execution = _cluster_record(client, dask)
            print(
                f"dask at {dask}: {execution['workers']} workers of "
                f"{execution['threads_per_worker']} threads; PyTorch runs each task "
                f"on one thread",
                flush=True,
            )
            outcomes = _on_cluster(client, tasks)
        for done, (index, outcome) in enumerate(outcomes, start=1):
            task = tasks[index]
            progress = f"[{done}/{len(tasks)}] {task.label}"
            if isinstance(outcome, BaseException):
                failure = {"models": list(task.models), "seed": task.seed}
                failures.append({**failure, "error": one_line(outcome)})
                print(f"{progress} failed: {failures[-1]['error']}", flush=True)
                continue
            rows[index] = outcome["rows"]
            hosts.add(outcome["host"])
            devices.add(outcome["device"])
            print(
                f"{progress}: {outcome['seconds']:.0f} s {outcome['where']}",
                flush=True,
            )
    if client is None:  # a chapter's cells may set the threads (chapter 21 does)
        execution["threads_per_worker"] = torch.get_num_threads()
    execution |= {"hosts": sorted(hosts), "devices": sorted(devices)}
    return rows, failures, execution


@contextlib.contextmanager
def dask_cluster(dask: str | None, workers: int | None):
    """A Dask client of the cluster --dask names (jetimages.dask_backend.quiet_client,
    as `generate --dask` connects), or None without --dask. A wrong address or option is
    one line and exit status 2."""
    if dask is None:
        if workers is not None:
            _usage_error("--workers counts the processes of --dask local")
        yield None
        return
    with contextlib.ExitStack() as stack:
        try:
            client = stack.enter_context(dask_backend.quiet_client(dask, workers))
        except DataToolError as error:
            _usage_error(error.message(OPTIONS))
        yield client


def _usage_error(message: str):
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


def tasks_of(
    name: str,
    args: argparse.Namespace,
    keys: list | Callable[[int], list],
    data: tuple | None = None,
) -> list[Task]:
    """One Task per seed of --seeds and per key (a model key, or a tuple of keys that
    one task scores together), in the order of the rows: seeds, then keys. `keys` may
    be a function of the seed, for a benchmark that repeats only some of its models on
    every seed."""
    data = tuple(str(Path(path).resolve()) for path in (data or (args.data,)))
    own = TRAINED == _OWN_TRAINED
    return [
        Task(
            benchmark=name,
            seed=seed,
            models=(key,) if isinstance(key, str) else tuple(key),
            data=data,
            retrain=os.environ.get(RETRAIN_VARIABLE, "0") not in ("", "0"),
            trained=None if own else str(TRAINED),
        )
        for seed in args.seeds
        for key in (keys(seed) if callable(keys) else keys)
    ]


def run_over_seeds(
    name: str,
    one_task: Callable,
    args: argparse.Namespace,
    keys: list | Callable[[int], list],
    models: dict,
    about: dict,
    baseline: str | None,
    store: bool = True,
    data: tuple | None = None,
) -> pd.DataFrame:
    """Run one_task(Task) -> {model key: score row} for every seed of args.seeds and
    every key of `keys` (tasks_of), here or, with args.dask, on a Dask cluster; print
    each seed's table, the mean and spread, and every model's accuracy gain over
    `baseline`; store the results (with `models`, key -> {"label", "reads"}, `about`,
    where the tasks ran and which failed) unless store is False. The rows come in the
    order of the tasks whoever ran them, so a cluster's run stores what a serial run
    stores. scores.attrs holds "failed" (see exit_status) and "execution"."""
    tasks = tasks_of(name, args, keys, data)
    if args.dask is None:
        print(f"device: {device_line()}", flush=True)
    start = time.perf_counter()
    rows, failures, execution = _run_tasks(tasks, one_task, args.dask, args.workers)
    if not rows:
        raise SystemExit(f"every task of {name} failed; nothing stored")
    tables = {}
    for seed in args.seeds:
        seed_rows = {}
        for index, task in enumerate(tasks):
            if task.seed == seed and index in rows:
                seed_rows |= rows[index]
        if seed_rows:
            tables[seed] = pd.DataFrame(seed_rows).T
            print(f"\nseed {seed}\n{tables[seed].round(3).to_string()}", flush=True)
    scores = pd.concat(tables, names=["seed", "model"])
    means = summary(scores)
    print(f"\nmean and sample standard deviation over seeds {list(tables)}")
    print(means.round(4).to_string())
    print()
    present = scores.index.unique("model")
    for model in present:
        if model != baseline and baseline in present:
            points = 100 * gain(scores, model, baseline)
            print(
                f"{model:>14} minus {baseline}, accuracy: {points.mean():+.2f} points "
                f"(per seed {np.round(points.to_numpy(), 2).tolist()})"
            )
    seconds = time.perf_counter() - start
    print(f"\ntotal time {seconds:.0f} s")
    if store:
        about = {
            "command": " ".join(["python", *sys.argv]),
            "total seconds": round(seconds),
            "execution": execution,
            "models": models,
            **about,
        }
        if failures:
            about["failed"] = failures
        print(f"stored in {write_results(name, scores, about, folder=RESULTS)}")
    if failures:
        print(f"\n{len(failures)} of {len(tasks)} tasks failed:", file=sys.stderr)
        for failure in failures:
            task = Task(name, failure["seed"], tuple(failure["models"]), ())
            print(f"{task.label} failed: {failure['error']}", file=sys.stderr)
    scores.attrs = {
        "failed": failures,
        "execution": execution,
        "seconds": round(seconds),
    }
    return scores


def run_benchmark(
    name: str,
    one_task: Callable,
    args: argparse.Namespace,
    keys: list | Callable[[int], list],
    models: dict,
    about: dict,
    baseline: str | None,
    data: tuple | None = None,
) -> int:
    """run_over_seeds, storing the whole run unless --no-store or --models was given (a
    partial run never replaces the results);
    with --update, the rows of the --models replace theirs among the stored results
    (update_results, in the order of `models`). Returns the exit status."""
    scores = run_over_seeds(
        name,
        one_task,
        args,
        keys,
        models,
        about,
        baseline,
        store=not args.no_store and getattr(args, "models", None) is None,
        data=data,
    )
    if getattr(args, "update", False):
        described = {key: models[key] for key in args.models}
        stored = update_results(name, scores, described, about, list(models))
        print(f"stored in {stored}")
    return exit_status(scores)


def exit_status(scores: pd.DataFrame) -> int:
    """1 if a task of the run that made `scores` failed, else 0."""
    return 1 if scores.attrs.get("failed") else 0


def update_results(
    name: str,
    scores: pd.DataFrame,
    models: dict,
    about: dict,
    order: list | None = None,
) -> Path:
    """Replace the stored rows of `models` (key -> {"label", "reads"}) in benchmark NAME's
    results by those of `scores` (a run of the same script over the same seeds and
    data), keeping every other row. From `about` (what the run records), "data" must be
    the stored data and "recipes" join the stored recipes. Each seed's rows follow
    `order` (model keys; by default the stored models, then the new ones). The stored
    run's date, machine, versions, command and time stay; the update's are added to
    "updates"."""
    stored = load_results(name, folder=RESULTS)
    seeds = stored.index.unique("seed").tolist()
    if scores.index.unique("seed").tolist() != seeds:
        raise SystemExit(f"the stored results of {name} are for the seeds {seeds}")
    if about.get("data") != stored.attrs.get("data"):
        raise SystemExit(
            f"the stored results of {name} were made from other data files; run the "
            f"whole benchmark again rather than updating them"
        )
    models = {
        key: value
        for key, value in models.items()
        if key in scores.index.unique("model")
    }
    record = dict(stored.attrs)
    record["models"] = {**record["models"], **models}
    if about.get("recipes"):
        record["recipes"] = {**record.get("recipes", {}), **about["recipes"]}
    update = {
        **run_record(),
        "command": " ".join(["python", *sys.argv]),
        "models": list(models),
        "seconds": scores.attrs.get("seconds"),
        "execution": scores.attrs.get("execution"),
    }
    if scores.attrs.get("failed"):
        update["failed"] = scores.attrs["failed"]
    record["updates"] = [*record.get("updates", []), update]
    kept = stored.drop(index=list(models), level="model", errors="ignore")
    merged = pd.concat([kept, scores.loc[(slice(None), list(models)), :]])
    order = order or list(record["models"])
    position = {key: index for index, key in enumerate(order)}
    merged = merged.iloc[
        sorted(
            range(len(merged)),
            key=lambda row: (
                seeds.index(merged.index[row][0]),
                position.get(merged.index[row][1], len(order)),
            ),
        )
    ]
    return write_results(name, merged, record, folder=RESULTS)
