"""Make a dataset file from simulation blocks, on all cores, whole or as shards to merge later."""

import multiprocessing
import os
from pathlib import Path

import h5py
import numpy as np
from tqdm import tqdm

from . import dataset
from .simulation import simulate_block


def _run_block(task: tuple[str, int, int, int]):
    label, block, n_jets, seed = task
    return simulate_block(label, seed, block, n_jets)


def simulate_blocks(tasks: list[tuple[str, int, int]], seed: int, workers: int) -> dict[str, np.ndarray]:
    """Run the (label, block, n_jets) tasks on `workers` processes; rows in (class, block, row) order."""
    results = []
    jobs = [(label, block, n_jets, seed) for label, block, n_jets in tasks]
    with tqdm(total=sum(n for _, _, n in tasks), unit="jet", desc="simulating") as bar:
        if workers == 1:
            outputs = map(_run_block, jobs)
            for result in outputs:
                results.append(result)
                bar.update(len(result))
        else:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for result in pool.imap_unordered(_run_block, jobs):
                    results.append(result)
                    bar.update(len(result))
    results.sort(key=lambda r: (dataset.physics.LABELS.index(r.label), r.block))
    return {name: np.concatenate([r.arrays[name] for r in results]) for name in dataset.ARRAYS}


def shard_tasks(jets_per_class: int, shard: int, shards: int) -> list[tuple[str, int, int]]:
    if not 0 <= shard < shards:
        raise ValueError(f"shard must be between 0 and {shards - 1}, not {shard}")
    return dataset.block_plan(jets_per_class)[shard::shards]


def generate(out: str | os.PathLike, jets_per_class: int, seed: int, shard: int = 0, shards: int = 1,
             workers: int | None = None, constituents_out: str | os.PathLike | None = None) -> Path:
    """Simulate a whole dataset (shards == 1, rows shuffled) or one shard of it (rows in block order).

    A whole dataset is two files: `out` and `constituents_out` (by default beside `out`, see
    dataset.constituents_path); a shard is the one file `out`.
    """
    out = Path(out)
    if not out.parent.is_dir():
        raise FileNotFoundError(f"cannot write {out}: the folder {out.parent} does not exist; create it first")
    tasks = shard_tasks(jets_per_class, shard, shards)
    arrays = simulate_blocks(tasks, seed, workers or os.cpu_count() or 1)
    attrs = dataset.file_attributes(seed, jets_per_class)
    if shards > 1:
        attrs.update(shard=shard, shards=shards)
        return dataset.write_dataset(out, arrays, attrs)
    constituents_out = constituents_out or dataset.constituents_path(out)
    return dataset.write_dataset(out, dataset.shuffle_rows(arrays, seed), attrs, constituents_out)


def merge(shard_paths: list[str | os.PathLike], out: str | os.PathLike,
          constituents_out: str | os.PathLike | None = None) -> Path:
    """Join the shards of one dataset into the shuffled files that `generate` would have made whole."""
    arrays: dict[str, list[np.ndarray]] = {}
    attrs = None
    seen_shards = set()
    for path in shard_paths:
        if not Path(path).is_file():
            raise FileNotFoundError(f"shard file {path} does not exist")
        with h5py.File(path, "r") as file:
            shard_attrs = dict(file.attrs)
            if "shard" not in shard_attrs:
                raise ValueError(f"{path} is not a shard (it has no 'shard' attribute); merge takes shard files")
            for name in dataset.ARRAYS:
                arrays.setdefault(name, []).append(file[name][:])
        seen_shards.add(int(shard_attrs.pop("shard")))
        shards = int(shard_attrs.pop("shards"))
        if attrs is None:
            attrs = shard_attrs
        elif any(str(attrs[key]) != str(shard_attrs[key]) for key in ("seed", "jets_per_class", "version_pythia8mc")):
            raise ValueError(f"{path} belongs to another dataset (different seed, size or Pythia version)")
    if attrs is None:
        raise ValueError("merge needs at least one shard file")
    if seen_shards != set(range(shards)):
        raise ValueError(f"shards {sorted(set(range(shards)) - seen_shards)} of {shards} are missing")
    joined = {name: np.concatenate(parts) for name, parts in arrays.items()}
    seed = int(attrs["seed"])
    # the same attributes, in the same order, as a whole-dataset run writes; versions from the shards
    merged_attrs = dataset.file_attributes(seed, int(attrs["jets_per_class"]))
    merged_attrs.update({key: str(value) for key, value in attrs.items() if key.startswith("version_")})
    constituents_out = constituents_out or dataset.constituents_path(out)
    return dataset.write_dataset(out, dataset.shuffle_rows(joined, seed), merged_attrs, constituents_out)
