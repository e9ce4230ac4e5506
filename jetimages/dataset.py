"""The dataset files: how they are assembled from blocks, written safely, and loaded
with checks.

A dataset is two HDF5 files with one row per jet, in the same (shuffled) order:

    jet-images.h5        the images and extra channels, the 16 features, jet kinematics
    jet-constituents.h5  the hardest particles of each jet, for particle-set networks

ARRAYS below lists every array: its file, dtype on disk, units and meaning. Both files
carry the same attributes: the cuts, the image geometry, the seed and the software
versions. A shard (one part of a dataset made on its own) is a single file holding every
array.
"""

import contextlib
import errno
import fcntl
import os
import re
import secrets
import shutil
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import h5py
import numpy as np

from . import physics
from .constituents import MAX_PARTICLES, PARTICLE_FEATURES, PARTICLE_TYPES
from .features import FEATURE_NAMES
from .images import CHANNEL_NAMES, IMAGE_HALF_WIDTH, IMAGE_PIXELS

SCHEMA_VERSION = 2
BLOCK_SIZE = 500  # jets per simulation block
REGENERATE_HINT = (
    "In the book folder, restore the committed files with `git checkout -- data/`, or "
    "make new ones with `python -m jetimages generate --out data/jet-images.h5` (see "
    "README.md, 'Regenerating the dataset')."
)


class DataToolError(Exception):
    """An error of the data tool whose message says, in one line, what is wrong and what
    to do; `python -m jetimages` prints it and exits with `exit_status`."""

    exit_status = 1  # the machine failed: no space left, an I/O error


class UsageError(DataToolError, ValueError):
    """The command asks for something impossible: a bad number, an output path that
    cannot be written or is not a dataset, a wrong set of shards, an output another run
    writes."""

    exit_status = 2


class NotFoundError(DataToolError, FileNotFoundError):
    """A file or folder that the command names does not exist (a usage error too)."""

    exit_status = 2


class DamagedInputError(DataToolError, ValueError):
    """An input file is not what it claims: unreadable, truncated, not a jet dataset of
    this schema, or inconsistent inside. Not the command's fault: the file must be made
    again."""

    exit_status = 3


class OutOfSpaceError(DataToolError):
    """Not enough free space for the output: nothing was written, nothing replaced."""


@dataclass(frozen=True)
class ArraySpec:
    file: str  # the file that holds it: "images", "constituents", or "both" (the ids)
    dtype: type
    shape: tuple  # per jet
    units: str
    # Floats are rounded to this many mantissa bits (relative precision 2**-bits) before
    # compression, as CMS's NanoAOD does: far finer than the detector, and half the
    # bytes.
    mantissa_bits: int | None = None


def round_mantissa(values: np.ndarray, bits: int) -> np.ndarray:
    """float32 values rounded to the nearest number with `bits` mantissa bits (ties away
    from 0)."""
    as_integers = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    dropped = 23 - bits
    rounded = (as_integers + np.uint32(1 << (dropped - 1))) & np.uint32(
        0xFFFFFFFF << dropped & 0xFFFFFFFF
    )
    return rounded.view(np.float32)


def stored_values(name: str, values: np.ndarray) -> np.ndarray:
    """An array exactly as the dataset file stores it: its dtype, rounded as ARRAYS
    says."""
    spec = ARRAYS[name]
    values = np.asarray(values)
    if np.issubdtype(spec.dtype, np.integer) and values.size:
        limits = np.iinfo(spec.dtype)
        if values.min() < limits.min or values.max() > limits.max:
            raise ValueError(
                f"'{name}' holds values from {values.min()} to {values.max()}, outside "
                f"its on-disk type {np.dtype(spec.dtype).name} ({limits.min} to "
                f"{limits.max}); the dataset is too large for its schema"
            )
    values = values.astype(spec.dtype)
    return (
        values
        if spec.mantissa_bits is None
        else round_mantissa(values, spec.mantissa_bits)
    )


_PIXELS = (IMAGE_PIXELS, IMAGE_PIXELS)
ARRAYS: dict[str, ArraySpec] = {
    "images": ArraySpec(
        "images", np.float32, _PIXELS, "percent of the jet's summed constituent pT", 12
    ),
    "channels": ArraySpec(
        "images",
        np.float32,
        (len(CHANNEL_NAMES), *_PIXELS),
        "per channel_names: particles; percent",
        12,
    ),
    "features": ArraySpec(
        "images", np.float32, (len(FEATURE_NAMES),), "per feature_names (masses in GeV)"
    ),
    "jet_pt": ArraySpec("images", np.float32, (), "GeV"),
    "jet_mass": ArraySpec("images", np.float32, (), "GeV"),
    "jet_eta": ArraySpec("images", np.float32, (), "pseudorapidity"),
    "n_constituents": ArraySpec("images", np.uint16, (), "particles"),
    "particles": ArraySpec(
        "constituents",
        np.float32,
        (MAX_PARTICLES, len(PARTICLE_FEATURES)),
        "per particle_feature_names",
        12,
    ),
    "n_particles": ArraySpec(
        "constituents", np.uint16, (), "particles (rows of 'particles' that are real)"
    ),
    "labels": ArraySpec("both", np.uint8, (), "index into label_order"),
    "block": ArraySpec("both", np.uint16, (), "simulation block"),
    "row_in_block": ArraySpec("both", np.uint16, (), "row within the block"),
}


def arrays_of(file: str) -> list[str]:
    """The names of the arrays that the "images" or the "constituents" file holds."""
    return [name for name, spec in ARRAYS.items() if spec.file in (file, "both")]


def constituents_path(images_path: str | os.PathLike) -> Path:
    """Where the constituents file of a dataset lives: beside its images file, named
    after it."""
    images_path = Path(images_path)
    name = images_path.name
    new_name = (
        name.replace("images", "constituents")
        if "images" in name
        else f"{images_path.stem}-constituents.h5"
    )
    return images_path.with_name(new_name)


@dataclass
class JetDataset:
    """A loaded dataset: arrays in memory plus the files' attributes.

    `particles` and `n_particles` are None unless the constituents were asked for.
    """

    images: np.ndarray
    channels: np.ndarray
    labels: np.ndarray
    features: np.ndarray
    jet_pt: np.ndarray
    jet_mass: np.ndarray
    jet_eta: np.ndarray
    n_constituents: np.ndarray
    block: np.ndarray
    row_in_block: np.ndarray
    particles: np.ndarray | None = None
    n_particles: np.ndarray | None = None
    attrs: dict = field(default_factory=dict)

    @property
    def label_order(self) -> list[str]:
        return list(self.attrs["label_order"])

    @property
    def feature_names(self) -> list[str]:
        return list(self.attrs["feature_names"])

    @property
    def channel_names(self) -> list[str]:
        return list(self.attrs["channel_names"])

    @property
    def particle_feature_names(self) -> list[str]:
        return list(self.attrs["particle_feature_names"])

    def __len__(self) -> int:
        return len(self.labels)


# the block numbers of one class must fit the on-disk type of the 'block' column
MAX_JETS_PER_CLASS = (int(np.iinfo(ARRAYS["block"].dtype).max) + 1) * BLOCK_SIZE


def block_plan(jets_per_class: int) -> list[tuple[str, int, int]]:
    """Every (class label, block number, jets in that block) that a dataset of this size
    needs."""
    if not 0 < jets_per_class <= MAX_JETS_PER_CLASS:
        raise UsageError(
            "--jets-per-class: jets per class must be a positive number up to "
            f"{MAX_JETS_PER_CLASS} (block numbers must fit the uint16 'block' column), "
            f"not {jets_per_class}"
        )
    plan = []
    for label in physics.LABELS:
        for block, start in enumerate(range(0, jets_per_class, BLOCK_SIZE)):
            plan.append((label, block, min(BLOCK_SIZE, jets_per_class - start)))
    return plan


# Every package whose version can change the bytes of a dataset: the simulation, the
# clustering and correlators, the arrays and their arithmetic, and the file format.
VERSIONED_PACKAGES = ("pythia8mc", "fastjet", "awkward", "numpy", "h5py", "jetimages")


def software_versions() -> dict[str, str]:
    versions = {
        f"version_{name}": metadata.version(name) for name in VERSIONED_PACKAGES
    }
    versions["version_hdf5"] = h5py.version.hdf5_version
    return versions


def version_differences(attrs: dict, source: str = "the file") -> list[str]:
    """Each version in `attrs` (a dataset's attributes, or software_versions() of
    another machine) that differs from this environment's, as "numpy: 2.4.6 in the file,
    2.5.0 here"; [] if none.

    Same seed and same versions give the same bytes, so when regenerated data differs
    from a file, this names the likely reason.
    """
    differences = []
    for key, installed in software_versions().items():
        recorded = _text(attrs[key]) if key in attrs else "not recorded"
        if recorded != installed:
            differences.append(
                f"{key.removeprefix('version_')}: {recorded} in {source}, {installed} "
                "here"
            )
    return differences


def file_attributes(seed: int, jets_per_class: int) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "label_order": list(physics.LABELS),
        "label_names": [jet_class.name for jet_class in physics.JET_CLASSES],
        "feature_names": list(FEATURE_NAMES),
        "channel_names": list(CHANNEL_NAMES),
        "particle_feature_names": list(PARTICLE_FEATURES),
        "particle_type_names": list(PARTICLE_TYPES),
        "max_particles": MAX_PARTICLES,
        "seed": seed,
        "jets_per_class": jets_per_class,
        "block_size": BLOCK_SIZE,
        "sqrt_s_GeV": physics.SQRT_S_GEV,
        "pt_hat_window_GeV": physics.PT_HAT_WINDOW_GEV,
        "jet_algorithm": f"anti-kT, R = {physics.JET_RADIUS}",
        "jet_pt_window_GeV": physics.JET_PT_WINDOW_GEV,
        "jet_max_abs_eta": physics.JET_MAX_ABS_ETA,
        "image_pixels": IMAGE_PIXELS,
        "image_half_width": IMAGE_HALF_WIDTH,
        "image_units": "percent of the jet's summed constituent pT",
        "image_preprocessing": (
            "centred on the pT centroid, principal axis rotated to vertical, reflected"
        ),
        **software_versions(),
    }


def shuffle_rows(arrays: dict[str, np.ndarray], seed: int) -> dict[str, np.ndarray]:
    """Put rows in canonical (class, block, row) order, then shuffle them with the
    dataset's seed."""
    order = np.lexsort((arrays["row_in_block"], arrays["block"], arrays["labels"]))
    permutation = order[np.random.default_rng(seed).permutation(len(order))]
    return {name: array[permutation] for name, array in arrays.items()}


def prepare_output(
    path: str | os.PathLike, option: str = "--out", force: bool = False
) -> Path:
    """Check, before any work, that a dataset file can be written at `path`, and that a
    file there may be replaced: a dataset of this tool, or anything but a folder or a
    special file with `force`. `option` is the command-line flag that named it. Changes
    nothing.

    Raises UsageError or NotFoundError with a message that says what to do.
    """
    if str(path).strip() == "":
        raise UsageError(f"{option} is empty: give the path of the .h5 file to write")
    path = Path(path)
    if path.is_dir():
        raise UsageError(
            f"{option} {path} is a folder: give the path of a file in it, such as "
            f"{path / 'jet-images.h5'}"
        )
    folder = path.parent
    if not folder.is_dir():
        reason = (
            "is a file, not a folder"
            if folder.exists()
            else "does not exist; create it first"
        )
        raise NotFoundError(f"cannot write {path}: {folder} {reason}")
    # the only sure test of permission (root, read-only mounts, ACLs): make a file
    try:
        handle, probe = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".probe", dir=folder
        )
    except OSError as error:
        raise UsageError(
            f"cannot write {path}: no file can be created in {folder} "
            f"({error.strerror}); choose another folder"
        ) from None
    os.close(handle)
    os.unlink(probe)
    if path.exists():
        _check_replaceable(path, option, force)
    return path


def _check_replaceable(path: Path, option: str, force: bool) -> None:
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):  # a device or a pipe: never meant, even with --force
        raise UsageError(
            f"{option} {path} exists and is not a regular file; give the path of a file"
        )
    if force:
        return
    if not mode & stat.S_IWUSR:
        raise UsageError(f"{option} {path} is read-only: add --force to replace it")
    reason = _not_a_dataset(path)
    if reason:
        raise UsageError(
            f"{option} {path} exists and is not a dataset of this tool ({reason}): "
            "give another path, or add --force to replace it"
        )


def _not_a_dataset(path: Path) -> str | None:
    """Why the file at `path` is not a dataset (or a shard) of this tool; None if it
    is."""
    try:
        with h5py.File(path, "r", locking=False) as file:
            keys = file.attrs.keys()
            missing = [
                key for key in ("schema_version", "label_order") if key not in keys
            ]
    except OSError:
        return "not an HDF5 file"
    return f"it has no attribute '{missing[0]}'" if missing else None


def prepare_outputs(
    path: str | os.PathLike,
    constituents: str | os.PathLike | None = None,
    force: bool = False,
) -> dict[Path, list[str]]:
    """The files that write_dataset(path, ..., constituents) makes, each with the names
    of the arrays it gets, after prepare_output has checked each of them."""
    path = prepare_output(path, force=force)
    if constituents is None:
        return {path: list(ARRAYS)}
    other = prepare_output(constituents, "--constituents-out", force)
    if other.resolve() == path.resolve():
        raise UsageError(
            f"--constituents-out {other} is the same file as --out: give the two files "
            "different names"
        )
    return {path: arrays_of("images"), other: arrays_of("constituents")}


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


# What generate checks is free before it simulates: bytes per jet, measured on the
# committed files (410 for the images, 612 for the constituents) plus a margin, and per
# file.
BYTES_PER_JET = {"images": 500, "constituents": 750}
BYTES_PER_FILE = 2**20


def estimated_size(names: list[str], jets: int) -> int:
    """About how many bytes a file of the arrays `names` of `jets` simulated jets
    takes."""
    files = {ARRAYS[name].file for name in names} - {"both"}
    return BYTES_PER_FILE + jets * sum(BYTES_PER_JET[file] for file in files)


def check_free_space(sizes: dict[Path, int], estimated: bool = False) -> None:
    """That each file system has room for the new files of `sizes` (bytes) that go
    there, beside the files they replace; otherwise OutOfSpaceError."""
    by_device: dict[int, list[Path]] = {}
    for path in sizes:
        by_device.setdefault(os.stat(path.parent).st_dev, []).append(path)
    for paths in by_device.values():
        needed = sum(sizes[path] for path in paths)
        free = shutil.disk_usage(paths[0].parent).free
        if needed > free:
            raise OutOfSpaceError(
                f"not enough space for {' and '.join(map(str, paths))}: "
                f"{'about ' if estimated else ''}{_megabytes(needed)} needed, "
                f"{_megabytes(free)} free; free some space or choose another folder"
            )


_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
_LOCK_HEADER = "jetimages: locked by a run writing this file; its temporary files:\n"


def _lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.jetimages-lock")


def _temporary_pattern(target: Path) -> re.Pattern:
    return re.compile(re.escape(f".{target.name}.jetimages-") + r"[0-9a-f]{16}\.tmp")


class OutputLocks:
    """Locks on the output files of one run, held from its start to its end, so that a
    second run writing the same file stops at its start instead of losing one result.

    Each lock is a file beside its output, `.NAME.jetimages-lock`, that also lists the
    temporary files the run makes there before it makes them. A killed run leaves both
    behind; the next run that locks the output removes exactly the files listed, so
    never a file that this tool did not make.
    """

    def __init__(self):
        self._handles: dict[Path, int] = {}

    def acquire(self, target: Path) -> None:
        lock = _lock_path(target)
        while True:
            handle = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                # the run that held it may have removed the file since: lock the new one
                if os.path.samestat(os.fstat(handle), os.stat(lock)):
                    break
            except BlockingIOError:
                os.close(handle)
                raise UsageError(
                    f"another run is writing {target} now (it holds {lock.name}); wait "
                    "for it to end, or write another file"
                ) from None
            except FileNotFoundError:
                pass
            os.close(handle)
        content = os.pread(handle, os.fstat(handle).st_size, 0).decode(errors="replace")
        if content and not content.startswith(_LOCK_HEADER):
            os.close(handle)
            raise UsageError(
                f"{lock} is in the way: this tool did not make it; move it"
            )
        self._handles[target] = handle  # from here on, release() removes the lock
        pattern = _temporary_pattern(target)
        for name in content.splitlines()[1:]:
            leftover = target.with_name(name)
            if pattern.fullmatch(name) and leftover.exists():
                leftover.unlink()
                print(
                    f"removed {leftover}, left behind by an interrupted write of "
                    f"{target.name}",
                    file=sys.stderr,
                )
        try:
            os.ftruncate(handle, 0)
            os.write(handle, _LOCK_HEADER.encode())
        except OSError as error:
            if error.errno not in _NO_SPACE:
                raise
            raise OutOfSpaceError(
                f"no space left for {target}, not even for its lock file {lock.name}; "
                "free some space, or choose another folder"
            ) from None

    def temporary(self, target: Path) -> Path:
        """A new name for a temporary file beside `target`, listed in its lock first."""
        name = f".{target.name}.jetimages-{secrets.token_hex(8)}.tmp"
        os.write(self._handles[target], f"{name}\n".encode())
        return target.with_name(name)

    def release(self) -> None:
        for target, handle in self._handles.items():
            # removed while still locked, so that no other run can lock the removed file
            _lock_path(target).unlink(missing_ok=True)
            os.close(handle)
        self._handles.clear()


@contextlib.contextmanager
def locked_outputs(targets) -> Iterator[OutputLocks]:
    """The OutputLocks of `targets`, released at the end; UsageError if another run
    holds one. Locking removes the temporary files that killed runs left beside the
    targets."""
    locks = OutputLocks()
    try:
        for target in targets:
            locks.acquire(Path(target))
        yield locks
    finally:
        locks.release()


class _InterruptsHeld:
    """Holds Ctrl-C (SIGINT) and any other signal whose handler raises an exception
    (SIGTERM under `python -m jetimages`) while files are written and renamed, so that
    none is lost inside HDF5 or splits a dataset's two files. `check()` and the end of
    the block pass a held signal on to its handler. Ignored signals stay ignored."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __enter__(self):
        self.received = None
        self.previous = {}
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                if callable(signal.getsignal(signum)):
                    self.previous[signum] = signal.signal(signum, self._hold)
        return self

    def _hold(self, signum, frame):
        if self.received is None:
            self.received = signum

    def check(self) -> None:
        if self.received is not None:
            signum, self.received = self.received, None
            self.previous[signum](signum, None)

    def __exit__(self, kind, error, traceback):
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        if kind is None:
            self.check()
        return False


def _file_image(names: list[str], arrays: dict[str, np.ndarray], attrs: dict) -> bytes:
    """The bytes of an HDF5 file of the named arrays, made in memory: a full disk is
    then a plain write error, not a failure inside HDF5 (tracebacks, even crashes). They
    are the bytes that HDF5 writes to a file on disk."""
    # no modification times in the file, so that the same arrays give the same bytes
    compression = {
        "compression": "gzip",
        "compression_opts": 9,
        "shuffle": True,
        "track_times": False,
    }
    rows = max(1, min(1000, len(arrays["labels"])))
    unique = f"in-memory-{secrets.token_hex(8)}.h5"  # HDF5 takes one name for one file
    with h5py.File(unique, "w", driver="core", backing_store=False) as file:
        for name in names:
            spec = ARRAYS[name]
            data = stored_values(name, arrays[name])
            chunks = (rows, *spec.shape)
            dataset = file.create_dataset(name, data=data, chunks=chunks, **compression)
            dataset.attrs["units"] = spec.units
        for key, value in attrs.items():
            file.attrs[key] = value
        file.flush()
        return file.id.get_file_image()


def _write_file(path: Path, image: bytes, mode: int) -> None:
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:  # a full disk fails here, before the first byte
            os.posix_fallocate(handle, 0, len(image))
        except (AttributeError, OSError) as error:  # no fallocate: the writes will tell
            if getattr(error, "errno", None) in _NO_SPACE:
                raise
        view = memoryview(image)
        while view:
            view = view[os.write(handle, view) :]
        os.fchmod(handle, mode)
        # late write errors (NFS, quotas) surface here, before the rename
        os.fsync(handle)
    finally:
        os.close(handle)


def write_dataset(
    path: str | os.PathLike,
    arrays: dict[str, np.ndarray],
    attrs: dict,
    constituents: str | os.PathLike | None = None,
    *,
    force: bool = False,
    locks: OutputLocks | None = None,
) -> Path:
    """Write a dataset atomically: into temporary files beside the targets, renamed over
    them only when all are complete.

    With `constituents`, the image arrays go to `path` and the particle arrays to that
    second file; without it (a shard), every array goes to `path`. An existing file at a
    target is replaced only if it is a dataset of this tool, or with `force` (see
    prepare_output); it keeps its permissions. `locks`: the run's locks on the targets
    (locked_outputs), or None to take them here. Ctrl-C during the write stops it before
    anything is renamed (KeyboardInterrupt); too little space stops it with
    OutOfSpaceError. Either way the old files stay as they were and no temporary file is
    left.
    """
    targets = prepare_outputs(path, constituents, force)
    with contextlib.ExitStack() as stack:
        if locks is None:
            locks = stack.enter_context(locked_outputs(targets))
        written: dict[Path, Path] = {}
        try:
            with _InterruptsHeld() as interrupts:
                images = {
                    target: _file_image(names, arrays, attrs)
                    for target, names in targets.items()
                }
                interrupts.check()
                check_free_space(
                    {target: len(image) for target, image in images.items()}
                )
                for target, image in images.items():
                    exists = target.exists()
                    mode = stat.S_IMODE(os.stat(target).st_mode) if exists else 0o644
                    try:
                        written[target] = locks.temporary(target)
                        _write_file(written[target], image, mode)
                    except OSError as error:
                        if error.errno not in _NO_SPACE:
                            raise
                        raise OutOfSpaceError(
                            f"no space left for {target}: it needs "
                            f"{_megabytes(len(image))}; nothing was replaced (free "
                            "some space, or choose another folder)"
                        ) from None
                interrupts.check()
                for target, temporary in written.items():
                    os.replace(temporary, target)
        finally:
            for temporary in written.values():
                temporary.unlink(missing_ok=True)
    return Path(path)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _read_file(
    path: Path, names: list[str], hint: str = REGENERATE_HINT
) -> tuple[dict[str, np.ndarray], dict]:
    """Read the named arrays and every attribute of one dataset file, or say clearly
    what is wrong and, with `hint`, how to get a good file."""
    if not path.is_file():
        raise NotFoundError(f"no dataset at {path.resolve()}. {hint}")
    try:
        file = h5py.File(path, "r")
    except OSError as error:
        raise DamagedInputError(
            f"{path} is not a readable HDF5 file ({error}); it may be truncated. {hint}"
        ) from None
    with file:
        if "label_order" not in file.attrs:
            raise DamagedInputError(
                f"{path} is an HDF5 file but not a jet dataset: it has no label_order. "
                f"{hint}"
            )
        schema = int(file.attrs.get("schema_version", 0))
        if schema != SCHEMA_VERSION:
            raise DamagedInputError(
                f"{path} is a jet dataset of schema version {schema}, but this version "
                f"of jetimages reads version {SCHEMA_VERSION}. {hint}"
            )
        missing = [name for name in names if name not in file]
        if missing:
            raise DamagedInputError(
                f"{path} is an HDF5 file but not a complete jet dataset: it lacks "
                f"{missing}. {hint}"
            )
        try:
            arrays = {name: file[name][:] for name in names}
        except (
            OSError,
            ValueError,
            TypeError,
        ) as error:  # unreadable chunks, scalars or groups
            raise DamagedInputError(f"{path} is damaged: {error}. {hint}") from None
        attrs = {key: file.attrs[key] for key in file.attrs}
    for key in (
        "label_order",
        "label_names",
        "feature_names",
        "channel_names",
        "particle_feature_names",
        "particle_type_names",
    ):
        if key in attrs:
            attrs[key] = [_text(value) for value in attrs[key]]

    _check_arrays(path, arrays, attrs, hint)
    return arrays, attrs


def _check_arrays(
    path: Path, arrays: dict[str, np.ndarray], attrs: dict, hint: str
) -> None:
    """That the arrays read from one file are one row per jet, typed and shaped as
    ARRAYS says, with valid labels and every jet once: the damage that merging wrong
    shards or editing a file can do."""
    rows = {name: array.shape[0] if array.ndim else 0 for name, array in arrays.items()}
    if len(set(rows.values())) > 1:
        listed = ", ".join(f"{name} {count}" for name, count in rows.items())
        raise DamagedInputError(
            f"{path}: its arrays have different numbers of rows ({listed}). {hint}"
        )
    n = rows["labels"]
    for name, array in arrays.items():
        spec = ARRAYS[name]
        if array.dtype != spec.dtype:
            raise DamagedInputError(
                f"{path}: '{name}' is stored as {array.dtype}, but a jet dataset "
                f"stores it as {np.dtype(spec.dtype).name}. {hint}"
            )
        if array.shape != (n, *spec.shape):
            raise DamagedInputError(
                f"{path}: '{name}' has shape {array.shape}, expected "
                f"{(n, *spec.shape)}. {hint}"
            )
    if attrs["label_order"] != list(physics.LABELS):
        raise DamagedInputError(
            f"{path}: its label_order is {attrs['label_order']}, not "
            f"{list(physics.LABELS)}. {hint}"
        )
    labels = arrays["labels"]
    if n and labels.max() >= len(physics.LABELS):
        raise DamagedInputError(
            f"{path}: labels go up to {labels.max()}, but only 0 to "
            f"{len(physics.LABELS) - 1} ({', '.join(physics.LABELS)}) exist. {hint}"
        )
    # (label, block, row_in_block) names a jet: as one integer, each jet must appear
    # once
    jet_ids = (
        (labels.astype(np.int64) << 32)
        | (arrays["block"].astype(np.int64) << 16)
        | arrays["row_in_block"]
    )
    unique, counts = np.unique(jet_ids, return_counts=True)
    if n != len(unique):
        first = int(unique[counts > 1][0])
        raise DamagedInputError(
            f"{path}: {n - len(unique)} rows repeat a jet already in the file (the "
            f"first: class {physics.LABELS[first >> 32]}, block "
            f"{(first >> 16) & 0xFFFF}, row {first & 0xFFFF}); it was merged from "
            f"overlapping shards or damaged. {hint}"
        )


def load_dataset(
    path: str | os.PathLike = "data/jet-images.h5",
    constituents: bool | str | os.PathLike = False,
) -> JetDataset:
    """Load a dataset into memory, checking that it is what it claims.

    constituents: False to read the images file alone; True to read the particles too,
    from the constituents file beside it; or the path of that file. Raises NotFoundError
    (a FileNotFoundError) or DamagedInputError (a ValueError) with a message that says
    how to get a good file.
    """
    path = Path(path)
    arrays, attrs = _read_file(path, arrays_of("images"))
    if constituents is not False:
        other = constituents_path(path) if constituents is True else Path(constituents)
        particle_arrays, _ = _read_file(other, arrays_of("constituents"))
        for name in ("labels", "block", "row_in_block"):
            if not np.array_equal(particle_arrays[name], arrays[name]):
                raise DamagedInputError(
                    f"{other} does not hold the same jets, in the same order, as "
                    f"{path} ('{name}' differs): they come from different datasets. "
                    f"{REGENERATE_HINT}"
                )
        arrays.update(
            particles=particle_arrays["particles"],
            n_particles=particle_arrays["n_particles"],
        )
    arrays["labels"] = arrays["labels"].astype(np.int64)
    return JetDataset(**arrays, attrs=attrs)
