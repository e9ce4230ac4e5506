"""Simulate jets of one class with Pythia 8, find them with FastJet, and keep the truth-matched ones.

The unit of work is a *block*: a fixed number of accepted jets of one class, made by one
Pythia instance whose seed follows from (dataset seed, class, block number). Blocks are
independent, so they can run on any core or any batch node, and a dataset is the same
bytes however its blocks were spread out.
"""

from dataclasses import dataclass

import awkward as ak
import fastjet
import numpy as np
import pythia8mc

from . import kinematics, physics
from .constituents import MAX_PARTICLES, particle_table
from .features import jet_features
from .images import jet_channels, jet_image

MAX_EVENTS_PER_BATCH = 200  # events clustered together by one call of FastJet's array interface
_MIN_JET_PT_GEV = 100.0
_ANTI_KT = fastjet.JetDefinition(fastjet.antikt_algorithm, physics.JET_RADIUS)
_HARD_PROCESS_STATUSES = {22, 23}  # Pythia: intermediate resonance, outgoing hard parton
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


def make_pythia(label: str, seed: int) -> pythia8mc.Pythia:
    pythia = pythia8mc.Pythia("", False)
    for setting in physics.common_pythia_settings(seed) + physics.jet_class(label).pythia_settings():
        if not pythia.readString(setting):
            raise RuntimeError(f"Pythia rejected the setting {setting!r}")
    if not pythia.init():
        raise RuntimeError(f"Pythia failed to initialise for class {label!r}")
    return pythia


def _direction(particle) -> tuple[float, float]:
    return particle.eta(), particle.phi()


def _decay_quarks(event, index: int) -> list[tuple[float, float]]:
    """Directions of the quarks a resonance decayed to, following t -> W b -> q q' b."""
    bottom = event[event[index].iBotCopyId()]
    quarks = []
    for daughter in bottom.daughterList():
        particle = event[daughter]
        if particle.idAbs() in _QUARKS:
            quarks.append(_direction(particle))
        elif particle.idAbs() in (23, 24):
            quarks.extend(_decay_quarks(event, daughter))
    return quarks


# columns of the particle arrays read from an event: the four-momentum first, as FastJet wants it
PARTICLE_COLUMNS = ("px", "py", "pz", "E", "charge", "pdg_id")


def read_event(event, jet_class: physics.JetClass) -> tuple[np.ndarray, Truth]:
    """The visible final-state particles (n, 6), columns PARTICLE_COLUMNS, and the truth for matching."""
    particles = np.array(
        [(p.px(), p.py(), p.pz(), p.e(), p.charge(), p.id()) for p in event if p.isFinal() and p.isVisible()],
        dtype=np.float64,
    )
    truth = Truth(origins=[], decay_quarks=[])
    # the hard process sits at the top of the record, right after the beams and incoming partons
    for index in range(3, min(12, event.size())):
        particle = event[index]
        if particle.statusAbs() in _HARD_PROCESS_STATUSES and particle.idAbs() in jet_class.origin_ids:
            truth.origins.append(_direction(event[particle.iBotCopyId()]))
            truth.decay_quarks.append(_decay_quarks(event, index) if jet_class.resonance else [])
    return particles, truth


def _matches(jet_eta: float, jet_phi: float, truth: Truth, resonance: bool) -> bool:
    for (origin_eta, origin_phi), quarks in zip(truth.origins, truth.decay_quarks):
        if kinematics.delta_r(jet_eta, jet_phi, origin_eta, origin_phi) > physics.MATCH_DELTA_R:
            continue
        if not resonance:
            return True
        contained = all(
            kinematics.delta_r(jet_eta, jet_phi, q_eta, q_phi) < physics.CONTAINMENT_DELTA_R
            for q_eta, q_phi in quarks
        )
        if quarks and contained:
            return True
    return False


def select_jets(events: list[np.ndarray], truths: list[Truth], jet_class: physics.JetClass) -> list[np.ndarray]:
    """Cluster a batch of events; from each, keep at most one jet: the hardest of the two
    leading jets that passes the pT window, the |eta| cut and the truth match. Returns the
    constituents (m, 6) of each kept jet, in event order, columns as read by read_event."""
    counts = [len(particles) for particles in events]
    flat = np.concatenate(events)[:, :4]
    array = ak.zip({name: ak.unflatten(flat[:, k], counts) for k, name in enumerate(("px", "py", "pz", "E"))})
    sequence = fastjet.ClusterSequence(array, _ANTI_KT)
    jets = sequence.inclusive_jets(min_pt=_MIN_JET_PT_GEV)
    constituent_index = sequence.constituent_index(min_pt=_MIN_JET_PT_GEV)

    low, high = physics.JET_PT_WINDOW_GEV
    kept = []
    for particles, truth, event_jets, event_index in zip(events, truths, jets, constituent_index):
        p4 = np.column_stack([ak.to_numpy(event_jets[name]) for name in ("px", "py", "pz", "E")])
        if len(p4) == 0:
            continue
        jet_pt = kinematics.pt(p4)
        for j in np.argsort(-jet_pt)[:2]:
            jet_eta, jet_phi = kinematics.eta(p4[j]), kinematics.phi(p4[j])
            if not low <= jet_pt[j] <= high or abs(jet_eta) > physics.JET_MAX_ABS_ETA:
                continue
            if _matches(jet_eta, jet_phi, truth, jet_class.resonance):
                kept.append(particles[ak.to_numpy(event_index[j])])
                break
    return kept


@dataclass
class Block:
    label: str
    block: int
    arrays: dict[str, np.ndarray]  # one row per jet; names and meaning as in dataset.ARRAYS
    events_generated: int

    def __len__(self) -> int:
        return len(self.arrays["labels"])


def jet_arrays(jets: list[np.ndarray], label: str, block: int) -> dict[str, np.ndarray]:
    """Every per-jet array of the dataset, for jets given as (m, 6) constituent arrays."""
    p4 = [jet[:, :4] for jet in jets]
    total = np.array([momenta.sum(axis=0) for momenta in p4])
    tables = [particle_table(jet[:, :4], jet[:, 4], jet[:, 5]) for jet in jets]
    return {
        "images": np.stack([jet_image(momenta) for momenta in p4]),
        "channels": np.stack([jet_channels(jet[:, :4], jet[:, 4]) for jet in jets]),
        "features": jet_features(p4),
        "jet_pt": kinematics.pt(total),
        "jet_mass": kinematics.mass(total),
        "jet_eta": kinematics.eta(total),
        "n_constituents": np.array([len(jet) for jet in jets]),
        "particles": np.stack(tables),
        "n_particles": np.minimum([len(jet) for jet in jets], MAX_PARTICLES),
        "labels": np.full(len(jets), physics.LABELS.index(label)),
        "block": np.full(len(jets), block),
        "row_in_block": np.arange(len(jets)),
    }


def simulate_block(label: str, seed: int, block: int, n_jets: int, progress=None) -> Block:
    """Generate events until n_jets jets of this class are accepted, then image and featurize them.

    progress, if given, is called with the number of jets accepted by each batch of events.
    """
    jet_class = physics.jet_class(label)
    pythia = make_pythia(label, pythia_seed(seed, label, block))
    accepted: list[np.ndarray] = []
    events_generated = 0
    while len(accepted) < n_jets:
        # Jets are accepted in event order, so the batch size changes nothing but the speed:
        # a few more events than jets still missing (acceptance is 80-90 %), at most MAX_EVENTS_PER_BATCH.
        batch_size = min(MAX_EVENTS_PER_BATCH, (n_jets - len(accepted)) * 5 // 4 + 4)
        events, truths = [], []
        while len(events) < batch_size:
            if not pythia.next():
                continue  # Pythia failed to generate this event; it is not counted
            events_generated += 1
            particles, truth = read_event(pythia.event, jet_class)
            events.append(particles)
            truths.append(truth)
        new = select_jets(events, truths, jet_class)[: n_jets - len(accepted)]
        accepted.extend(new)
        if progress is not None:
            progress(len(new))
    return Block(label, block, jet_arrays(accepted, label, block), events_generated)
