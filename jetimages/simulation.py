"""Simulate jets of one class with Pythia 8, find them with FastJet, and keep the truth-matched ones.

The unit of work is a *block*: a fixed number of accepted jets of one class, made by one
Pythia instance whose seed follows from (dataset seed, class, block number). Blocks are
independent, so they can run on any core or any batch node, and a dataset is the same
bytes however its blocks were spread out.
"""

import importlib.util
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import awkward as ak
import fastjet
import numpy as np

if TYPE_CHECKING:
    import pythia8mc

from . import kinematics, physics
from .constituents import MAX_PARTICLES, particle_table
from .errors import MachineError
from .features import jet_features
from .images import centred_rotated_coordinates, jet_channels, jet_image

MAX_EVENTS_PER_BATCH = (
    200  # events clustered together by one call of FastJet's array interface
)
_MIN_JET_PT_GEV = 100.0
_ANTI_KT = fastjet.JetDefinition(fastjet.antikt_algorithm, physics.JET_RADIUS)
_HARD_PROCESS_STATUSES = {
    22,
    23,
}  # Pythia: intermediate resonance, outgoing hard parton
_QUARKS = {1, 2, 3, 4, 5}


@dataclass
class Truth:
    """Where, in (eta, phi), the origin of a jet of this class went, and its decay quarks (if any)."""

    origins: list[tuple[float, float]]
    decay_quarks: list[list[tuple[float, float]]]


def pythia_seed(seed: int, label: str, block: int) -> int:
    """Pythia's seed for one block: distinct for every (seed, class, block), within Pythia's range."""
    class_index = physics.LABELS.index(label)
    state = np.random.SeedSequence([seed, class_index, block]).generate_state(1)[0]
    return int(state % 900_000_000) + 1


PYTHIA_HINT = (
    "install the repository's environment with `make install` (README.md, "
    "'Regenerating the dataset')"
)


def check_pythia() -> None:
    """MachineError, in one line, if Pythia cannot start here: not installed, or its
    data folder (PYTHIA8DATA, where it reads its settings) lacks its files. Pythia
    itself would print errors and reject every setting."""
    if importlib.util.find_spec("pythia8mc") is None:
        raise MachineError(
            "simulating needs Pythia (pythia8mc), which is not installed here: {hint} "
            "(merge needs no Pythia)",
            hint=PYTHIA_HINT,
        )
    folder = os.environ.get("PYTHIA8DATA")
    if folder is not None and not (Path(folder) / "Index.xml").is_file():
        raise MachineError(
            "Pythia cannot start: PYTHIA8DATA is {folder!r}, which does not hold "
            "Pythia's data files (no Index.xml); unset PYTHIA8DATA, or point it at the "
            "xmldoc folder of the installed Pythia",
            folder=folder,
        )


def make_pythia(
    label: str, seed: int, simulation: str = "nominal"
) -> "pythia8mc.Pythia":
    # imported here, not above: importing this module (chapter 10 does) must work without
    # Pythia, which the students' install leaves out
    check_pythia()
    import pythia8mc

    pythia = pythia8mc.Pythia("", False)
    for setting in (
        physics.common_pythia_settings(seed, simulation)
        + physics.jet_class(label).pythia_settings()
    ):
        if not pythia.readString(setting):
            raise MachineError(
                "Pythia rejected the setting {setting!r}: it cannot start; {hint}",
                setting=setting,
                hint=PYTHIA_HINT,
            )
    if not pythia.init():
        raise MachineError(
            "Pythia failed to initialise for class {label!r}; {hint}",
            label=label,
            hint=PYTHIA_HINT,
        )
    return pythia


class _Species:
    """Charge and visibility of each particle species, asked of Pythia's particle data once per
    species: the numbers that Particle.charge() and Particle.isVisible() give."""

    def __init__(self, particle_data):
        self._particle_data = particle_data
        self._known: dict[int, tuple[float, bool]] = {}

    def charge_and_visibility(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        species, inverse = np.unique(ids, return_inverse=True)
        for pdg_id in species.tolist():
            if pdg_id not in self._known:
                self._known[pdg_id] = (
                    self._particle_data.charge(pdg_id),
                    self._particle_data.isVisible(pdg_id),
                )
        charge, visible = zip(*(self._known[pdg_id] for pdg_id in species.tolist()))
        return np.array(charge, dtype=np.float64)[inverse], np.array(
            visible, dtype=bool
        )[inverse]


@dataclass
class _Record:
    """One event record as NumPy arrays (row i is Pythia's event[i]), for walking its history."""

    id: np.ndarray
    status: np.ndarray
    daughter1: np.ndarray
    daughter2: np.ndarray
    momentum: np.ndarray  # (n, 3): px, py, pz

    def daughters(self, i: int) -> list[int]:
        """Pythia's Particle.daughterList(), for any particle but the beams (which are never asked)."""
        first, last = int(self.daughter1[i]), int(self.daughter2[i])
        if first == 0 and last == 0:
            return []
        if last == 0 or last == first:
            return [first]
        return list(range(first, last + 1)) if last > first else [last, first]

    def bottom_copy(self, i: int) -> int:
        """Pythia's Particle.iBotCopyId(): down the daughters of the same id while there is exactly one."""
        species = self.id[i]
        while True:
            same = [
                daughter
                for daughter in self.daughters(i)
                if self.id[daughter] == species
            ]
            if len(same) != 1:
                return i
            i = same[0]

    def direction(self, i: int) -> tuple[float, float]:
        """Pythia's Particle.eta() and .phi(), operation for operation, so that the bits agree."""
        px, py, pz = self.momentum[i].tolist()
        pt = math.sqrt(px * px + py * py)
        eta = math.log(
            (math.sqrt(px * px + py * py + pz * pz) + abs(pz)) / max(1e-20, pt)
        )
        return (eta if pz > 0 else -eta), math.atan2(py, px)

    def decay_quarks(self, i: int) -> list[tuple[float, float]]:
        """Directions of the quarks a resonance decayed to, following t -> W b -> q q' b."""
        quarks = []
        for daughter in self.daughters(self.bottom_copy(i)):
            if abs(self.id[daughter]) in _QUARKS:
                quarks.append(self.direction(daughter))
            elif abs(self.id[daughter]) in (23, 24):
                quarks.extend(self.decay_quarks(daughter))
        return quarks

    def truth(self, jet_class: physics.JetClass) -> Truth:
        truth = Truth(origins=[], decay_quarks=[])
        # the hard process sits at the top of the record, right after the beams and incoming partons
        for index in range(3, min(12, len(self.id))):
            if (
                abs(self.status[index]) in _HARD_PROCESS_STATUSES
                and abs(self.id[index]) in jet_class.origin_ids
            ):
                truth.origins.append(self.direction(self.bottom_copy(index)))
                truth.decay_quarks.append(
                    self.decay_quarks(index) if jet_class.resonance else []
                )
        return truth


# columns of the particle arrays read from an event: the four-momentum first, as FastJet wants it
PARTICLE_COLUMNS = ("px", "py", "pz", "E", "charge", "pdg_id")


def read_events(
    pythia: "pythia8mc.Pythia",
    n_events: int,
    jet_class: physics.JetClass,
    species: _Species | None = None,
) -> tuple[list[np.ndarray], list[Truth]]:
    """Generate n_events events (Pythia retries failed ones) and return, for each, its visible
    final-state particles (n, 6), columns PARTICLE_COLUMNS, and the truth for matching.

    The whole batch crosses from C++ as one Awkward Array instead of particle by particle.
    species: a cache of charges and visibilities to reuse between batches (made if not given).
    """
    species = species or _Species(pythia.particleData)
    records = pythia.nextBatch(n_events)["prt"]
    offsets = _offsets(ak.num(records))
    flat = ak.flatten(records)
    ids, status = ak.to_numpy(flat["id"]), ak.to_numpy(flat["status"])
    daughter1, daughter2 = (
        ak.to_numpy(flat["daughter1"]),
        ak.to_numpy(flat["daughter2"]),
    )
    momentum = np.column_stack(
        [ak.to_numpy(flat["p"][name]) for name in ("px", "py", "pz", "e")]
    )
    charge, visible = species.charge_and_visibility(ids)
    table = np.column_stack([momentum, charge, ids.astype(np.float64)])
    final_visible = (status > 0) & visible
    events, truths = [], []
    for start, stop in zip(offsets[:-1], offsets[1:]):
        events.append(table[start:stop][final_visible[start:stop]])
        record = _Record(
            ids[start:stop],
            status[start:stop],
            daughter1[start:stop],
            daughter2[start:stop],
            momentum[start:stop, :3],
        )
        truths.append(record.truth(jet_class))
    return events, truths


def _matches(jet_eta: float, jet_phi: float, truth: Truth, resonance: bool) -> bool:
    for (origin_eta, origin_phi), quarks in zip(truth.origins, truth.decay_quarks):
        if (
            kinematics.delta_r(jet_eta, jet_phi, origin_eta, origin_phi)
            > physics.MATCH_DELTA_R
        ):
            continue
        if not resonance:
            return True
        contained = all(
            kinematics.delta_r(jet_eta, jet_phi, q_eta, q_phi)
            < physics.CONTAINMENT_DELTA_R
            for q_eta, q_phi in quarks
        )
        if quarks and contained:
            return True
    return False


def select_jets(
    events: list[np.ndarray], truths: list[Truth], jet_class: physics.JetClass
) -> list[np.ndarray]:
    """Cluster a batch of events; from each, keep at most one jet: the hardest of the two
    leading jets that passes the pT window, the |eta| cut and the truth match. Returns the
    constituents (m, 6) of each kept jet, in event order, columns as read by read_events."""
    counts = [len(particles) for particles in events]
    flat = np.concatenate(events)[:, :4]
    array = ak.zip(
        {
            name: ak.unflatten(flat[:, k], counts)
            for k, name in enumerate(("px", "py", "pz", "E"))
        }
    )
    sequence = fastjet.ClusterSequence(array, _ANTI_KT)
    jets = sequence.inclusive_jets(min_pt=_MIN_JET_PT_GEV)
    constituent_index = sequence.constituent_index(min_pt=_MIN_JET_PT_GEV)

    # the jets of all events, and the constituent indices of all jets, as flat arrays with offsets
    jet_offsets = _offsets(ak.num(jets))
    all_p4 = np.column_stack(
        [ak.to_numpy(ak.flatten(jets[name])) for name in ("px", "py", "pz", "E")]
    )
    indices_per_jet = ak.flatten(constituent_index, axis=1)
    index_offsets = _offsets(ak.num(indices_per_jet))
    all_indices = ak.to_numpy(ak.flatten(indices_per_jet))

    low, high = physics.JET_PT_WINDOW_GEV
    kept = []
    for event, (particles, truth) in enumerate(zip(events, truths)):
        first_jet = jet_offsets[event]
        p4 = all_p4[first_jet : jet_offsets[event + 1]]
        if len(p4) == 0:
            continue
        jet_pt = kinematics.pt(p4)
        for j in np.argsort(-jet_pt)[:2]:
            jet_eta, jet_phi = kinematics.eta(p4[j]), kinematics.phi(p4[j])
            if not low <= jet_pt[j] <= high or abs(jet_eta) > physics.JET_MAX_ABS_ETA:
                continue
            if _matches(jet_eta, jet_phi, truth, jet_class.resonance):
                jet = first_jet + j
                kept.append(
                    particles[all_indices[index_offsets[jet] : index_offsets[jet + 1]]]
                )
                break
    return kept


def _offsets(counts) -> list[int]:
    """Where each list of a jagged array starts in its flattened content, and where the last ends."""
    return [0, *np.cumsum(ak.to_numpy(counts)).tolist()]


@dataclass
class Block:
    label: str
    block: int
    arrays: dict[
        str, np.ndarray
    ]  # one row per jet; names and meaning as in schema.ARRAYS
    events_generated: int

    def __len__(self) -> int:
        return len(self.arrays["labels"])


def jet_arrays(jets: list[np.ndarray], label: str, block: int) -> dict[str, np.ndarray]:
    """Every per-jet array of the dataset, for jets given as (m, 6) constituent arrays."""
    p4 = [jet[:, :4] for jet in jets]
    total = np.array([momenta.sum(axis=0) for momenta in p4])
    # the image, its channels and the particle table share one centring and rotation
    coordinates = [centred_rotated_coordinates(momenta) for momenta in p4]
    return {
        "images": np.stack(
            [jet_image(momenta, xy) for momenta, xy in zip(p4, coordinates)]
        ),
        "channels": np.stack(
            [
                jet_channels(jet[:, :4], jet[:, 4], xy)
                for jet, xy in zip(jets, coordinates)
            ]
        ),
        "features": jet_features(p4),
        "jet_pt": kinematics.pt(total),
        "jet_mass": kinematics.mass(total),
        "jet_eta": kinematics.eta(total),
        "n_constituents": np.array([len(jet) for jet in jets]),
        "particles": np.stack(
            [
                particle_table(jet[:, :4], jet[:, 4], jet[:, 5], coordinates=xy)
                for jet, xy in zip(jets, coordinates)
            ]
        ),
        "n_particles": np.minimum([len(jet) for jet in jets], MAX_PARTICLES),
        "labels": np.full(len(jets), physics.LABELS.index(label)),
        "block": np.full(len(jets), block),
        "row_in_block": np.arange(len(jets)),
    }


def simulate_block(
    label: str, seed: int, block: int, n_jets: int, simulation: str = "nominal"
) -> Block:
    """Generate events until n_jets jets of this class are accepted, then image and featurize them."""
    jet_class = physics.jet_class(label)
    pythia = make_pythia(label, pythia_seed(seed, label, block), simulation)
    species = _Species(pythia.particleData)
    accepted: list[np.ndarray] = []
    events_generated = 0
    while len(accepted) < n_jets:
        # Jets are accepted in event order, so the batch size changes nothing but the speed:
        # a few more events than jets still missing (acceptance is 80-90 %), at most MAX_EVENTS_PER_BATCH.
        # Events that Pythia fails to make are retried and not counted.
        batch_size = min(MAX_EVENTS_PER_BATCH, (n_jets - len(accepted)) * 5 // 4 + 4)
        events, truths = read_events(pythia, batch_size, jet_class, species)
        events_generated += batch_size
        accepted.extend(
            select_jets(events, truths, jet_class)[: n_jets - len(accepted)]
        )
    return Block(label, block, jet_arrays(accepted, label, block), events_generated)
