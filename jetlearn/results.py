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

import numpy as np
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


# Attributes that say how a file was made, not what its arrays hold: the versions and
# code digest (a regenerated file with the same arrays records newer ones), and the Pythia
# settings, which copy the tool's constants (a file of 0.1.0 lacks shared_settings) and
# whose effect on the jets is in the arrays.
PROVENANCE_PREFIXES = ("version_", "source_")
PROVENANCE_KEYS = ("simulation_settings", "shared_settings")


def _is_provenance(key: str) -> bool:
    return key.startswith(PROVENANCE_PREFIXES) or key in PROVENANCE_KEYS


def _attribute_text(value) -> str:
    """An HDF5 attribute as text that is the same however h5py hands it back (str or
    bytes, NumPy scalar or array) and that keeps the dtype of numbers."""
    if isinstance(value, (str, bytes)):
        return json.dumps(value.decode() if isinstance(value, bytes) else value)
    array = np.asarray(value)
    if array.dtype.kind in "OSU":
        items = [v.decode() if isinstance(v, bytes) else str(v) for v in array.flat]
        return json.dumps([list(array.shape), items])
    return json.dumps([array.dtype.str, list(array.shape), array.tobytes().hex()])


def _contents_digest(path: Path, rows: int = 8000) -> str:
    """The SHA-256 of what a benchmark reads from a dataset file: each array's name,
    dtype, shape, attributes (units) and values, and the file's attributes but those of
    _is_provenance. Neither the compression nor the bytes of the file count, so a file
    remade with the same arrays keeps its digest."""
    import h5py

    digest = hashlib.sha256()
    with h5py.File(path, "r") as file:
        for key in sorted(file.attrs):
            if not _is_provenance(key):
                digest.update(f"{key}={_attribute_text(file.attrs[key])}\n".encode())
        names = []

        def collect(name, item):
            if isinstance(item, h5py.Dataset):
                names.append(name)

        file.visititems(collect)
        for name in sorted(names):
            data = file[name]
            shape = list(data.shape)
            digest.update(f"{name} {data.dtype.str} {shape}\n".encode())
            for key in sorted(data.attrs):
                digest.update(f"{key}={_attribute_text(data.attrs[key])}\n".encode())
            if not data.shape:
                digest.update(np.asarray(data[()]).tobytes())
                continue
            # a few thousand rows at a time: C order, so the same bytes as all at once
            for start in range(0, data.shape[0], rows):
                digest.update(
                    np.ascontiguousarray(data[start : start + rows]).tobytes()
                )
    return digest.hexdigest()


def data_record(*images_files) -> dict:
    """{file name: SHA-256 of its contents} of each dataset file named and of its
    constituents file: what a benchmark read, so that a test can tell when its results
    are of other data. The digest is of the arrays and the attributes that describe them
    (_contents_digest), not of the file's bytes, which change when the same arrays are
    written again by newer software."""
    from jetimages.schema import constituents_path  # the data tool, only when storing

    record = {}
    for images in images_files:
        for path in (Path(images), constituents_path(images)):
            record[path.name] = _contents_digest(path)
    return record


def run_record() -> dict:
    """When, where and with which versions a benchmark ran."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": _machine(),
        "versions": {
            "python": sys.version.split()[0],
            **{package: metadata.version(package) for package in PACKAGES},
        },
    }


def write_results(name: str, scores: pd.DataFrame, about: dict, folder=RESULTS) -> Path:
    """Store `scores` (index: seed, model; columns: scores) as folder/NAME.json.

    `about` says what was run (the command, the recipes); the date, the machine and the
    versions (run_record) are added here, unless `about` has its own. The file is written under a temporary name and renamed over
    the old one, so an interrupted run leaves the stored results as they were.
    """
    if list(scores.index.names) != ["seed", "model"]:
        raise ValueError("scores must be indexed by (seed, model)")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    record = {
        "benchmark": name,
        **run_record(),
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
