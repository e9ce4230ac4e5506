"""The dataset files: how they are assembled from blocks, written safely, and loaded with checks.

A dataset is two HDF5 files with one row per jet, in the same (shuffled) order:

    jet-images.h5        the images, their extra channels, the 16 features, the jet kinematics
    jet-constituents.h5  the hardest particles of each jet, for particle-set networks

ARRAYS below lists every array: its file, dtype on disk, units and meaning. Both files carry
the same attributes: the cuts, the image geometry, the seed and the software versions. A shard
(one part of a dataset made on its own) is a single file holding every array.
"""

import fcntl
import os
import re
import signal
import sys
import tempfile
import threading
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
    "In the book folder, restore the committed files with `git checkout -- data/`, "
    "or make new ones with `python -m jetimages generate --out data/jet-images.h5` "
    "(see README.md, 'Regenerating the dataset')."
)


@dataclass(frozen=True)
class ArraySpec:
    file: str  # "images" or "constituents": which of the two files holds it (ids are in both)
    dtype: type
    shape: tuple  # per jet
    units: str
    # Floats are rounded to this many mantissa bits (relative precision 2**-bits) before
    # compression, as CMS's NanoAOD does: far finer than the detector, and half the bytes.
    mantissa_bits: int | None = None


def round_mantissa(values: np.ndarray, bits: int) -> np.ndarray:
    """float32 values rounded to the nearest number with `bits` mantissa bits (ties away from 0)."""
    as_integers = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    dropped = 23 - bits
    rounded = (as_integers + np.uint32(1 << (dropped - 1))) & np.uint32(0xFFFFFFFF << dropped & 0xFFFFFFFF)
    return rounded.view(np.float32)


def stored_values(name: str, values: np.ndarray) -> np.ndarray:
    """An array exactly as the dataset file stores it: its dtype, rounded as ARRAYS says."""
    spec = ARRAYS[name]
    values = np.asarray(values)
    if np.issubdtype(spec.dtype, np.integer) and values.size:
        limits = np.iinfo(spec.dtype)
        if values.min() < limits.min or values.max() > limits.max:
            raise ValueError(
                f"'{name}' holds values from {values.min()} to {values.max()}, outside its on-disk type "
                f"{np.dtype(spec.dtype).name} ({limits.min} to {limits.max}); the dataset is too large for its schema"
            )
    values = values.astype(spec.dtype)
    return values if spec.mantissa_bits is None else round_mantissa(values, spec.mantissa_bits)


_PIXELS = (IMAGE_PIXELS, IMAGE_PIXELS)
ARRAYS: dict[str, ArraySpec] = {
    "images": ArraySpec("images", np.float32, _PIXELS, "percent of the jet's summed constituent pT", 12),
    "channels": ArraySpec(
        "images", np.float32, (len(CHANNEL_NAMES), *_PIXELS), "per channel_names: particles; percent", 12
    ),
    "features": ArraySpec("images", np.float32, (len(FEATURE_NAMES),), "per feature_names (masses in GeV)"),
    "jet_pt": ArraySpec("images", np.float32, (), "GeV"),
    "jet_mass": ArraySpec("images", np.float32, (), "GeV"),
    "jet_eta": ArraySpec("images", np.float32, (), "pseudorapidity"),
    "n_constituents": ArraySpec("images", np.uint16, (), "particles"),
    "particles": ArraySpec(
        "constituents", np.float32, (MAX_PARTICLES, len(PARTICLE_FEATURES)), "per particle_feature_names", 12
    ),
    "n_particles": ArraySpec("constituents", np.uint16, (), "particles (rows of 'particles' that are real)"),
    "labels": ArraySpec("both", np.uint8, (), "index into label_order"),
    "block": ArraySpec("both", np.uint16, (), "simulation block"),
    "row_in_block": ArraySpec("both", np.uint16, (), "row within the block"),
}


def arrays_of(file: str) -> list[str]:
    """The names of the arrays that the "images" or the "constituents" file holds."""
    return [name for name, spec in ARRAYS.items() if spec.file in (file, "both")]


def constituents_path(images_path: str | os.PathLike) -> Path:
    """Where the constituents file of a dataset lives: beside its images file, named after it."""
    images_path = Path(images_path)
    name = images_path.name
    new_name = name.replace("images", "constituents") if "images" in name else f"{images_path.stem}-constituents.h5"
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
    """Every (class label, block number, jets in that block) that a dataset of this size needs."""
    if not 0 < jets_per_class <= MAX_JETS_PER_CLASS:
        raise ValueError(
            f"--jets-per-class: jets per class must be a positive number up to {MAX_JETS_PER_CLASS} "
            f"(block numbers must fit the uint16 'block' column), not {jets_per_class}"
        )
    plan = []
    for label in physics.LABELS:
        for block, start in enumerate(range(0, jets_per_class, BLOCK_SIZE)):
            plan.append((label, block, min(BLOCK_SIZE, jets_per_class - start)))
    return plan


# Every package whose version can change the bytes of a dataset: the simulation, the clustering
# and correlators, the arrays and their arithmetic, and the file format.
VERSIONED_PACKAGES = ("pythia8mc", "fastjet", "awkward", "numpy", "h5py", "jetimages")


def software_versions() -> dict[str, str]:
    versions = {f"version_{name}": metadata.version(name) for name in VERSIONED_PACKAGES}
    versions["version_hdf5"] = h5py.version.hdf5_version
    return versions


def version_differences(attrs: dict, source: str = "the file") -> list[str]:
    """Each version in `attrs` (a dataset's attributes, or software_versions() of another machine)
    that differs from this environment's, as "numpy: 2.4.6 in the file, 2.5.0 here"; [] if none.

    Same seed and same versions give the same bytes, so when regenerated data differs from a file,
    this names the likely reason.
    """
    differences = []
    for key, installed in software_versions().items():
        recorded = _text(attrs[key]) if key in attrs else "not recorded"
        if recorded != installed:
            differences.append(f"{key.removeprefix('version_')}: {recorded} in {source}, {installed} here")
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
        "image_preprocessing": "centred on the pT centroid, principal axis rotated to vertical, reflected",
        **software_versions(),
    }


def shuffle_rows(arrays: dict[str, np.ndarray], seed: int) -> dict[str, np.ndarray]:
    """Put rows in canonical (class, block, row) order, then shuffle them with the dataset's seed."""
    order = np.lexsort((arrays["row_in_block"], arrays["block"], arrays["labels"]))
    permutation = order[np.random.default_rng(seed).permutation(len(order))]
    return {name: array[permutation] for name, array in arrays.items()}


def _temporaries_of(path: Path) -> list[Path]:
    """The temporary files that writes of `path` make beside it (named as in _write_temporary)."""
    pattern = re.compile(re.escape(path.name) + r"\.[a-z0-9_]+\.tmp")
    return sorted(other for other in path.parent.iterdir() if pattern.fullmatch(other.name))


def _is_locked(path: Path) -> bool:
    """Whether a running write holds its lock on this temporary file."""
    try:
        handle = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(handle)


def prepare_output(path: str | os.PathLike, option: str = "--out", before_work: bool = True) -> Path:
    """Check, before any work, that a dataset file can be written at `path`, and remove the temporary
    files that interrupted writes of it left behind. `option` is the command-line flag that named it.

    Raises ValueError, FileNotFoundError or PermissionError with a message that says what to do.
    Another running write of the same file is an error before the work (`before_work`); after it,
    that write is left alone, and whichever of the two finishes last replaces the other's file.
    """
    if str(path).strip() == "":
        raise ValueError(f"{option} is empty: give the path of the .h5 file to write")
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{option} {path} is a folder: give the path of a file in it, such as {path / 'jet-images.h5'}")
    folder = path.parent
    if not folder.is_dir():
        reason = "is a file, not a folder" if folder.exists() else "does not exist; create it first"
        raise FileNotFoundError(f"cannot write {path}: {folder} {reason}")
    try:  # the only sure test of permission (root, read-only mounts, ACLs): create a file there
        handle, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=folder)
    except OSError as error:
        raise PermissionError(
            f"cannot write {path}: no file can be created in {folder} ({error.strerror}); choose another folder"
        ) from None
    os.close(handle)
    os.unlink(probe)
    for temporary in _temporaries_of(path):
        if _is_locked(temporary):
            if not before_work:
                continue
            raise ValueError(
                f"another process is writing {path} now (its temporary file {temporary.name} is in use); "
                "wait for it to finish or stop it"
            )
        temporary.unlink(missing_ok=True)
        print(f"removed {temporary}, left behind by an interrupted write of {path.name}", file=sys.stderr)
    return path


def prepare_outputs(
    path: str | os.PathLike, constituents: str | os.PathLike | None = None, before_work: bool = True
) -> dict[Path, list[str]]:
    """The files that write_dataset(path, ..., constituents) makes, each with the names of the arrays
    it gets, after prepare_output has checked each of them."""
    path = prepare_output(path, before_work=before_work)
    if constituents is None:
        return {path: list(ARRAYS)}
    other = prepare_output(constituents, "--constituents-out", before_work)
    if other.resolve() == path.resolve():
        raise ValueError(f"--constituents-out {other} is the same file as --out: give the two files different names")
    return {path: arrays_of("images"), other: arrays_of("constituents")}


class _InterruptsHeld:
    """Holds Ctrl-C (SIGINT) back while files are written and renamed, so that it can never be lost
    inside HDF5 or split a dataset's two files; `check()` and the end of the block raise it."""

    def __enter__(self):
        self.received = False
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._hold)
        return self

    def _hold(self, signum, frame):
        self.received = True

    def check(self) -> None:
        if self.received:
            raise KeyboardInterrupt

    def __exit__(self, kind, error, traceback):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        if kind is None:
            self.check()
        return False


def _write_temporary(path: Path, names: list[str], arrays: dict[str, np.ndarray], attrs: dict) -> tuple[Path, int]:
    """Write the named arrays into a new temporary file beside `path`. Returns its name and an open
    descriptor holding a lock on it, which tells prepare_output that the file is not left over."""
    handle, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        # HDF5's own lock would collide with ours; it guards nothing here, as no one else opens the file
        with h5py.File(temporary, "w", locking=False) as file:
            # no modification times in the file, so that the same arrays give the same bytes
            compression = {"compression": "gzip", "compression_opts": 9, "shuffle": True, "track_times": False}
            rows = max(1, min(1000, len(arrays["labels"])))
            for name in names:
                spec = ARRAYS[name]
                data = stored_values(name, arrays[name])
                dataset = file.create_dataset(name, data=data, chunks=(rows, *spec.shape), **compression)
                dataset.attrs["units"] = spec.units
            for key, value in attrs.items():
                file.attrs[key] = value
        os.chmod(temporary, 0o644)  # mkstemp makes the file private; a dataset is for everyone
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        os.close(handle)
        raise
    return Path(temporary), handle


def write_dataset(
    path: str | os.PathLike,
    arrays: dict[str, np.ndarray],
    attrs: dict,
    constituents: str | os.PathLike | None = None,
) -> Path:
    """Write a dataset atomically: into temporary files beside the targets, renamed only when complete.

    With `constituents`, the image arrays go to `path` and the particle arrays to that second file;
    without it (a shard), every array goes to `path`. An existing file at a target is replaced.
    Ctrl-C during the write stops it before anything is renamed (KeyboardInterrupt).
    """
    targets = prepare_outputs(path, constituents, before_work=False)
    written: dict[Path, tuple[Path, int]] = {}
    try:
        with _InterruptsHeld() as interrupts:
            for target, names in targets.items():
                written[target] = _write_temporary(target, names, arrays, attrs)
            interrupts.check()
            for target, (temporary, _) in written.items():
                os.replace(temporary, target)
    finally:
        for temporary, handle in written.values():
            temporary.unlink(missing_ok=True)
            os.close(handle)
    return Path(path)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _read_file(path: Path, names: list[str], hint: str = REGENERATE_HINT) -> tuple[dict[str, np.ndarray], dict]:
    """Read the named arrays and every attribute of one dataset file, or say clearly what is wrong
    and, with `hint`, how to get a good file."""
    if not path.is_file():
        raise FileNotFoundError(f"no dataset at {path.resolve()}. {hint}")
    try:
        file = h5py.File(path, "r")
    except OSError as error:
        raise ValueError(f"{path} is not a readable HDF5 file ({error}); it may be truncated. {hint}") from None
    with file:
        if "label_order" not in file.attrs:
            raise ValueError(f"{path} is an HDF5 file but not a jet dataset: it has no label_order. {hint}")
        schema = int(file.attrs.get("schema_version", 0))
        if schema != SCHEMA_VERSION:
            raise ValueError(
                f"{path} is a jet dataset of schema version {schema}, but this version of jetimages reads "
                f"version {SCHEMA_VERSION}. {hint}"
            )
        missing = [name for name in names if name not in file]
        if missing:
            raise ValueError(f"{path} is an HDF5 file but not a complete jet dataset: it lacks {missing}. {hint}")
        try:
            arrays = {name: file[name][:] for name in names}
        except (OSError, ValueError, TypeError) as error:  # unreadable chunks, scalars or groups
            raise ValueError(f"{path} is damaged: {error}. {hint}") from None
        attrs = {key: file.attrs[key] for key in file.attrs}
    for key in ("label_order", "label_names", "feature_names", "channel_names", "particle_feature_names", "particle_type_names"):
        if key in attrs:
            attrs[key] = [_text(value) for value in attrs[key]]

    _check_arrays(path, arrays, attrs, hint)
    return arrays, attrs


def _check_arrays(path: Path, arrays: dict[str, np.ndarray], attrs: dict, hint: str) -> None:
    """That the arrays read from one file are one row per jet, typed and shaped as ARRAYS says,
    with valid labels and every jet once: the damage that merging wrong shards or editing a file can do."""
    rows = {name: array.shape[0] if array.ndim else 0 for name, array in arrays.items()}
    if len(set(rows.values())) > 1:
        listed = ", ".join(f"{name} {count}" for name, count in rows.items())
        raise ValueError(f"{path}: its arrays have different numbers of rows ({listed}). {hint}")
    n = rows["labels"]
    for name, array in arrays.items():
        spec = ARRAYS[name]
        if array.dtype != spec.dtype:
            raise ValueError(
                f"{path}: '{name}' is stored as {array.dtype}, but a jet dataset stores it as "
                f"{np.dtype(spec.dtype).name}. {hint}"
            )
        if array.shape != (n, *spec.shape):
            raise ValueError(f"{path}: '{name}' has shape {array.shape}, expected {(n, *spec.shape)}. {hint}")
    if attrs["label_order"] != list(physics.LABELS):
        raise ValueError(f"{path}: its label_order is {attrs['label_order']}, not {list(physics.LABELS)}. {hint}")
    labels = arrays["labels"]
    if n and labels.max() >= len(physics.LABELS):
        raise ValueError(
            f"{path}: labels go up to {labels.max()}, but only 0 to {len(physics.LABELS) - 1} "
            f"({', '.join(physics.LABELS)}) exist. {hint}"
        )
    # (label, block, row_in_block) names a jet: as one integer, each jet must appear once
    jet_ids = (labels.astype(np.int64) << 32) | (arrays["block"].astype(np.int64) << 16) | arrays["row_in_block"]
    unique, counts = np.unique(jet_ids, return_counts=True)
    if n != len(unique):
        first = int(unique[counts > 1][0])
        raise ValueError(
            f"{path}: {n - len(unique)} rows repeat a jet already in the file (the first: class "
            f"{physics.LABELS[first >> 32]}, block {(first >> 16) & 0xFFFF}, row {first & 0xFFFF}); it was merged "
            f"from overlapping shards or damaged. {hint}"
        )


def load_dataset(
    path: str | os.PathLike = "data/jet-images.h5", constituents: bool | str | os.PathLike = False
) -> JetDataset:
    """Load a dataset into memory, checking that it is what it claims.

    constituents: False to read the images file alone; True to read the particles too, from the
    constituents file beside it; or the path of that file. Raises FileNotFoundError or
    ValueError with a message that says how to get a good file.
    """
    path = Path(path)
    arrays, attrs = _read_file(path, arrays_of("images"))
    if constituents is not False:
        other = constituents_path(path) if constituents is True else Path(constituents)
        particle_arrays, _ = _read_file(other, arrays_of("constituents"))
        for name in ("labels", "block", "row_in_block"):
            if not np.array_equal(particle_arrays[name], arrays[name]):
                raise ValueError(
                    f"{other} does not hold the same jets, in the same order, as {path} ('{name}' differs): "
                    f"they come from different datasets. {REGENERATE_HINT}"
                )
        arrays.update(particles=particle_arrays["particles"], n_particles=particle_arrays["n_particles"])
    arrays["labels"] = arrays["labels"].astype(np.int64)
    return JetDataset(**arrays, attrs=attrs)
