"""The 16 hand-crafted jet-substructure features of the hls4ml jet dataset, for our own jets.

Most are energy-correlation ratios of the jet after mMDT grooming (soft drop with beta = 0,
z_cut = 0.1, on a Cambridge/Aachen reclustering), written with the normalised correlators

    e2^(b)  = sum_{i<j}   z_i z_j       dR_ij^b
    e3^(b)  = sum_{i<j<k} z_i z_j z_k  (dR_ij dR_ik dR_jk)^b
    v_e3^(b): like e3^(b), but with only the v smallest of the three angles (generalised ECF)

where z_i = pT_i / pT_jet. Then C1 = e2, C2 = e3 / e2^2, D2 = e3 / e2^3,
D2^(a, b) = e3^(a) / (e2^(b))^(3a/b), M2 = 1_e3 / e2 and N2 = 2_e3 / e2^2.
D2^(a=1, b=1) equals D2^(b=1) by this definition; the hls4ml set carries both, and so do we.
The two features that are not ratios use the ungroomed jet: its number of constituents and
sum_i z_i log z_i.

FastJet's array interface does the clustering, the grooming and the correlators in C++, for
a whole batch of jets at once.
"""

import numpy as np

from .kinematics import pt as transverse_momentum

FEATURE_NAMES: tuple[str, ...] = (
    "j_zlogz",
    "j_c1_b0_mmdt",
    "j_c1_b1_mmdt",
    "j_c1_b2_mmdt",
    "j_c2_b1_mmdt",
    "j_c2_b2_mmdt",
    "j_d2_b1_mmdt",
    "j_d2_b2_mmdt",
    "j_d2_a1_b1_mmdt",
    "j_d2_a1_b2_mmdt",
    "j_m2_b1_mmdt",
    "j_m2_b2_mmdt",
    "j_n2_b1_mmdt",
    "j_n2_b2_mmdt",
    "j_mass_mmdt",
    "j_multiplicity",
)

SOFT_DROP = {"beta": 0.0, "symmetry_cut": 0.1, "R0": 0.8}  # mMDT
RECLUSTERING_RADIUS = 0.8


def _as_awkward(jets: list[np.ndarray]):
    """One 'event' per jet, holding its constituents, as FastJet's array interface expects."""
    import awkward as ak

    flat = np.concatenate(jets)
    counts = [len(jet) for jet in jets]
    fields = {
        name: ak.unflatten(flat[:, k], counts)
        for k, name in enumerate(("px", "py", "pz", "E"))
    }
    return ak.zip(fields, with_name="Momentum4D")


def _correlator(sequence, npoint: int, beta: float, angles: int = -1) -> np.ndarray:
    func = "generic" if angles == -1 else "generalized"
    values = sequence.exclusive_jets_energy_correlator(
        njets=1, npoint=npoint, beta=beta, angles=angles, func=func, normalized=True
    )
    return np.asarray(values, dtype=np.float64)


def jet_features(jets: list[np.ndarray]) -> np.ndarray:
    """The (n_jets, 16) features, in the order of FEATURE_NAMES, of jets given as constituent arrays."""
    # imported here, so that loading the dataset needs neither FastJet nor Awkward Array
    import awkward as ak
    import fastjet

    reclustering = fastjet.JetDefinition(
        fastjet.cambridge_algorithm, RECLUSTERING_RADIUS
    )
    constituents = _as_awkward(jets)
    groomed = fastjet.ClusterSequence(
        constituents, reclustering
    ).exclusive_jets_softdrop_grooming(njets=1, **SOFT_DROP)
    mass_mmdt = np.asarray(groomed.msoftdrop, dtype=np.float64)
    groomed_sequence = fastjet.ClusterSequence(
        ak.zip(
            {k: groomed.constituents[k] for k in ("px", "py", "pz", "E")},
            with_name="Momentum4D",
        ),
        reclustering,
    )

    with np.errstate(divide="ignore", invalid="ignore"):
        e2 = {beta: _correlator(groomed_sequence, 2, beta) for beta in (0, 1, 2)}
        e3 = {beta: _correlator(groomed_sequence, 3, beta) for beta in (1, 2)}
        e3_one_angle = {
            beta: _correlator(groomed_sequence, 3, beta, angles=1) for beta in (1, 2)
        }
        e3_two_angles = {
            beta: _correlator(groomed_sequence, 3, beta, angles=2) for beta in (1, 2)
        }

        zlogz = np.empty(len(jets))
        for k, jet in enumerate(jets):
            z = transverse_momentum(jet) / transverse_momentum(jet).sum()
            zlogz[k] = np.sum(z * np.log(z))

        columns = [
            zlogz,
            e2[0],
            e2[1],
            e2[2],
            e3[1] / e2[1] ** 2,
            e3[2] / e2[2] ** 2,
            e3[1] / e2[1] ** 3,
            e3[2] / e2[2] ** 3,
            e3[1] / e2[1] ** 3,  # D2^(1,1) = e3^(1) / (e2^(1))^3
            e3[1] / e2[2] ** 1.5,  # D2^(1,2) = e3^(1) / (e2^(2))^(3/2)
            e3_one_angle[1] / e2[1],
            e3_one_angle[2] / e2[2],
            e3_two_angles[1] / e2[1] ** 2,
            e3_two_angles[2] / e2[2] ** 2,
            mass_mmdt,
            np.array([len(jet) for jet in jets], dtype=np.float64),
        ]
    features = np.stack(columns, axis=1)
    # A groomed jet of one or two constituents has e3 = 0 (and maybe e2 = 0): ratios of zeros
    # carry no information, and 0 is what a network can use.
    return np.nan_to_num(features, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)
