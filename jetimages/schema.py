"""The format of the dataset files: which arrays they hold, with what dtype, units and
rounding, which attributes, and the software versions and code that made them.

A dataset is two HDF5 files with one row per jet, in the same (shuffled) order:

    jet-images.h5        the images and extra channels, the 16 features, jet kinematics
    jet-constituents.h5  the hardest particles of each jet, for particle-set networks

ARRAYS lists every array: its file, dtype on disk, units and meaning. Both files carry
the same attributes: the cuts, the image geometry, the seed, the software versions and a
digest of this tool's code (source_digest). A shard (one part of a dataset made on its
own) is a single file holding every array.
"""

import ast
import functools
import hashlib
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import h5py
import numpy as np

from . import physics
from .constituents import MAX_PARTICLES, PARTICLE_FEATURES, PARTICLE_TYPES
from .features import FEATURE_NAMES
from .images import CHANNEL_NAMES, IMAGE_HALF_WIDTH, IMAGE_PIXELS

SCHEMA_VERSION = 2
# Jets per simulation block: a jet is named by (label, block, row_in_block), which the
# files store, so the block size is part of what their rows mean.
BLOCK_SIZE = 500


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


def simulation_file(simulation: str, folder: str | os.PathLike = "data") -> Path:
    """The images file of one of physics.SIMULATIONS in `folder`: jet-images.h5 for the
    nominal one, jet-images-NAME.h5 for another (its constituents file lies beside it,
    constituents_path). A ValueError lists the simulations for an unknown name."""
    physics.simulation_settings(simulation)  # refuses an unknown name
    suffix = "" if simulation == "nominal" else f"-{simulation}"
    return Path(folder) / f"jet-images{suffix}.h5"


# Every package whose version can change the bytes of a dataset: the simulation, the
# clustering and correlators, the arrays and their arithmetic, and the file format.
VERSIONED_PACKAGES = ("pythia8mc", "fastjet", "awkward", "numpy", "h5py", "jetimages")


NOT_INSTALLED = "not installed"


def installed_version(name: str) -> str:
    """The installed version of the distribution `name`, or NOT_INSTALLED: merge needs
    no Pythia."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return NOT_INSTALLED


# The attribute that names this tool's own code, which decides the bytes as much as the
# packages' versions do (its version number, 0.2.0, stays put while the code changes).
SOURCE_ATTRIBUTE = "source_jetimages"


def _docstring_free(tree: ast.AST) -> ast.AST:
    """`tree` without the docstrings of its module, classes and functions."""
    for node in ast.walk(tree):
        if isinstance(
            node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
        ):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                node.body = node.body[1:]
    return tree


def _dumped(node) -> str:
    """A syntax tree as text, like ast.dump, but without the fields that are None or
    empty: Python versions add such fields (3.12 type_params) and ast.dump shows them
    on some versions and not on others (3.13), so the same code reads the same on
    every Python."""
    if isinstance(node, ast.AST):
        fields = ", ".join(
            f"{name}={_dumped(value)}"
            for name, value in ast.iter_fields(node)
            if value is not None and not (isinstance(value, list) and not value)
        )
        return f"{type(node).__name__}({fields})"
    if isinstance(node, list):
        return f"[{', '.join(map(_dumped, node))}]"
    return repr(node)


def code_digest(sources: Mapping[str, str]) -> str:
    """A short SHA-256 of Python modules ({file name: source}) that sees every change to
    their code and none to their comments, formatting or docstrings: it digests each
    module's syntax tree, without docstrings and line numbers."""
    digest = hashlib.sha256()
    for name in sorted(sources):
        tree = _docstring_free(ast.parse(sources[name], filename=name))
        digest.update(f"{name}\n{_dumped(tree)}\n".encode())
    return digest.hexdigest()[:12]


@functools.cache
def source_digest() -> str:
    """The code_digest of every module of jetimages but its tests.

    All of them, not a chosen few that can change the bytes: a list kept by hand goes
    wrong unnoticed when code moves between modules, while a change that alters no byte
    (an error message) costs only a named difference that was not the cause.
    """
    folder = Path(__file__).parent
    return code_digest(
        {path.name: path.read_text(encoding="utf-8") for path in folder.glob("*.py")}
    )


def software_versions() -> dict[str, str]:
    """The versions of every package in VERSIONED_PACKAGES, of HDF5, and the digest of
    this tool's code (SOURCE_ATTRIBUTE): what, with the seed, decides a file's bytes."""
    versions = {
        f"version_{name}": installed_version(name) for name in VERSIONED_PACKAGES
    }
    versions["version_hdf5"] = h5py.version.hdf5_version
    versions[SOURCE_ATTRIBUTE] = source_digest()
    return versions


def as_text(value) -> str:
    """An attribute as a str: HDF5 may give back bytes."""
    return value.decode() if isinstance(value, bytes) else str(value)


NOT_RECORDED = "not recorded"


def provenance_name(key: str) -> str:
    """How messages name a key of software_versions(): "numpy", "the data tool's
    code"."""
    if key == SOURCE_ATTRIBUTE:
        return "the data tool's code"
    return key.removeprefix("version_")


def version_differences(attrs: dict, source: str = "the file") -> list[str]:
    """Each version in `attrs` (a dataset's attributes, or software_versions() of
    another machine) that differs from this environment's, as "numpy: 2.4.6 in the file,
    2.5.0 here", and the code digest if it differs ("the data tool's code: 1a2b3c4d5e6f
    in the file, ... here"); [] if none. A file made before the digest was recorded
    has it "not recorded".

    Same seed, same versions and same code give the same bytes, so when regenerated
    data differs from a file, this names the likely reason.
    """
    differences = []
    for key, installed in software_versions().items():
        recorded = as_text(attrs[key]) if key in attrs else NOT_RECORDED
        if recorded != installed:
            differences.append(
                f"{provenance_name(key)}: {recorded} in {source}, {installed} here"
            )
    return differences


def why_regenerated_differs(attrs: dict) -> str:
    """For a test that remakes a file's jets and finds other arrays: the differences of
    version_differences, or that there are none."""
    return "; ".join(version_differences(attrs)) or (
        "all recorded versions and the data tool's code match the installed ones"
    )


def simulation_of(attrs) -> str:
    """The simulation (physics.SIMULATIONS) a file's attributes name; files made before
    there was a choice are nominal."""
    return as_text(attrs.get("simulation", "nominal"))


def file_attributes(
    seed: int, jets_per_class: int, simulation: str = "nominal"
) -> dict:
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
        "simulation": simulation,
        "simulation_settings": "; ".join(physics.simulation_settings(simulation))
        or "Pythia 8 defaults",
        "shared_settings": "; ".join(physics.SHARED_SETTINGS),
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


def file_image(names: list[str], arrays: dict[str, np.ndarray], attrs: dict) -> bytes:
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


# what each kind of file of this tool is called in messages
KINDS = {
    "images": "the images file of a dataset",
    "constituents": "the constituents file of a dataset",
    "shard": "a shard",
}


def kind_of(file: h5py.File) -> str | None:
    """Which of KINDS an open file of this tool is: a shard has a shard number, a
    constituents file holds the particles, an images file the images; None if
    neither."""
    if "shard" in file.attrs:
        return "shard"
    if "particles" in file:
        return "constituents"
    if "images" in file:
        return "images"
    return None


def why_not_a_dataset(path: Path, kind: str | None = None) -> str | None:
    """What shows that the file at `path` is not a dataset (or a shard) of this tool, as
    a clause ("is not a dataset of this tool (...)"); None if it is one, and, if `kind`
    is given (a key of KINDS), of that kind."""
    try:
        with h5py.File(path, "r", locking=False) as file:
            keys = file.attrs.keys()
            missing = [
                key for key in ("schema_version", "label_order") if key not in keys
            ]
            found = kind_of(file)
    except (OSError, ValueError, KeyError):
        reason = "not an HDF5 file"
    else:
        if missing:
            reason = f"it has no attribute '{missing[0]}'"
        elif found is None:
            reason = "it holds neither images nor particles"
        elif kind is None or found == kind:
            return None
        else:
            return f"is {KINDS[found]} of this tool, not {KINDS[kind]}"
    return f"is not a dataset of this tool ({reason})"
