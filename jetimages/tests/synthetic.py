"""Dataset and shard files of the current schema, filled with random numbers instead of simulated
jets, for tests of writing, loading and merging that must take milliseconds."""

from pathlib import Path

import numpy as np

from jetimages import dataset, physics
from jetimages.generate import shard_tasks


def arrays_for(
    tasks: list[tuple[str, int, int]], seed: int = 0
) -> dict[str, np.ndarray]:
    """Every array of the schema for the (label, block, n_jets) tasks, rows in block order."""
    rng = np.random.default_rng(seed)
    arrays = {
        "labels": np.concatenate(
            [np.full(n, physics.LABELS.index(label)) for label, _, n in tasks]
        ),
        "block": np.concatenate([np.full(n, block) for _, block, n in tasks]),
        "row_in_block": np.concatenate([np.arange(n) for _, _, n in tasks]),
    }
    rows = len(arrays["labels"])
    for name, spec in dataset.ARRAYS.items():
        if name not in arrays:
            arrays[name] = (
                rng.integers(0, 100, (rows, *spec.shape))
                if spec.dtype == np.uint16
                else rng.random((rows, *spec.shape))
            )
    return arrays


def write_whole(path: Path, jets_per_class: int = 3, seed: int = 1) -> Path:
    """A whole dataset (images file at `path`, constituents beside it), as generate writes one."""
    arrays = arrays_for(dataset.block_plan(jets_per_class))
    attrs = dataset.file_attributes(seed, jets_per_class)
    return dataset.write_dataset(
        path, dataset.shuffle_rows(arrays, seed), attrs, dataset.constituents_path(path)
    )


def write_shard(
    path: Path, size: int, shard: int, shards: int, seed: int = 1, **attrs
) -> Path:
    """Shard `shard` of `shards` of `size` jets per class, as generate --shard --shards writes it;
    `attrs` override attributes."""
    tasks = shard_tasks(size, shard, shards)
    all_attrs = {
        **dataset.file_attributes(seed, size),
        "shard": shard,
        "shards": shards,
        **attrs,
    }
    return dataset.write_dataset(path, arrays_for(tasks, seed=shard), all_attrs)


def write_shards(
    folder: Path, jets_per_class: int, shards: int, seed: int = 1
) -> list[Path]:
    return [
        write_shard(folder / f"shard-{k}.h5", jets_per_class, k, shards, seed)
        for k in range(shards)
    ]
