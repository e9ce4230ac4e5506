"""The dataset files: how they are assembled from blocks, written safely, and loaded with checks.

A dataset is two HDF5 files with one row per jet, in the same (shuffled) order:

    jet-images.h5        the images, their extra channels, the 16 features, the jet kinematics
    jet-constituents.h5  the hardest particles of each jet, for particle-set networks

ARRAYS below lists every array: its file, dtype on disk, units and meaning. Both files carry
the same attributes: the cuts, the image geometry, the seed and the software versions. A shard
(one part of a dataset made on its own) is a single file holding every array.
"""

import os
import tempfile
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
    values = np.asarray(values).astype(spec.dtype)
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


def block_plan(jets_per_class: int) -> list[tuple[str, int, int]]:
    """Every (class label, block number, jets in that block) that a dataset of this size needs."""
    if jets_per_class <= 0:
        raise ValueError(f"jets per class must be a positive number, not {jets_per_class}")
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


def _write_temporary(path: Path, names: list[str], arrays: dict[str, np.ndarray], attrs: dict) -> Path:
    """Write the named arrays into a new temporary file beside `path`, and return its name."""
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the folder {path.parent} does not exist; create it first")
    handle, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        with h5py.File(temporary, "w") as file:
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
        raise
    return Path(temporary)


def write_dataset(
    path: str | os.PathLike,
    arrays: dict[str, np.ndarray],
    attrs: dict,
    constituents: str | os.PathLike | None = None,
) -> Path:
    """Write a dataset atomically: into temporary files beside the targets, renamed only when complete.

    With `constituents`, the image arrays go to `path` and the particle arrays to that second file;
    without it (a shard), every array goes to `path`.
    """
    targets = {Path(path): list(ARRAYS)} if constituents is None else {
        Path(path): arrays_of("images"),
        Path(constituents): arrays_of("constituents"),
    }
    written: dict[Path, Path] = {}
    try:
        for target, names in targets.items():
            written[target] = _write_temporary(target, names, arrays, attrs)
        for target, temporary in written.items():
            os.replace(temporary, target)
    finally:
        for temporary in written.values():
            temporary.unlink(missing_ok=True)
    return Path(path)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _read_file(path: Path, names: list[str]) -> tuple[dict[str, np.ndarray], dict]:
    """Read the named arrays and every attribute of one dataset file, or say clearly what is wrong."""
    if not path.is_file():
        raise FileNotFoundError(f"no dataset at {path.resolve()}. {REGENERATE_HINT}")
    try:
        file = h5py.File(path, "r")
    except OSError as error:
        raise ValueError(f"{path} is not a readable HDF5 file ({error}); it may be truncated. {REGENERATE_HINT}") from None
    with file:
        if "label_order" not in file.attrs:
            raise ValueError(f"{path} is an HDF5 file but not a jet dataset: it has no label_order. {REGENERATE_HINT}")
        schema = int(file.attrs.get("schema_version", 0))
        if schema != SCHEMA_VERSION:
            raise ValueError(
                f"{path} is a jet dataset of schema version {schema}, but this version of jetimages reads "
                f"version {SCHEMA_VERSION}. {REGENERATE_HINT}"
            )
        missing = [name for name in names if name not in file]
        if missing:
            raise ValueError(f"{path} is an HDF5 file but not a complete jet dataset: it lacks {missing}. {REGENERATE_HINT}")
        try:
            arrays = {name: file[name][:] for name in names}
        except OSError as error:
            raise ValueError(f"{path} is damaged: {error}. {REGENERATE_HINT}") from None
        attrs = {key: file.attrs[key] for key in file.attrs}
    for key in ("label_order", "label_names", "feature_names", "channel_names", "particle_feature_names", "particle_type_names"):
        if key in attrs:
            attrs[key] = [_text(value) for value in attrs[key]]

    n = len(arrays["labels"])
    for name in names:
        expected = (n, *ARRAYS[name].shape)
        if arrays[name].shape != expected:
            raise ValueError(f"{path}: '{name}' has shape {arrays[name].shape}, expected {expected}. {REGENERATE_HINT}")
    if n and arrays["labels"].max() >= len(attrs["label_order"]):
        raise ValueError(f"{path}: labels go up to {arrays['labels'].max()} but only {attrs['label_order']} exist")
    return arrays, attrs


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
