"""Stored benchmark results: written by the scripts in benchmarks/, read by the chapters.

A chapter trains one model per kind on one split; a claim that one kind beats another rests
on a benchmark over several split seeds. Each benchmark stores its scores, one row per seed
and model, with the date, the machine and the versions, in benchmarks/results/NAME.json, and
the chapters quote means and spreads from there (never typed by hand).

- write_results(name, scores, about): store a table indexed by (seed, model), safely
- load_results(name): the table back, with what was stored about the run in `.attrs`
- summary(scores): mean and sample standard deviation over the seeds, per model
- gain(scores, a, b): per-seed differences of one score between two models
- table_with_spread(scores, columns): "mean ± sd" per model, with what each model reads
- with_error(value, error): one "value ± error" table cell
"""

import hashlib
import json
import os
import platform
import sys
import tempfile
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd

from jetimages.layout import RESULTS

__all__ = [
    "RESULTS",
    "gain",
    "load_results",
    "summary",
    "table_with_spread",
    "write_results",
]


PACKAGES = ["torch", "numpy", "scikit-learn", "pandas", "h5py"]


class MissingResults(FileNotFoundError):
    """A chapter asked for a benchmark whose results are not stored."""


def _machine() -> dict:
    import torch

    if torch.cuda.is_available():
        device = torch.cuda.get_device_name()
    else:
        device = f"CPU, {torch.get_num_threads()} threads"
    return {
        "device": device,
        "processor": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "system": platform.platform(),
    }


def data_record(*images_files) -> dict:
    """{file name: SHA-256} of each dataset file named and of its constituents file:
    what a benchmark read, so that a test can tell when its results are of other data."""
    from jetimages.schema import constituents_path  # the data tool, only when storing

    record = {}
    for images in images_files:
        for path in (Path(images), constituents_path(images)):
            record[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return record


def write_results(name: str, scores: pd.DataFrame, about: dict, folder=RESULTS) -> Path:
    """Store `scores` (index: seed, model; columns: scores) as folder/NAME.json.

    `about` says what was run (the command, the recipes); the date, the machine and the
    versions are added here. The file is written under a temporary name and renamed over
    the old one, so an interrupted run leaves the stored results as they were.
    """
    if list(scores.index.names) != ["seed", "model"]:
        raise ValueError("scores must be indexed by (seed, model)")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    record = {
        "benchmark": name,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": _machine(),
        "versions": {
            "python": sys.version.split()[0],
            **{package: metadata.version(package) for package in PACKAGES},
        },
        **about,
        "rows": [
            {"seed": int(seed), "model": model, **{k: float(v) for k, v in row.items()}}
            for (seed, model), row in scores.iterrows()
        ],
    }
    target = folder / f"{name}.json"
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as out:
            json.dump(record, out, indent=1)
            out.write("\n")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(
            temporary, 0o666 & ~umask
        )  # mkstemp made it private; results are shared
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise
    return target


def load_results(name: str, folder=RESULTS) -> pd.DataFrame:
    """The stored table of benchmark NAME, indexed by (seed, model), in stored order.

    What was stored about the run (date, machine, versions, command) is in `.attrs`.
    """
    path = Path(folder) / f"{name}.json"
    if not path.is_file():
        raise MissingResults(
            f"no stored results for the benchmark {name!r} ({path} is missing). "
            f"Restore it with `git checkout -- benchmarks/results/`, or make it with "
            f"`python benchmarks/{name}.py` from the repository root."
        )
    try:
        record = json.loads(path.read_text())
        scores = pd.DataFrame(record.pop("rows")).set_index(["seed", "model"])
    except (ValueError, KeyError) as error:
        raise ValueError(
            f"{path} is not a benchmark result file ({error}); restore it with "
            f"`git checkout -- benchmarks/results/` or rerun `python benchmarks/{name}.py`"
        ) from error
    scores.attrs = record
    return scores


def summary(scores: pd.DataFrame) -> pd.DataFrame:
    """Per model, in stored order: the mean and sample standard deviation over the seeds
    of every score, as columns (score, "mean") and (score, "sd")."""
    grouped = scores.groupby(level="model", sort=False)
    return pd.concat(
        {"mean": grouped.mean(), "sd": grouped.std(ddof=1)}, axis=1
    ).swaplevel(axis=1)[scores.columns]


def gain(scores: pd.DataFrame, a: str, b: str, column: str = "accuracy") -> pd.Series:
    """Per seed, model a's score minus model b's (positive: a is ahead)."""
    by_seed = scores[column].unstack("model")
    return by_seed[a] - by_seed[b]


def with_error(
    value: float, error: float, digits: int = 3, signed: bool = False
) -> str:
    """A table cell 'value ± error', both with `digits` decimals (the value with its sign
    if `signed`): a value that rounds to zero never shows as -0 (format z), and no-break
    spaces keep the three parts on one line of a narrow column."""
    sign = "+" if signed else ""
    return f"{value:{sign}z.{digits}f}\u00a0±\u00a0{error:.{digits}f}"


def table_with_spread(
    scores: pd.DataFrame, columns: list[str], digits: int = 3
) -> pd.DataFrame:
    """A table for the page: one row per model (its stored label), a column "reads" with
    what the model reads, and "mean ± sd" over the seeds for each of `columns`."""
    models = scores.attrs.get("models", {})
    means = summary(scores)
    table = pd.DataFrame(index=means.index)
    table["reads"] = [models.get(key, {}).get("reads", "") for key in means.index]
    for column in columns:
        table[column] = [
            with_error(mean, sd, digits)
            for mean, sd in zip(means[column, "mean"], means[column, "sd"])
        ]
    table.index = [models.get(key, {}).get("label", key) for key in means.index]
    return table
