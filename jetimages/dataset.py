"""The dataset file: how it is assembled from blocks, written safely, and loaded with checks.

Layout of `jet-images.h5` (one row per jet, classes shuffled together):

    images        (N, 20, 20)  float16 on disk, float32 when loaded: % of the jet's pT per pixel
    labels        (N,)         uint8, index into the attribute `label_order` (g, q, t, w, z)
    features      (N, 16)      float32, named by the attribute `feature_names`
    block         (N,)         uint16, the simulation block each jet came from ...
    row_in_block  (N,)         uint16, ... and its place in that block (for reproducibility checks)

Attributes record the cuts, the image geometry, the seed and the software versions.
"""

import os
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import h5py
import numpy as np

from . import physics
from .features import FEATURE_NAMES
from .images import IMAGE_HALF_WIDTH, IMAGE_PIXELS

SCHEMA_VERSION = 1
BLOCK_SIZE = 500  # jets per simulation block
REGENERATE_HINT = (
    "In the book folder, restore the committed file with `git checkout -- data/jet-images.h5`, "
    "or make a new one with `python -m jetimages generate --out data/jet-images.h5` "
    "(see README.md, 'Regenerating the dataset')."
)


@dataclass
class JetDataset:
    """A loaded dataset: arrays in memory plus the file's attributes."""

    images: np.ndarray
    labels: np.ndarray
    features: np.ndarray
    block: np.ndarray
    row_in_block: np.ndarray
    attrs: dict = field(default_factory=dict)

    @property
    def label_order(self) -> list[str]:
        return list(self.attrs["label_order"])

    @property
    def feature_names(self) -> list[str]:
        return list(self.attrs["feature_names"])

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


def software_versions() -> dict[str, str]:
    return {f"version_{name}": metadata.version(name) for name in ("pythia8mc", "fastjet", "jetimages")}


def file_attributes(seed: int, jets_per_class: int) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "label_order": list(physics.LABELS),
        "label_names": [jet_class.name for jet_class in physics.JET_CLASSES],
        "feature_names": list(FEATURE_NAMES),
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


def write_dataset(path: str | os.PathLike, arrays: dict[str, np.ndarray], attrs: dict) -> Path:
    """Write atomically: into a temporary file beside `path`, renamed over it only when complete."""
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the folder {path.parent} does not exist; create it first")
    handle, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        with h5py.File(temporary, "w") as file:
            # no modification times in the file, so that the same arrays give the same bytes
            compression = {"compression": "gzip", "compression_opts": 9, "shuffle": True, "track_times": False}
            chunk_rows = max(1, min(1000, len(arrays["labels"])))
            file.create_dataset(
                "images", data=arrays["images"].astype(np.float16), chunks=(chunk_rows, 20, 20), **compression
            )
            file.create_dataset("labels", data=arrays["labels"].astype(np.uint8), **compression)
            file.create_dataset("features", data=arrays["features"].astype(np.float32), **compression)
            file.create_dataset("block", data=arrays["block"].astype(np.uint16), **compression)
            file.create_dataset("row_in_block", data=arrays["row_in_block"].astype(np.uint16), **compression)
            for key, value in attrs.items():
                file.attrs[key] = value
        os.chmod(temporary, 0o644)  # mkstemp makes the file private; a dataset is for everyone
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def load_dataset(path: str | os.PathLike = "data/jet-images.h5") -> JetDataset:
    """Load the whole dataset into memory (images as float32), checking that it is what it claims.

    Raises FileNotFoundError or ValueError with a message that says how to get a good file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no dataset at {path.resolve()}. {REGENERATE_HINT}")
    try:
        file = h5py.File(path, "r")
    except OSError as error:
        raise ValueError(f"{path} is not a readable HDF5 file ({error}); it may be truncated. {REGENERATE_HINT}") from None
    with file:
        missing = [name for name in ("images", "labels", "features", "block", "row_in_block") if name not in file]
        if missing or "label_order" not in file.attrs:
            raise ValueError(f"{path} is an HDF5 file but not a jet dataset: it lacks {missing or ['label_order']}. {REGENERATE_HINT}")
        try:
            arrays = {name: file[name][:] for name in ("images", "labels", "features", "block", "row_in_block")}
        except OSError as error:
            raise ValueError(f"{path} is damaged: {error}. {REGENERATE_HINT}") from None
        attrs = {key: file.attrs[key] for key in file.attrs}
    attrs["label_order"] = [_text(label) for label in attrs["label_order"]]
    attrs["feature_names"] = [_text(name) for name in attrs.get("feature_names", [])]

    n = len(arrays["labels"])
    expected = {"images": (n, IMAGE_PIXELS, IMAGE_PIXELS), "features": (n, len(FEATURE_NAMES))}
    for name, shape in expected.items():
        if arrays[name].shape != shape:
            raise ValueError(f"{path}: '{name}' has shape {arrays[name].shape}, expected {shape}. {REGENERATE_HINT}")
    if n and arrays["labels"].max() >= len(attrs["label_order"]):
        raise ValueError(f"{path}: labels go up to {arrays['labels'].max()} but only {attrs['label_order']} exist")

    return JetDataset(
        images=arrays["images"].astype(np.float32),
        labels=arrays["labels"].astype(np.int64),
        features=arrays["features"],
        block=arrays["block"],
        row_in_block=arrays["row_in_block"],
        attrs=attrs,
    )
