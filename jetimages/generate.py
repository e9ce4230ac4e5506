"""Make a dataset file from simulation blocks: on this machine's cores, on a Dask cluster, or as
shards to merge later. Every argument and output path is checked before the first event."""

import contextlib
import multiprocessing
import os
from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np
from tqdm import tqdm

from . import dataset, physics
from .cluster import connect, results
from .simulation import Block, simulate_block

# NumPy's seeds are non-negative; the file stores the seed as a 64-bit signed integer
MAX_SEED = 2**63 - 1
SHARD_HINT = "Make that shard again with the generate command that made the others."


def _run_block(task: tuple[str, int, int, int]) -> Block:
    label, block, n_jets, seed = task
    return simulate_block(label, seed, block, n_jets)


def _local_results(jobs: list[tuple[str, int, int, int]], workers: int) -> Iterator[Block]:
    if workers == 1:
        yield from map(_run_block, jobs)
    else:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield from pool.imap_unordered(_run_block, jobs)


def simulate_blocks(tasks: list[tuple[str, int, int]], seed: int, workers: int, client=None) -> dict[str, np.ndarray]:
    """Run the (label, block, n_jets) tasks on `workers` processes, or on the Dask cluster of
    `client` (see cluster.connect); rows in (class, block, row) order, whoever simulated them."""
    jobs = [(label, block, n_jets, seed) for label, block, n_jets in tasks]
    outputs = _local_results(jobs, workers) if client is None else results(client, _run_block, jobs)
    blocks = []
    with tqdm(total=sum(n for _, _, n in tasks), unit="jet", desc="simulating") as bar:
        for block in outputs:
            blocks.append(block)
            bar.update(len(block))
    blocks.sort(key=lambda b: (physics.LABELS.index(b.label), b.block))
    return {name: np.concatenate([b.arrays[name] for b in blocks]) for name in dataset.ARRAYS}


def shard_tasks(jets_per_class: int, shard: int, shards: int) -> list[tuple[str, int, int]]:
    """The (label, block, n_jets) tasks of one shard: every shards-th block of the plan, from `shard` on."""
    plan = dataset.block_plan(jets_per_class)
    if not 1 <= shards <= len(plan):
        raise ValueError(
            f"--shards: the number of shards must be between 1 and {len(plan)}, the number of simulation "
            f"blocks of {jets_per_class} jets per class (so that no shard is empty), not {shards}"
        )
    if not 0 <= shard < shards:
        raise ValueError(f"--shard: shard must be between 0 and {shards - 1}, not {shard}")
    return plan[shard::shards]


def check_seed(seed: int) -> None:
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"--seed: the seed must be a whole number from 0 to {MAX_SEED}, not {seed}")


def generate(out: str | os.PathLike, jets_per_class: int, seed: int, shard: int = 0, shards: int = 1,
             workers: int | None = None, constituents_out: str | os.PathLike | None = None,
             dask: str | None = None) -> Path:
    """Simulate a whole dataset (shards == 1, rows shuffled) or one shard of it (rows in block order).

    A whole dataset is two files: `out` and `constituents_out` (by default beside `out`, see
    dataset.constituents_path); a shard is the one file `out`. With `dask`, the address of a Dask
    scheduler or "local", the blocks run on that cluster (cluster.connect); the bytes are the same.
    Every argument and both output paths are checked before the first event is simulated.
    """
    tasks = shard_tasks(jets_per_class, shard, shards)
    check_seed(seed)
    if workers is not None and workers < 1:
        raise ValueError(f"--workers: the number of processes must be at least 1, not {workers}")
    if shards > 1:
        if constituents_out is not None:
            raise ValueError("--constituents-out: a shard is one file holding every array; give it to merge instead")
        dataset.prepare_outputs(out)
    else:
        constituents_out = constituents_out or dataset.constituents_path(dataset.prepare_output(out))
        dataset.prepare_outputs(out, constituents_out)

    with connect(dask, workers) if dask is not None else contextlib.nullcontext() as client:
        arrays = simulate_blocks(tasks, seed, workers or os.cpu_count() or 1, client)
    attrs = dataset.file_attributes(seed, jets_per_class)
    if shards > 1:
        attrs.update(shard=shard, shards=shards)
        return dataset.write_dataset(out, arrays, attrs)
    return dataset.write_dataset(out, dataset.shuffle_rows(arrays, seed), attrs, constituents_out)


def _comparable(value):
    """An attribute value as plain Python, so that values read from two files compare with ==."""
    return np.asarray(value).tolist()


def _check_shard_set(shards: list[tuple[Path, dict[str, np.ndarray], dict]]) -> None:
    """That the shards are exactly shards 0 .. K-1 of one dataset, each once, each holding exactly
    its part of the dataset's block plan; otherwise a ValueError that names the offending file."""
    first_path, _, first = shards[0]
    # everything but the shard number must agree: seed, size, shard total, schema, cuts, every version
    for path, _, attrs in shards[1:]:
        keys = (first.keys() | attrs.keys()) - {"shard"}
        differing = sorted(key for key in keys if _comparable(first.get(key)) != _comparable(attrs.get(key)))
        if differing:
            details = "; ".join(f"{key} {first.get(key)!s} there, {attrs.get(key)!s} here" for key in differing)
            raise ValueError(f"{path} is not a shard of the same dataset as {first_path} ({details})")

    total, jets_per_class = int(first["shards"]), int(first["jets_per_class"])
    seen: dict[int, Path] = {}
    for path, _, attrs in shards:
        index = int(attrs["shard"])
        if not 0 <= index < total:
            raise ValueError(f"{path} says it is shard {index} of {total}, which does not exist")
        if index in seen:
            raise ValueError(f"{path} and {seen[index]} are both shard {index} of {total}: give each shard once")
        seen[index] = path
    missing = sorted(set(range(total)) - seen.keys())
    if missing:
        raise ValueError(f"shards {missing} of {total} are missing")
    for path, arrays, attrs in shards:
        _check_shard_blocks(path, arrays, shard_tasks(jets_per_class, int(attrs["shard"]), total))


def _check_shard_blocks(path: Path, arrays: dict[str, np.ndarray], tasks: list[tuple[str, int, int]]) -> None:
    """That a shard holds exactly the blocks of `tasks`, each block complete: rows 0 .. n_jets - 1."""
    expected = {(physics.LABELS.index(label), block): n_jets for label, block, n_jets in tasks}
    keys = arrays["labels"].astype(np.int64) << 16 | arrays["block"]
    found_keys, block_of_row, counts = np.unique(keys, return_inverse=True, return_counts=True)
    found = {(int(key) >> 16, int(key) & 0xFFFF): int(count) for key, count in zip(found_keys, counts)}
    if found != expected:
        wrong = sorted(found.keys() ^ expected.keys()) or sorted(k for k in found if found[k] != expected[k])
        label, block = wrong[0]
        raise ValueError(
            f"{path} does not hold the blocks its shard number says (first difference: class "
            f"{physics.LABELS[label]}, block {block}: {found.get(wrong[0], 0)} jets, expected "
            f"{expected.get(wrong[0], 0)}). {SHARD_HINT}"
        )
    # every (label, block, row) appears once (dataset._check_arrays), so rows below n_jets are all of them
    if np.any(arrays["row_in_block"] >= counts[block_of_row]):
        raise ValueError(f"{path} has rows numbered beyond the size of their block. {SHARD_HINT}")


def _is_shard(path: Path) -> bool:
    """False for a readable HDF5 file without a shard number; True otherwise, so that reading the
    file (dataset._read_file) can say what else is wrong with it."""
    try:
        with h5py.File(path, "r") as file:
            return {"shard", "shards"} <= file.attrs.keys()
    except OSError:
        return True


def merge(shard_paths: list[str | os.PathLike], out: str | os.PathLike,
          constituents_out: str | os.PathLike | None = None) -> Path:
    """Join the shards of one dataset into the shuffled files that `generate` would have made whole.

    Refuses, naming the file, anything that is not exactly shards 0 .. K-1 of one dataset, and
    output paths that are one of the shards.
    """
    if not shard_paths:
        raise ValueError("merge needs at least one shard file")
    constituents_out = constituents_out or dataset.constituents_path(dataset.prepare_output(out))
    targets = dataset.prepare_outputs(out, constituents_out)
    for path in map(Path, shard_paths):
        if not path.is_file():
            raise FileNotFoundError(f"shard file {path} does not exist (or is not a file)")
        for target in targets:
            if target.exists() and os.path.samefile(path, target):
                raise ValueError(f"the output {target} is the shard {path}: writing it would destroy an input; choose another name")
        if not _is_shard(path):
            raise ValueError(f"{path} is not a shard (it has no 'shard' attribute); merge takes the files of generate --shards")

    shards = [(Path(path), *dataset._read_file(Path(path), list(dataset.ARRAYS), SHARD_HINT)) for path in shard_paths]
    _check_shard_set(shards)
    joined = {name: np.concatenate([arrays[name] for _, arrays, _ in shards]) for name in dataset.ARRAYS}
    attrs = shards[0][2]
    seed = int(attrs["seed"])
    # the same attributes, in the same order, as a whole-dataset run writes; versions from the shards
    merged_attrs = dataset.file_attributes(seed, int(attrs["jets_per_class"]))
    merged_attrs.update({key: str(value) for key, value in attrs.items() if key.startswith("version_")})
    return dataset.write_dataset(out, dataset.shuffle_rows(joined, seed), merged_attrs, constituents_out)
