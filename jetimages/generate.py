"""Make a dataset from simulation blocks: on this machine's cores, on a Dask cluster,
or as shards that `merge` joins later. The plan of blocks and the shuffle of rows live
here, so that a merged dataset is the same bytes as one made whole. Every argument and
output path is checked before the first event.
"""

import concurrent.futures
import concurrent.futures.process
import contextlib
import ctypes
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np
from tqdm import tqdm

from . import physics, schema
from .dask_backend import quiet_client, results
from .dataset import read_file
from .errors import DamagedInputError, MachineError, NotFoundError, UsageError
from .safe_output import (
    check_dataset_output,
    check_dataset_outputs,
    check_free_space,
    locked_outputs,
    write_dataset,
)
from .simulation import Block, check_pythia, simulate_block

# NumPy's seeds are non-negative; the file stores the seed as a 64-bit signed integer
MAX_SEED = 2**63 - 1
SHARD_HINT = "Make that shard again with the generate command that made the others."
# the block numbers of one class must fit the on-disk type of the 'block' column
MAX_JETS_PER_CLASS = (
    int(np.iinfo(schema.ARRAYS["block"].dtype).max) + 1
) * schema.BLOCK_SIZE


def block_plan(jets_per_class: int) -> list[tuple[str, int, int]]:
    """Every (class label, block number, jets in that block) that a dataset of this size
    needs."""
    if not 0 < jets_per_class <= MAX_JETS_PER_CLASS:
        raise UsageError(
            "{jets_per_class}: jets per class must be a positive number up to {most} "
            "(block numbers must fit the uint16 'block' column), not {given}",
            most=MAX_JETS_PER_CLASS,
            given=jets_per_class,
        )
    plan = []
    for label in physics.LABELS:
        for block, start in enumerate(range(0, jets_per_class, schema.BLOCK_SIZE)):
            plan.append((label, block, min(schema.BLOCK_SIZE, jets_per_class - start)))
    return plan


def shuffle_rows(arrays: dict[str, np.ndarray], seed: int) -> dict[str, np.ndarray]:
    """Put rows in canonical (class, block, row) order, then shuffle them with the
    dataset's seed."""
    order = np.lexsort((arrays["row_in_block"], arrays["block"], arrays["labels"]))
    permutation = order[np.random.default_rng(seed).permutation(len(order))]
    return {name: array[permutation] for name, array in arrays.items()}


# What generate and merge check is free before they start: bytes per jet, measured on
# the committed files (410 for the images, 612 for the constituents) plus a margin, and
# per file.
BYTES_PER_JET = {"images": 500, "constituents": 750}
BYTES_PER_FILE = 2**20


def estimated_size(names: list[str], jets: int) -> int:
    """About how many bytes a file of the arrays `names` of `jets` simulated jets
    takes."""
    files = {schema.ARRAYS[name].file for name in names} - {"both"}
    return BYTES_PER_FILE + jets * sum(BYTES_PER_JET[file] for file in files)


def _free_space_for(targets: dict[Path, list[str]], jets: int) -> None:
    """check_free_space, estimated before the jets are made, for the files `targets`."""
    sizes = {path: estimated_size(names, jets) for path, names in targets.items()}
    check_free_space(sizes, estimated=True)


# What a run holds in memory per jet while it writes: the arrays (7.6 kB), their
# shuffled and rounded copies, and the compressed files made in memory (about 25 kB
# measured in all).
MEMORY_PER_JET = 25_000


def _memory_for(jets: int) -> None:
    """MachineError if `jets` simulated jets would not fit in the memory available."""
    try:
        import psutil
    except ImportError:  # nothing to estimate with: the run will tell
        return
    available = psutil.virtual_memory().available
    needed = jets * MEMORY_PER_JET
    if needed > available:
        fit = available // MEMORY_PER_JET
        raise MachineError(
            "{jets} jets need about {needed:.1f} GB of memory to be written, but "
            "{available:.1f} GB are available: about {fit} jets fit ({per_class} per "
            "class); lower {jets_per_class}, or run on a machine with more memory",
            jets=jets,
            needed=needed / 1e9,
            available=available / 1e9,
            fit=fit,
            per_class=fit // len(physics.LABELS),
        )


def _run_block(task: tuple[str, int, int, int, str]) -> Block:
    label, block, n_jets, seed, simulation = task
    return simulate_block(label, seed, block, n_jets, simulation)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


WORKER_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _quiet_worker(parent: int) -> None:
    """Set up a pool worker: Ctrl-C and a kill are for the parent process, which prints
    one line and stops the pool; a worker ends silently with it, even if it is killed
    outright, instead of printing KeyboardInterrupt or BrokenPipeError tracebacks."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # terminate()'s signal, uncaught
    # blocked by the parent while it forked, until the two lines above replaced its handlers
    signal.pthread_sigmask(signal.SIG_UNBLOCK, WORKER_SIGNALS)
    try:  # Linux: SIGTERM to this worker when its parent dies (PR_SET_PDEATHSIG)
        if ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM) != 0:
            raise OSError
    except (AttributeError, OSError):
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # it died before the line above
        os._exit(1)


def _local_results(
    jobs: list[tuple[str, int, int, int, str]], workers: int
) -> Iterator[Block]:
    if workers == 1:
        yield from map(_run_block, jobs)
        return
    # a ProcessPoolExecutor, not a multiprocessing.Pool: a Pool whose worker dies (the
    # out-of-memory killer, a crash) starts another and waits forever for the lost block
    executor = concurrent.futures.ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_quiet_worker,
        initargs=(os.getpid(),),
    )
    try:
        # a worker starts with a copy of this process's handlers, which would turn a
        # kill into a traceback there: the signals wait until the worker has set its
        # own. One that came meanwhile arrives when they are unblocked, inside this
        # try, so that the workers are ended with the run.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, WORKER_SIGNALS)
        try:
            futures = [executor.submit(_run_block, job) for job in jobs]
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        for future in concurrent.futures.as_completed(futures):
            try:
                block = future.result()
            except concurrent.futures.process.BrokenProcessPool:
                raise MachineError(
                    "a worker process died while simulating (killed, out of memory, "
                    "or crashed); nothing was written: run again, with fewer "
                    "{workers} if memory is short"
                ) from None
            yield block
    finally:
        # whatever ends the loop, the workers stop at once, mid-block
        for process in list((executor._processes or {}).values()):
            process.terminate()
        executor.shutdown(wait=True, cancel_futures=True)


def simulate_blocks(
    tasks: list[tuple[str, int, int]],
    seed: int,
    workers: int,
    client,
    simulation: str = "nominal",
) -> dict[str, np.ndarray]:
    """Run the (label, block, n_jets) tasks on `workers` processes, or, if `client` is
    not None, on its Dask cluster (see dask_backend.connect); rows in (class, block,
    row) order, whoever simulated them."""
    jobs = [(label, block, n_jets, seed, simulation) for label, block, n_jets in tasks]
    outputs = (
        _local_results(jobs, workers)
        if client is None
        else results(client, _run_block, jobs)
    )
    blocks = []
    total = sum(n for _, _, n in tasks)
    # closing: the pool stops at once, whatever interrupts the loop
    with (
        tqdm(total=total, unit="jet", desc="simulating") as bar,
        contextlib.closing(outputs),
    ):
        for block in outputs:
            blocks.append(block)
            bar.update(len(block))
    blocks.sort(key=lambda b: (physics.LABELS.index(b.label), b.block))
    return {
        name: np.concatenate([b.arrays[name] for b in blocks]) for name in schema.ARRAYS
    }


def shard_tasks(
    jets_per_class: int, shard: int, shards: int
) -> list[tuple[str, int, int]]:
    """The (label, block, n_jets) tasks of one shard: every shards-th block of the plan,
    from `shard` on."""
    plan = block_plan(jets_per_class)
    if not 1 <= shards <= len(plan):
        raise UsageError(
            "{shards}: the number of shards must be between 1 and {blocks}, the number "
            "of simulation blocks of {per_class} jets per class (so that no "
            "shard is empty), not {given}",
            blocks=len(plan),
            per_class=jets_per_class,
            given=shards,
        )
    if not 0 <= shard < shards:
        raise UsageError(
            "{shard}: shard must be between 0 and {last}, not {given}",
            last=shards - 1,
            given=shard,
        )
    return plan[shard::shards]


def check_simulation(simulation: str) -> None:
    if simulation not in physics.SIMULATIONS:
        raise UsageError(
            "{simulation}: unknown simulation {given!r}; choose one of {known}",
            given=simulation,
            known=", ".join(physics.SIMULATIONS),
        )


def check_seed(seed: int) -> None:
    if not 0 <= seed <= MAX_SEED:
        raise UsageError(
            "{seed}: the seed must be a whole number from 0 to {most}, not {given}",
            most=MAX_SEED,
            given=seed,
        )


def _constituents_out(
    out: str | os.PathLike, constituents_out: str | os.PathLike | None, force: bool
) -> str | os.PathLike:
    """The constituents file of a whole dataset: `constituents_out`, or by default the
    one beside `out` (schema.constituents_path), once `out` is checked."""
    if constituents_out is not None:
        return constituents_out
    return schema.constituents_path(
        check_dataset_output(out, kind="images", force=force)
    )


def generate(
    out: str | os.PathLike,
    *,
    jets_per_class: int,
    seed: int,
    shard: int = 0,
    shards: int = 1,
    workers: int | None = None,
    constituents_out: str | os.PathLike | None = None,
    dask: str | None = None,
    simulation: str = "nominal",
    force: bool = False,
) -> Path:
    """Simulate a whole dataset (shards == 1, rows shuffled) or one shard of it (rows in
    block order).

    A whole dataset is two files: `out` and `constituents_out` (by default beside `out`,
    see schema.constituents_path); a shard is the one file `out`. With `dask`, the
    address of a Dask scheduler or "local", the blocks run on that cluster
    (dask_backend.connect); the bytes are the same. Every argument and both output paths
    are checked before the first event is simulated; an existing file is replaced only
    if it is a dataset of this tool, or with `force`. The outputs are locked from then
    on (safe_output.locked_outputs), and their free space checked against an estimate.
    """
    tasks = shard_tasks(jets_per_class, shard, shards)
    check_seed(seed)
    check_simulation(simulation)
    if dask is None:  # a cluster's workers check their own Pythia
        check_pythia()
    if workers is not None and workers < 1:
        raise UsageError(
            "{workers}: the number of processes must be at least 1, not {given}",
            given=workers,
        )
    if shards > 1:
        if constituents_out is not None:
            raise UsageError(
                "{constituents_out}: a shard is one file holding every array; give it "
                "to merge instead"
            )
        targets = check_dataset_outputs(out, force=force)
    else:
        constituents_out = _constituents_out(out, constituents_out, force)
        targets = check_dataset_outputs(out, constituents_out, force=force)

    _memory_for(sum(n for _, _, n in tasks))
    with contextlib.ExitStack() as locked:
        with contextlib.ExitStack() as cluster:  # connecting checks the address
            client = None
            if dask is not None:
                client = cluster.enter_context(quiet_client(dask, workers))
            locks = locked.enter_context(locked_outputs(targets))
            _free_space_for(targets, jets=sum(n for _, _, n in tasks))
            arrays = simulate_blocks(
                tasks, seed, workers or os.cpu_count() or 1, client, simulation
            )
        # the cluster is shut down: writing needs no workers
        attrs = schema.file_attributes(seed, jets_per_class, simulation)
        if shards > 1:
            attrs.update(shard=shard, shards=shards)
            return write_dataset(out, arrays, attrs, force=force, locks=locks)
        arrays = shuffle_rows(arrays, seed)
        return write_dataset(
            out, arrays, attrs, constituents_out, force=force, locks=locks
        )


def _comparable(value):
    """An attribute value as plain Python, so that values read from two files compare
    with ==."""
    return np.asarray(value).tolist()


def _attribute_name(key: str) -> str:
    """An attribute's name in messages: the code digest is named for what it is."""
    if key == schema.SOURCE_ATTRIBUTE:
        return f"{schema.provenance_name(key)} ({key})"
    return key


def _shown_attribute(attrs: dict, key: str) -> str:
    return str(attrs[key]) if key in attrs else schema.NOT_RECORDED


def _check_shard_set(shards: list[tuple[Path, dict[str, np.ndarray], dict]]) -> None:
    """That the shards are exactly shards 0 .. K-1 of one dataset, each once, each
    holding exactly its part of the dataset's block plan; otherwise a UsageError (a
    wrong set) or a DamagedInputError (a shard inconsistent in itself) that names the
    offending file."""
    first_path, _, first = shards[0]
    # everything but the shard number must agree: seed, size, shard total, schema, cuts,
    # every version, the code
    for path, _, attrs in shards[1:]:
        keys = (first.keys() | attrs.keys()) - {"shard"}
        differing = sorted(
            key
            for key in keys
            if _comparable(first.get(key)) != _comparable(attrs.get(key))
        )
        if differing:
            details = "; ".join(
                f"{_attribute_name(key)} {_shown_attribute(first, key)} there, "
                f"{_shown_attribute(attrs, key)} here"
                for key in differing
            )
            raise UsageError(
                "{path} is not a shard of the same dataset as {first} ({details})",
                path=path,
                first=first_path,
                details=details,
            )

    total, jets_per_class = int(first["shards"]), int(first["jets_per_class"])
    seen: dict[int, Path] = {}
    for path, _, attrs in shards:
        index = int(attrs["shard"])
        if not 0 <= index < total:
            raise DamagedInputError(
                "{path} says it is shard {index} of {total}, which does not exist",
                path=path,
                index=index,
                total=total,
            )
        if index in seen:
            raise UsageError(
                "{path} and {other} are both shard {index} of {total}: give each shard "
                "once",
                path=path,
                other=seen[index],
                index=index,
                total=total,
            )
        seen[index] = path
    missing = sorted(set(range(total)) - seen.keys())
    if missing:
        raise UsageError(
            "shards {missing} of {total} are missing", missing=missing, total=total
        )
    for path, arrays, attrs in shards:
        _check_shard_blocks(
            path, arrays, shard_tasks(jets_per_class, int(attrs["shard"]), total)
        )


def _check_shard_blocks(
    path: Path, arrays: dict[str, np.ndarray], tasks: list[tuple[str, int, int]]
) -> None:
    """That a shard holds exactly the blocks of `tasks`, each block complete: rows 0 ..
    n_jets - 1."""
    expected = {
        (physics.LABELS.index(label), block): n_jets for label, block, n_jets in tasks
    }
    keys = arrays["labels"].astype(np.int64) << 16 | arrays["block"]
    found_keys, block_of_row, counts = np.unique(
        keys, return_inverse=True, return_counts=True
    )
    found = {
        (int(key) >> 16, int(key) & 0xFFFF): int(count)
        for key, count in zip(found_keys, counts)
    }
    if found != expected:
        wrong = sorted(found.keys() ^ expected.keys()) or sorted(
            k for k in found if found[k] != expected[k]
        )
        label, block = wrong[0]
        raise DamagedInputError(
            "{path} does not hold the blocks its shard number says (first difference: "
            "class {label}, block {block}: {found} jets, expected {expected}). {hint}",
            path=path,
            label=physics.LABELS[label],
            block=block,
            found=found.get(wrong[0], 0),
            expected=expected.get(wrong[0], 0),
            hint=SHARD_HINT,
        )
    # every (label, block, row) appears once (read_file checks), so rows below n_jets
    # are all of them
    if np.any(arrays["row_in_block"] >= counts[block_of_row]):
        raise DamagedInputError(
            "{path} has rows numbered beyond the size of their block. {hint}",
            path=path,
            hint=SHARD_HINT,
        )


def _is_shard(path: Path) -> bool:
    """False for a readable HDF5 file without a shard number; True otherwise, so that
    reading the file (dataset.read_file) can say what else is wrong with it."""
    try:
        with h5py.File(path, "r") as file:
            return {"shard", "shards"} <= file.attrs.keys()
    except OSError:
        return True


def _refuse_inputs_as_outputs(shard_paths: list[Path], outputs) -> None:
    """UsageError if one of the outputs is one of the shards."""
    for path in shard_paths:
        for target in outputs:
            if path.is_file() and target.exists() and os.path.samefile(path, target):
                raise UsageError(
                    "the output {target} is the shard {path}: writing it would destroy "
                    "an input; choose another name",
                    target=target,
                    path=path,
                )


def merge(
    shard_paths: list[str | os.PathLike],
    out: str | os.PathLike,
    *,
    constituents_out: str | os.PathLike | None = None,
    force: bool = False,
) -> Path:
    """Join the shards of one dataset into the shuffled files that `generate` would have
    made whole.

    Refuses, naming the file, anything that is not exactly shards 0 .. K-1 of one
    dataset, and output paths that are one of the shards. The outputs are replaced and
    locked as by `generate`; they are locked once the shards are read and found to be a
    complete set.
    """
    if not shard_paths:
        raise UsageError("merge needs at least one shard file")
    # before the outputs' own checks, which would refuse a shard as an output of
    # another kind, but never, with force, say that it is an input
    if str(out).strip():
        outputs = [Path(out), Path(constituents_out or schema.constituents_path(out))]
        _refuse_inputs_as_outputs(list(map(Path, shard_paths)), outputs)
    constituents_out = _constituents_out(out, constituents_out, force)
    targets = check_dataset_outputs(out, constituents_out, force=force)
    for path in map(Path, shard_paths):
        if not path.is_file():
            raise NotFoundError(
                "shard file {path} does not exist (or is not a file)", path=path
            )
        _refuse_inputs_as_outputs([path], targets)
        if not _is_shard(path):
            raise UsageError(
                "{path} is not a shard (it has no 'shard' attribute); merge takes the "
                "files that generate writes with {shards}",
                path=path,
            )

    shards = [
        (Path(path), *read_file(Path(path), list(schema.ARRAYS), SHARD_HINT))
        for path in shard_paths
    ]
    _check_shard_set(shards)
    with locked_outputs(targets) as locks:
        _free_space_for(
            targets, jets=sum(len(arrays["labels"]) for _, arrays, _ in shards)
        )
        joined = {
            name: np.concatenate([arrays[name] for _, arrays, _ in shards])
            for name in schema.ARRAYS
        }
        attrs = shards[0][2]
        seed = int(attrs["seed"])
        # the same attributes, in the same order, as a whole-dataset run writes;
        # versions and code digest from the shards, which made the jets: shards made
        # before the digest was recorded give a file that records none either
        merged_attrs = schema.file_attributes(
            seed, int(attrs["jets_per_class"]), schema.simulation_of(attrs)
        )
        if schema.SOURCE_ATTRIBUTE not in attrs:
            del merged_attrs[schema.SOURCE_ATTRIBUTE]
        merged_attrs.update(
            {
                key: str(value)
                for key, value in attrs.items()
                if key.startswith(("version_", "source_"))
            }
        )
        joined = shuffle_rows(joined, seed)
        return write_dataset(
            out, joined, merged_attrs, constituents_out, force=force, locks=locks
        )
