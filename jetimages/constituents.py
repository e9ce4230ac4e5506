"""A jet as a list of particles, in the same frame as its image, for particle-set networks.

Each jet becomes a (MAX_PARTICLES, 5) table of its hardest particles, zero-padded:

    pt_share  the particle's pT over the jet's summed constituent pT (a fraction, not percent)
    x, y      its position after the image's centring, rotation and reflection (same units as
              the image axes: y along the principal axis, x across it)
    charge    in units of e
    type      a code into PARTICLE_TYPES: 1 photon, 2 electron, 3 muon, 4 charged hadron,
              5 neutral hadron; 0 marks a padding row
"""

import numpy as np

from .images import Coordinates, centred_rotated_coordinates

# The most that keeps the file within 50 MB; a particle-flow network gains little from more
# than 64 (README.md, "The dataset", has the measurement).
MAX_PARTICLES = 128
PARTICLE_FEATURES: tuple[str, ...] = ("pt_share", "x", "y", "charge", "type")
PARTICLE_TYPES: tuple[str, ...] = (
    "padding",
    "photon",
    "electron",
    "muon",
    "charged hadron",
    "neutral hadron",
)
_LEPTON_TYPES = {22: 1, 11: 2, 13: 3}  # |PDG id| -> code


def particle_type_codes(pdg_id: np.ndarray, charge: np.ndarray) -> np.ndarray:
    """The PARTICLE_TYPES code of each particle, from its PDG id and charge."""
    hadron = np.where(charge != 0, 4, 5)
    codes = hadron.copy()
    for pdg, code in _LEPTON_TYPES.items():
        codes[np.abs(pdg_id) == pdg] = code
    return codes


def particle_table(
    constituents: np.ndarray,
    charge: np.ndarray,
    pdg_id: np.ndarray,
    max_particles: int = MAX_PARTICLES,
    coordinates: Coordinates | None = None,
) -> np.ndarray:
    """The (max_particles, 5) float32 table of one jet's hardest particles, hardest first
    (coordinates: centred_rotated_coordinates(constituents), when the caller has them already)."""
    pt, x, y = coordinates or centred_rotated_coordinates(constituents)
    # a stable sort, so that equal pT keeps the event-record order and the bytes never vary
    order = np.argsort(-pt, kind="stable")[:max_particles]
    columns = (pt / pt.sum(), x, y, charge, particle_type_codes(pdg_id, charge))
    table = np.zeros((max_particles, len(PARTICLE_FEATURES)), dtype=np.float32)
    table[: len(order)] = np.stack([column[order] for column in columns], axis=1)
    return table


def four_momenta(table: np.ndarray, jet_pt: float, jet_eta: float) -> np.ndarray:
    """(n, 4) massless four-momenta (px, py, pz, E) in GeV of a stored jet's particles: the
    rows of its particle table that are not padding, placed at eta = jet_eta + x, phi = y.

    What the table keeps comes back: the jet's MAX_PARTICLES hardest particles, already
    centred, rotated and reflected (so the image's steps leave them where they are), with
    the pT of each as its share of jet_pt. Chapter 10 shows such jets where Pythia is not
    installed to simulate new ones.
    """
    real = table[:, PARTICLE_FEATURES.index("type")] > 0
    share, x, y = (
        table[real, PARTICLE_FEATURES.index(name)].astype(np.float64)
        for name in ("pt_share", "x", "y")
    )
    pt, eta, phi = share * jet_pt, jet_eta + x, y
    return np.stack(
        [pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta), pt * np.cosh(eta)],
        axis=1,
    )
