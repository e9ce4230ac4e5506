"""Dataset and shard files of the current schema, filled with random numbers instead of simulated
jets, for tests of writing, loading and merging that must take milliseconds."""

from pathlib import Path

import numpy as np

from jetimages import physics, schema
from jetimages.generate import block_plan, shard_tasks, shuffle_rows
from jetimages.safe_output import write_dataset


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
    for name, spec in schema.ARRAYS.items():
        if name not in arrays:
            arrays[name] = (
                rng.integers(0, 100, (rows, *spec.shape))
                if spec.dtype == np.uint16
                else rng.random((rows, *spec.shape))
            )
    return arrays


# every dataset and shard of these tests: 3 jets per class, each class one block
JETS_PER_CLASS = 3
SEED = 1


def write_whole(path: Path) -> Path:
    """A whole dataset (images file at `path`, constituents beside it), as generate writes one."""
    arrays = arrays_for(block_plan(JETS_PER_CLASS))
    attrs = schema.file_attributes(SEED, JETS_PER_CLASS)
    return write_dataset(
        path, shuffle_rows(arrays, SEED), attrs, schema.constituents_path(path)
    )


def write_shard(path: Path, size: int, shard: int, shards: int, **attrs) -> Path:
    """Shard `shard` of `shards` of `size` jets per class, as generate --shard --shards writes it;
    `attrs` override attributes."""
    tasks = shard_tasks(size, shard, shards)
    all_attrs = {
        **schema.file_attributes(SEED, size),
        "shard": shard,
        "shards": shards,
        **attrs,
    }
    return write_dataset(path, arrays_for(tasks, seed=shard), all_attrs)


def write_shards(folder: Path, jets_per_class: int, shards: int) -> list[Path]:
    return [
        write_shard(folder / f"shard-{k}.h5", jets_per_class, k, shards)
        for k in range(shards)
    ]
