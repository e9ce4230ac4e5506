"""Taggers judged on several simulations of the same jets: the chapter on trust
(50-can-you-trust-it.md) and benchmarks/robustness.py share these.

- SIMULATIONS, simulation_file: the nominal dataset and its variations, by name
- TAGGING_PAIRS, pair_score: the four questions a tagger is asked, one score per jet
- classic_scores: the physicist's taggers (groomed mass, N-subjettiness, multiplicity)
- background_rejection, bootstrap_spread: 1/eps_B at a fixed signal efficiency, and its
  statistical error from resampling the jets
- network_scores, tagger_scores: every score of a network or a classic tagger at once
- reliability, expected_calibration_error, fit_temperature: does P = 0.8 mean 80 %?
- sculpting: how much a cut on a tagger changes the background's mass distribution
"""

from pathlib import Path

import numpy as np
import torch
from particle import Particle
from scipy.optimize import minimize_scalar
from scipy.spatial.distance import jensenshannon
from scipy.stats import bootstrap
from sklearn.metrics import roc_auc_score, roc_curve

from jetimages.nsubjettiness import n_subjettiness, tau_ratios

__all__ = [
    "SIMULATIONS",
    "TAGGING_PAIRS",
    "background_rejection",
    "bootstrap_spread",
    "classic_scores",
    "expected_calibration_error",
    "fit_temperature",
    "network_scores",
    "pair_auc",
    "pair_score",
    "pair_scores",
    "reliability",
    "sculpting",
    "simulation_file",
    "tagger_scores",
    "with_temperature",
]

SIMULATIONS = ["nominal", "vincia", "fsr-alphas-up", "fsr-alphas-down"]
"""The simulations of the book's data, nominal first (jetimages.physics.SIMULATIONS)."""

# classes by their index in the files' label_order: g, q, t, w, z
G, Q, T, W, Z = range(5)
TAGGING_PAIRS = {
    "W vs QCD": ([W], [G, Q]),
    "top vs QCD": ([T], [G, Q]),
    "W vs Z": ([W], [Z]),
    "g vs q": ([G], [Q]),
}
"""Each question a tagger answers: (signal classes, background classes)."""

W_MASS = Particle.from_pdgid(24).mass / 1000  # GeV
TOP_MASS = Particle.from_pdgid(6).mass / 1000


def simulation_file(simulation: str, folder="data") -> Path:
    """The images file of one simulation: data/jet-images.h5 for the nominal one,
    data/jet-images-NAME.h5 for a variation (the constituents file lies beside it)."""
    if simulation not in SIMULATIONS:
        raise ValueError(
            f"unknown simulation {simulation!r}: choose one of {', '.join(SIMULATIONS)}"
        )
    suffix = "" if simulation == "nominal" else f"-{simulation}"
    return Path(folder) / f"jet-images{suffix}.h5"


def pair_score(probabilities, true, pair):
    """The jets of one of TAGGING_PAIRS and their score, P(signal) / P(signal or
    background): (is_signal, score), each (M,)."""
    signal, background = TAGGING_PAIRS[pair]
    keep = np.isin(true, signal + background)
    p_signal = probabilities[keep][:, signal].sum(axis=1)
    p_background = probabilities[keep][:, background].sum(axis=1)
    return np.isin(true[keep], signal), p_signal / (p_signal + p_background)


def pair_auc(is_signal, score):
    """Area under the ROC curve of a score (higher: more signal-like)."""
    return roc_auc_score(is_signal, score)


def classic_scores(jets, rows=None) -> dict:
    """The physicist's taggers, one score per jet (of `rows`, by default all), higher
    meaning more signal-like: {tagger: {pair: score}}. Groomed mass: closeness to the W
    or top mass, and the mass itself for W vs Z (lower is W); N-subjettiness: -tau21
    for W, -tau32 for top; multiplicity: the particle count, for gluon against quark."""
    rows = np.arange(len(jets)) if rows is None else rows
    mass = jets.features[rows, jets.feature_names.index("j_mass_mmdt")]
    taus = n_subjettiness(jets.particles[rows], jets.n_particles[rows])
    tau21, tau32 = tau_ratios(taus)
    return {
        "groomed mass": {
            "W vs QCD": -np.abs(mass - W_MASS),
            "top vs QCD": -np.abs(mass - TOP_MASS),
            "W vs Z": -mass,
        },
        "N-subjettiness": {"W vs QCD": -tau21, "top vs QCD": -tau32},
        "multiplicity": {"g vs q": jets.n_constituents[rows].astype(np.float64)},
    }


def background_rejection(is_signal, score, signal_efficiency=0.5):
    """1 / eps_B: one over the share of background jets kept by the cut on `score` that
    keeps `signal_efficiency` of the signal jets."""
    false_positive, true_positive, _ = roc_curve(is_signal, score)
    return 1 / np.interp(signal_efficiency, true_positive, false_positive)


def _background_efficiency(signal, background, axis=-1, signal_efficiency=0.5):
    """The share of background jets above the cut that keeps `signal_efficiency` of
    the signal jets (vectorized over resamples, as scipy.stats.bootstrap calls it)."""
    cut = np.quantile(signal, 1 - signal_efficiency, axis=axis, keepdims=True)
    return np.mean(background > cut, axis=axis)


def bootstrap_spread(is_signal, score, resamples=200, seed=0):
    """The statistical error of background_rejection at 50 % signal efficiency, from
    `resamples` bootstrap copies of the jets (signal and background resampled
    separately, each with replacement).

    The copies give the spread of the background efficiency eps_B, which is turned
    into that of 1 / eps_B (divided by eps_B squared): a copy in which no background
    jet passes would have an infinite rejection, and no spread."""
    signal, background = score[is_signal], score[~is_signal]
    result = bootstrap(
        (signal, background),
        _background_efficiency,
        n_resamples=resamples,
        vectorized=True,
        paired=False,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    efficiency = _background_efficiency(signal, background)
    return float(result.standard_error / efficiency**2)


REJECTION_PAIRS = {"W vs QCD": "W rejection", "top vs QCD": "top rejection"}
"""The questions whose background rejection at 50 % signal efficiency is scored."""


def pair_scores(is_signal, score, pair) -> dict:
    """The AUC of one question and, for those of REJECTION_PAIRS, the background
    rejection at 50 % signal efficiency and its bootstrap error ("... sd")."""
    row = {f"{pair} AUC": pair_auc(is_signal, score)}
    if pair in REJECTION_PAIRS:
        name = REJECTION_PAIRS[pair]
        row[name] = background_rejection(is_signal, score)
        row[f"{name} sd"] = bootstrap_spread(is_signal, score)
    return row


def network_scores(probabilities, true, temperature=1.0) -> dict:
    """A classifier's scores on some jets: accuracy, the calibration error before and
    after dividing its logits by `temperature`, and pair_scores of every question."""
    row = {
        "accuracy": np.mean(probabilities.argmax(axis=1) == true),
        "ECE": expected_calibration_error(probabilities, true),
        "ECE scaled": expected_calibration_error(
            with_temperature(probabilities, temperature), true
        ),
    }
    for pair in TAGGING_PAIRS:
        row.update(pair_scores(*pair_score(probabilities, true, pair), pair))
    return row


def tagger_scores(scores: dict, true) -> dict:
    """pair_scores of a classic tagger, {pair: one score per jet}, for the questions it
    answers."""
    row = {}
    for pair, score in scores.items():
        signal, background = TAGGING_PAIRS[pair]
        keep = np.isin(true, signal + background)
        row.update(pair_scores(np.isin(true[keep], signal), score[keep], pair))
    return row


def reliability(probabilities, true, bins=10):
    """Top-label calibration: the jets binned by their highest class probability (the
    network's confidence); per bin, (mean confidence, share classified correctly, jets).
    A calibrated network has the two equal in every bin."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == true
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    counts = np.bincount(which, minlength=bins)
    filled = counts > 0
    mean_confidence = np.bincount(which, confidence, bins)[filled] / counts[filled]
    accuracy = np.bincount(which, correct, bins)[filled] / counts[filled]
    return mean_confidence, accuracy, counts[filled]


def expected_calibration_error(probabilities, true, bins=10):
    """The jets' average gap between confidence and accuracy, bin by bin (ECE)."""
    confidence, accuracy, counts = reliability(probabilities, true, bins)
    return float(np.sum(counts * np.abs(confidence - accuracy)) / counts.sum())


def fit_temperature(probabilities, true):
    """The temperature T that minimises the cross-entropy of softmax(log p / T) on these
    jets (temperature scaling; use the validation jets). T > 1: the network was
    over-confident."""
    log_p = torch.log(torch.as_tensor(probabilities, dtype=torch.float64))
    labels = torch.as_tensor(true)

    def loss(log_t):
        scaled = log_p / np.exp(log_t)
        return torch.nn.functional.cross_entropy(scaled, labels).item()

    return float(np.exp(minimize_scalar(loss, bounds=(-3, 3), method="bounded").x))


def with_temperature(probabilities, temperature):
    """softmax(log p / T): the probabilities of a network whose logits were divided by T."""
    log_p = torch.log(torch.as_tensor(probabilities, dtype=torch.float64))
    return torch.softmax(log_p / temperature, dim=1).numpy()


def sculpting(mass, kept, edges):
    """Jensen-Shannon divergence (base 2: 0 same shape, 1 no overlap) between the
    histogram of `mass` of all jets and of the jets `kept` by a cut."""
    before = np.histogram(mass, edges)[0]
    after = np.histogram(mass[kept], edges)[0]
    return float(jensenshannon(before, after, base=2) ** 2)
