"""N-subjettiness of the jets of a dataset, from their particle tables.

tau_N measures how well a jet is described as N thin subjets: the pT-weighted sum, over
the jet's particles, of the distance to the nearest of N axes,

    tau_N = sum_i pT_i min_k dR(i, axis_k)**beta / (sum_i pT_i * R0**beta),

(Thaler and Van Tilburg, JHEP 03 (2011) 015, arXiv:1011.2268). A jet with N hard prongs
has a small tau_N but a large tau_(N-1), so the ratios tau21 = tau2/tau1 (W, Z: two
prongs) and tau32 = tau3/tau2 (top: three) are low for the signal jets and high for
quark and gluon jets. The axes here are the exclusive kT subjets, and beta = 1.

The particle tables (jetimages.constituents) hold each particle's pT share and its
position (x, y) in the image's frame, which is a shift, a rotation and a reflection of
(eta, phi): distances in it are distances in (eta, phi), so the tau_N of the table are
those of the jet's hardest MAX_PARTICLES particles.
"""

import warnings

import numpy as np

from .physics import JET_RADIUS

BETA = 1.0
# FastJet's memory grows with the jets clustered at once, and is not all given back
JETS_AT_ONCE = 2000


def _massless_momenta(particles: np.ndarray, n_particles: np.ndarray):
    """The real rows of every table as massless four-momenta, one FastJet event per jet,
    with the image's y as pseudorapidity and x as azimuth."""
    import awkward as ak

    real = np.arange(particles.shape[1]) < np.asarray(n_particles)[:, None]
    pt, x, y = (particles[..., k][real].astype(np.float64) for k in range(3))
    counts = np.asarray(n_particles, dtype=np.int64)
    columns = {
        "px": pt * np.cos(x),
        "py": pt * np.sin(x),
        "pz": pt * np.sinh(y),
        "E": pt * np.cosh(y),
    }
    return ak.zip(
        {name: ak.unflatten(values, counts) for name, values in columns.items()},
        with_name="Momentum4D",
    ), (pt, x, y, counts)


def n_subjettiness(
    particles: np.ndarray, n_particles: np.ndarray, n_max: int = 3
) -> np.ndarray:
    """(n_jets, n_max) float64: tau_1 .. tau_n_max of every jet (module docstring).

    particles: (n_jets, rows, 5) tables as in the constituents file; n_particles: the
    number of real rows of each. A jet with no more than N particles has tau_N = 0.
    """
    if particles.ndim != 3 or particles.shape[2] < 3:
        raise ValueError(
            "particles must be (n_jets, rows, 5) tables, not of shape "
            f"{particles.shape}"
        )
    if len(n_particles) != len(particles):
        raise ValueError(
            f"{len(n_particles)} particle counts for {len(particles)} jets: give one "
            "count per jet"
        )
    chunks = [
        _n_subjettiness(
            particles[k : k + JETS_AT_ONCE], n_particles[k : k + JETS_AT_ONCE], n_max
        )
        for k in range(0, len(particles), JETS_AT_ONCE)
    ]
    return np.concatenate(chunks) if chunks else np.zeros((0, n_max))


def _n_subjettiness(particles, n_particles, n_max):
    import awkward as ak
    import fastjet

    momenta, (pt, x, y, counts) = _massless_momenta(particles, n_particles)
    sequence = fastjet.ClusterSequence(
        momenta, fastjet.JetDefinition(fastjet.kt_algorithm, JET_RADIUS)
    )
    jet_of = np.repeat(np.arange(len(counts)), counts)  # each particle's jet
    norm = np.bincount(jet_of, weights=pt, minlength=len(counts)) * JET_RADIUS**BETA
    taus = np.zeros((len(counts), n_max))
    for n in range(1, n_max + 1):
        # fewer axes than n where a jet has fewer particles: each particle is then its
        # own axis, and tau_n is 0 as it should be
        with warnings.catch_warnings():
            # fastjet 3.5 compares the JetDefinition, not its algorithm, with kT's,
            # and so warns for kT too that exclusive jets need care
            warnings.filterwarnings("ignore", "dcut and exclusive jets", UserWarning)
            axes = sequence.exclusive_jets_up_to(n_jets=n)
        rapidity = 0.5 * np.log((axes.E + axes.pz) / (axes.E - axes.pz))
        azimuth = np.arctan2(axes.py, axes.px)
        axis_y, axis_x = (
            ak.to_numpy(ak.fill_none(ak.pad_none(values, n, clip=True), np.nan))
            for values in (rapidity, azimuth)
        )
        distance = np.hypot(y[:, None] - axis_y[jet_of], x[:, None] - axis_x[jet_of])
        nearest = np.nanmin(distance, axis=1) ** BETA
        summed = np.bincount(jet_of, weights=pt * nearest, minlength=len(counts))
        taus[:, n - 1] = np.divide(
            summed, norm, out=np.zeros_like(summed), where=norm > 0
        )
    return taus


def tau_ratios(taus: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """tau21 = tau2 / tau1 and tau32 = tau3 / tau2 from n_subjettiness(..., n_max=3);
    0 where the denominator is 0."""
    tau1, tau2, tau3 = taus[:, 0], taus[:, 1], taus[:, 2]
    tau21 = np.divide(tau2, tau1, out=np.zeros_like(tau2), where=tau1 > 0)
    tau32 = np.divide(tau3, tau2, out=np.zeros_like(tau3), where=tau2 > 0)
    return tau21, tau32
