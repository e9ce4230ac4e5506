"""Loading a dataset, with checks that it is what it claims: one row per jet, each jet
once, typed and shaped as schema.ARRAYS says, its two files holding the same jets.

Every error says how to get a good file (REGENERATE_HINT).
"""

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

import h5py
import numpy as np

from . import physics
from .constituents import MAX_PARTICLES, PARTICLE_TYPES
from .errors import DamagedInputError, NotFoundError
from .schema import (
    ARRAYS,
    SCHEMA_VERSION,
    arrays_of,
    as_text,
    constituents_path,
    simulation_of,
)

REGENERATE_HINT = (
    "In the book folder, restore the committed files with `git checkout -- data/`, or "
    "make new ones with `python -m jetimages generate --out data/jet-images.h5` (see "
    "README.md, 'Regenerating the dataset')."
)


@dataclass
class JetDataset:
    """A loaded dataset: arrays in memory plus the files' attributes.

    `particles` and `n_particles` are None unless the constituents were asked for,
    `channels` None if it was not.
    """

    images: np.ndarray
    channels: np.ndarray | None
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

    @property
    def simulation(self) -> str:
        """The simulation the jets come from: a key of jetimages.physics.SIMULATIONS."""
        return simulation_of(self.attrs)

    def __len__(self) -> int:
        return len(self.labels)

    def select(self, rows) -> "JetDataset":
        """The jets `rows` (row numbers or a boolean mask) as a dataset of their own:
        copies of those rows of every array, the same attributes."""
        arrays = {
            column.name: getattr(self, column.name)
            for column in fields(self)
            if column.name != "attrs"
        }
        return JetDataset(
            **{
                name: None if array is None else array[rows]
                for name, array in arrays.items()
            },
            attrs=self.attrs,
        )


def read_file(
    path: Path, names: list[str], hint: str = REGENERATE_HINT
) -> tuple[dict[str, np.ndarray], dict]:
    """Read the named arrays and every attribute of one dataset file, or say clearly
    what is wrong and, with `hint`, how to get a good file."""
    if not path.is_file():
        raise NotFoundError(
            "no dataset at {path}. {hint}", path=path.resolve(), hint=hint
        )
    try:
        file = h5py.File(path, "r")
    except OSError as error:
        raise DamagedInputError(
            "{path} is not a readable HDF5 file ({error}); it may be truncated. {hint}",
            path=path,
            error=error,
            hint=hint,
        ) from None
    with file:
        try:
            arrays, attrs = _read_contents(path, file, names, hint)
        except DamagedInputError:
            raise
        # a damaged header, attribute or chunk: HDF5 and h5py raise any of these
        except (OSError, ValueError, TypeError, KeyError, RuntimeError) as error:
            raise DamagedInputError(
                "{path} is damaged: {error}. {hint}", path=path, error=error, hint=hint
            ) from None
    _check_attributes(path, attrs, hint)
    _check_arrays(path, arrays, attrs, hint)
    _check_values(path, arrays, hint)
    return arrays, attrs


def _read_contents(
    path: Path, file: h5py.File, names: list[str], hint: str
) -> tuple[dict[str, np.ndarray], dict]:
    if "label_order" not in file.attrs:
        raise DamagedInputError(
            "{path} is an HDF5 file but not a jet dataset: it has no label_order. "
            "{hint}",
            path=path,
            hint=hint,
        )
    version = file.attrs.get("schema_version", 0)
    if _whole_number(version) != SCHEMA_VERSION:
        raise DamagedInputError(
            "{path} is a jet dataset of schema version {version}, but this version "
            "of jetimages reads version {readable}. {hint}",
            path=path,
            version=version,
            readable=SCHEMA_VERSION,
            hint=hint,
        )
    missing = [name for name in names if name not in file]
    if missing:
        raise DamagedInputError(
            "{path} is an HDF5 file but not a complete jet dataset: it lacks "
            "{missing}. {hint}",
            path=path,
            missing=missing,
            hint=hint,
        )
    for name in names:
        _check_storage(path, file, name, hint)
    arrays = {name: file[name][:] for name in names}
    attrs = {key: file.attrs[key] for key in file.attrs}
    for key in TEXT_LISTS:
        if key in attrs:
            attrs[key] = [as_text(value) for value in np.atleast_1d(attrs[key])]
    return arrays, attrs


def _check_storage(path: Path, file: h5py.File, name: str, hint: str) -> None:
    """That the array `name` is a dataset whose bytes are all in the file itself: HDF5
    can also keep them in other files (external storage, virtual datasets, external
    links), which would make loading read whatever file those name."""
    link = file.get(name, getlink=True)
    item = file.get(name) if isinstance(link, h5py.HardLink) else None
    if not isinstance(item, h5py.Dataset):
        raise DamagedInputError(
            "{path}: '{name}' is not an array stored in the file. {hint}",
            path=path,
            name=name,
            hint=hint,
        )
    if item.external or item.is_virtual:
        raise DamagedInputError(
            "{path}: '{name}' keeps its values in other files (HDF5 {how}), which a "
            "jet dataset never does; refused, so as to read no other file. {hint}",
            path=path,
            name=name,
            how="external storage" if item.external else "virtual dataset",
            hint=hint,
        )


# attributes that hold lists of names
TEXT_LISTS = (
    "label_order",
    "label_names",
    "feature_names",
    "channel_names",
    "particle_feature_names",
    "particle_type_names",
)


def _whole_number(value) -> int | None:
    """An attribute as an int if it is one whole number, else None."""
    value = np.asarray(value)
    if value.ndim != 0 or value.dtype.kind not in "iu":
        return None
    return int(value)


def _check_attributes(path: Path, attrs: dict, hint: str) -> None:
    """That the attributes that loading and merging read are what this tool writes:
    whole numbers in their range, a known simulation, versions as text."""
    lowest = {"seed": 0, "jets_per_class": 1, "shards": 1, "shard": 0}
    for key, low in lowest.items():
        if key not in attrs:
            continue
        number = _whole_number(attrs[key])
        if number is None or number < low:
            raise DamagedInputError(
                "{path}: its attribute '{key}' is {value!r}, not a whole number from "
                "{low} on: the file is damaged. {hint}",
                path=path,
                key=key,
                value=_shown(attrs[key]),
                low=low,
                hint=hint,
            )
    if ("shard" in attrs) != ("shards" in attrs) or (
        "shard" in attrs and int(attrs["shard"]) >= int(attrs["shards"])
    ):
        raise DamagedInputError(
            "{path}: its attributes say shard {shard} of {shards}, which does not "
            "exist: the file is damaged. {hint}",
            path=path,
            shard=_shown(attrs.get("shard")),
            shards=_shown(attrs.get("shards")),
            hint=hint,
        )
    for key, value in attrs.items():
        text = key.startswith(("version_", "source_")) or key == "simulation"
        if text and not isinstance(value, (str, bytes)):
            raise DamagedInputError(
                "{path}: its attribute '{key}' is {value!r}, not text: the file is "
                "damaged. {hint}",
                path=path,
                key=key,
                value=_shown(value),
                hint=hint,
            )
    if simulation_of(attrs) not in physics.SIMULATIONS:
        raise DamagedInputError(
            "{path}: its attribute 'simulation' names {found!r}, which is none of "
            "{known}: the file is damaged. {hint}",
            path=path,
            found=simulation_of(attrs),
            known=", ".join(physics.SIMULATIONS),
            hint=hint,
        )


def _shown(value) -> str:
    """An attribute's value, short enough for a one-line message."""
    text = str(np.asarray(value).tolist()) if value is not None else "missing"
    return text if len(text) <= 40 else text[:37] + "..."


# The values that simulated jets can hold, per array, and per column where columns
# differ (None: every value): generous bounds, so that a value outside them shows a
# damaged or edited file, never an unusual jet. pT and masses cannot exceed the
# collision energy; pixels and pT shares are percents and fractions of the jet's pT,
# give or take what rounding does.
_MAX_GEV = physics.SQRT_S_GEV
VALUE_RANGES: dict[str, list[tuple[int | None, float, float]]] = {
    "images": [(None, -1.0, 101.0)],
    "channels": [(0, 0.0, 65535.0), (1, -1.0, 101.0)],
    "features": [(None, -_MAX_GEV, _MAX_GEV)],
    "jet_pt": [(None, 0.0, _MAX_GEV / 2)],
    "jet_mass": [(None, 0.0, _MAX_GEV)],
    "jet_eta": [(None, -10.0, 10.0)],
    "particles": [
        (0, 0.0, 1.01),
        (1, -100.0, 100.0),
        (2, -100.0, 100.0),
        (3, -2.0, 2.0),
        (4, 0.0, len(PARTICLE_TYPES) - 1.0),
    ],
    "n_particles": [(None, 0, MAX_PARTICLES)],
}


# where the columns of VALUE_RANGES are: channels per image, features per particle
COLUMN_AXES = {"channels": 1, "particles": -1}


def _check_values(path: Path, arrays: dict[str, np.ndarray], hint: str) -> None:
    """That every value is finite and within VALUE_RANGES (one pass over each array:
    the limits of its columns broadcast along their axis)."""
    for name, array in arrays.items():
        ranges = VALUE_RANGES.get(name, [])
        if not ranges or not array.size:
            continue
        low, high = np.array(-np.inf), np.array(np.inf)
        axis = COLUMN_AXES.get(name, 1) % array.ndim
        if ranges[0][0] is None:
            low, high = np.array(ranges[0][1]), np.array(ranges[0][2])
        else:
            shape = [1] * array.ndim
            shape[axis] = array.shape[axis]
            low, high = np.full(shape, -np.inf), np.full(shape, np.inf)
            for column, column_low, column_high in ranges:
                np.put(low, column, column_low)
                np.put(high, column, column_high)
        # limits in the array's own type: no float64 copy of a float32 array
        kind = array.dtype if array.dtype.kind == "f" else np.float64
        low, high = low.astype(kind), high.astype(kind)
        bad = ~((array >= low) & (array <= high))  # NaN is bad too
        if not bad.any():
            continue
        where = np.unravel_index(np.argmax(bad), array.shape)
        column = None if ranges[0][0] is None else int(where[axis])
        limits = (
            (low, high) if column is None else (low.flat[column], high.flat[column])
        )
        raise DamagedInputError(
            "{path}: '{name}'{column} holds {value} (row {row}), outside the "
            "{low} to {high} that simulated jets can hold; the file is damaged or "
            "was edited. {hint}",
            path=path,
            name=name,
            column="" if column is None else f" column {column}",
            value=f"{float(array[where]):.6g}",
            row=where[0],
            low=f"{float(limits[0]):g}",
            high=f"{float(limits[1]):g}",
            hint=hint,
        )


def _check_arrays(
    path: Path, arrays: dict[str, np.ndarray], attrs: dict, hint: str
) -> None:
    """That the arrays read from one file are one row per jet, typed and shaped as
    ARRAYS says, with valid labels and every jet once: the damage that merging wrong
    shards or editing a file can do."""
    rows = {name: array.shape[0] if array.ndim else 0 for name, array in arrays.items()}
    if len(set(rows.values())) > 1:
        raise DamagedInputError(
            "{path}: its arrays have different numbers of rows ({rows}). {hint}",
            path=path,
            rows=", ".join(f"{name} {count}" for name, count in rows.items()),
            hint=hint,
        )
    n = rows["labels"]
    for name, array in arrays.items():
        spec = ARRAYS[name]
        if array.dtype != spec.dtype:
            raise DamagedInputError(
                "{path}: '{name}' is stored as {stored}, but a jet dataset stores it "
                "as {expected}. {hint}",
                path=path,
                name=name,
                stored=array.dtype,
                expected=np.dtype(spec.dtype).name,
                hint=hint,
            )
        if array.shape != (n, *spec.shape):
            raise DamagedInputError(
                "{path}: '{name}' has shape {shape}, expected {expected}. {hint}",
                path=path,
                name=name,
                shape=array.shape,
                expected=(n, *spec.shape),
                hint=hint,
            )
    if attrs["label_order"] != list(physics.LABELS):
        raise DamagedInputError(
            "{path}: its label_order is {found}, not {expected}. {hint}",
            path=path,
            found=attrs["label_order"],
            expected=list(physics.LABELS),
            hint=hint,
        )
    labels = arrays["labels"]
    if n and labels.max() >= len(physics.LABELS):
        raise DamagedInputError(
            "{path}: labels go up to {highest}, but only 0 to {last} ({classes}) "
            "exist. {hint}",
            path=path,
            highest=labels.max(),
            last=len(physics.LABELS) - 1,
            classes=", ".join(physics.LABELS),
            hint=hint,
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
            "{path}: {repeats} rows repeat a jet already in the file (the first: class "
            "{label}, block {block}, row {row}); it was merged from overlapping shards "
            "or damaged. {hint}",
            path=path,
            repeats=n - len(unique),
            label=physics.LABELS[first >> 32],
            block=(first >> 16) & 0xFFFF,
            row=first & 0xFFFF,
            hint=hint,
        )


def load_dataset(
    path: str | os.PathLike = "data/jet-images.h5",
    constituents: bool | str | os.PathLike = False,
    channels: bool = True,
) -> JetDataset:
    """Load a dataset into memory, checking that it is what it claims.

    constituents: False to read the images file alone; True to read the particles too,
    from the constituents file beside it; or the path of that file. channels: False
    leaves out the two extra image channels, half of the images file's memory. Raises
    NotFoundError (a FileNotFoundError) or DamagedInputError (a ValueError) with a
    message that says how to get a good file.
    """
    path = Path(path)
    names = [name for name in arrays_of("images") if channels or name != "channels"]
    arrays, attrs = read_file(path, names)
    if "shard" in attrs:
        raise DamagedInputError(
            "{path} is shard {shard} of {shards} of a dataset, not a dataset: join "
            "all its shards with `python -m jetimages merge` (README.md, "
            "'Regenerating the dataset')",
            path=path,
            shard=int(attrs["shard"]),
            shards=int(attrs["shards"]),
        )
    arrays.setdefault("channels", None)
    if constituents is not False:
        other = constituents_path(path) if constituents is True else Path(constituents)
        particle_arrays, particle_attrs = read_file(other, arrays_of("constituents"))
        if simulation_of(particle_attrs) != simulation_of(attrs):
            raise DamagedInputError(
                "{other} holds jets of the simulation {theirs!r}, {path} of {ours!r}: "
                "they come from different datasets. {hint}",
                other=other,
                path=path,
                theirs=simulation_of(particle_attrs),
                ours=simulation_of(attrs),
                hint=REGENERATE_HINT,
            )
        for name in ("labels", "block", "row_in_block"):
            if not np.array_equal(particle_arrays[name], arrays[name]):
                raise DamagedInputError(
                    "{other} does not hold the same jets, in the same order, as {path} "
                    "('{name}' differs): they come from different datasets. {hint}",
                    other=other,
                    path=path,
                    name=name,
                    hint=REGENERATE_HINT,
                )
        arrays.update(
            particles=particle_arrays["particles"],
            n_particles=particle_arrays["n_particles"],
        )
    arrays["labels"] = arrays["labels"].astype(np.int64)
    return JetDataset(**arrays, attrs=attrs)
