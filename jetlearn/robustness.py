"""Taggers judged on several simulations of the same jets: the chapter on trust
(50-can-you-trust-it.md) and benchmarks/robustness.py share these.

- SIMULATIONS, simulation_file: the nominal dataset and its variations, by name
- TAGGING_PAIRS, pair_score: the four questions a tagger is asked, one score per jet
- classic_scores: the physicist's taggers (groomed mass, N-subjettiness, the two
  together as the LHC experiments use them, multiplicity)
- background_rejection, bootstrap_spread, rejection_interval: 1/eps_B at a fixed signal
  efficiency, its statistical error from resampling the jets, and the count of
  background jets behind it with its Clopper-Pearson interval
- auc_spread: the statistical error of an AUC, from resampling the jets
- network_scores, tagger_scores: every score of a network or a classic tagger at once
- reliability, expected_calibration_error, fit_temperature: does P = 0.8 mean 80 %?
- calibration_floor: the ECE that a perfectly calibrated network shows on these jets
- sculpting, random_sculpting, sculpting_error: how much a cut on a tagger changes the
  background's mass, what chance alone gives, and its statistical error
  distribution, and how much a random selection of as many jets does
"""

import numpy as np
import torch
from particle import Particle
from scipy.optimize import minimize_scalar
from scipy.spatial.distance import jensenshannon
from scipy.stats import binomtest, bootstrap, rankdata
from sklearn.metrics import roc_auc_score, roc_curve

from jetimages import physics, simulation_file
from jetimages.nsubjettiness import n_subjettiness, tau_ratios

__all__ = [
    "SIMULATIONS",
    "TAGGING_PAIRS",
    "WORKING_POINT",
    "auc_spread",
    "background_rejection",
    "bootstrap_error",
    "bootstrap_spread",
    "calibration_floor",
    "classic_scores",
    "expected_calibration_error",
    "fit_temperature",
    "network_scores",
    "pair_auc",
    "pair_score",
    "pair_scores",
    "random_sculpting",
    "rejection_interval",
    "reliability",
    "sculpting",
    "sculpting_error",
    "simulation_file",
    "tagger_scores",
    "with_temperature",
]

SIMULATIONS = list(physics.SIMULATIONS)
"""The simulations of the book's data, nominal first: the data tool's registry."""

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
# The groomed-mass windows of the CMS W and top taggers (CMS, JINST 15 (2020) P06005),
# inside which they cut on tau21 and tau32: fixed by convention, not fitted to our jets
W_WINDOW = (65.0, 105.0)
TOP_WINDOW = (105.0, 210.0)

WORKING_POINT = 0.8
"""The signal efficiency at which background rejection is scored. At 50 %, the book's
networks keep 3 to 17 of the 3 200 quark and gluon test jets, too few for a rejection to
mean more than its count; at 80 % they keep tens to hundreds."""


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


def in_window(mass, window):
    low, high = window
    return (mass > low) & (mass < high)


def classic_scores(jets, rows=None, taus=None) -> dict:
    """The physicist's taggers, one score per jet (of `rows`, by default all), higher
    meaning more signal-like: {tagger: {pair: score}}.

    Groomed mass: closeness to the W or top mass, and the mass itself for W vs Z (lower
    is W). N-subjettiness: -tau21 for W, -tau32 for top. Mass window + N-subjettiness:
    the jets inside the groomed-mass window (W_WINDOW, TOP_WINDOW) first, each side
    ordered by -tau21 or -tau32, as the LHC taggers cut on both. Multiplicity: the
    particle count, for gluon against quark. taus: (tau21, tau32) of the same jets, if
    already computed (tau_ratios)."""
    rows = np.arange(len(jets)) if rows is None else rows
    mass = jets.features[rows, jets.feature_names.index("j_mass_mmdt")]
    if taus is None:
        taus = tau_ratios(n_subjettiness(jets.particles[rows], jets.n_particles[rows]))
    tau21, tau32 = taus
    # tau ratios lie in [0, 1]: the window's jets all score above those outside it
    return {
        "groomed mass": {
            "W vs QCD": -np.abs(mass - W_MASS),
            "top vs QCD": -np.abs(mass - TOP_MASS),
            "W vs Z": -mass,
        },
        "N-subjettiness": {"W vs QCD": -tau21, "top vs QCD": -tau32},
        "mass window + N-subjettiness": {
            "W vs QCD": 2.0 * in_window(mass, W_WINDOW) - tau21,
            "top vs QCD": 2.0 * in_window(mass, TOP_WINDOW) - tau32,
        },
        "multiplicity": {"g vs q": jets.n_constituents[rows].astype(np.float64)},
    }


def background_rejection(is_signal, score, signal_efficiency=WORKING_POINT):
    """1 / eps_B: one over the share of background jets kept by the cut on `score` that
    keeps `signal_efficiency` of the signal jets."""
    false_positive, true_positive, _ = roc_curve(is_signal, score)
    return 1 / np.interp(signal_efficiency, true_positive, false_positive)


def _background_efficiency(
    signal, background, axis=-1, signal_efficiency=WORKING_POINT
):
    """The share of background jets above the cut that keeps `signal_efficiency` of
    the signal jets (vectorized over resamples, as scipy.stats.bootstrap calls it)."""
    cut = np.quantile(signal, 1 - signal_efficiency, axis=axis, keepdims=True)
    return np.mean(background > cut, axis=axis)


def bootstrap_spread(
    is_signal, score, resamples=200, seed=0, signal_efficiency=WORKING_POINT
):
    """The statistical error of background_rejection at `signal_efficiency`, from
    `resamples` bootstrap copies of the jets (signal and background resampled
    separately, each with replacement).

    The copies give the spread of the background efficiency eps_B, which is turned
    into that of 1 / eps_B (divided by eps_B squared): a copy in which no background
    jet passes would have an infinite rejection, and no spread."""

    def efficiency_of(signal, background, axis=-1):
        return _background_efficiency(signal, background, axis, signal_efficiency)

    spread = bootstrap_error(is_signal, score, efficiency_of, resamples, seed)
    efficiency = efficiency_of(score[is_signal], score[~is_signal])
    return float(spread / efficiency**2)


def bootstrap_error(is_signal, score, statistic, resamples, seed):
    """The standard deviation of statistic(signal scores, background scores) over
    `resamples` bootstrap copies, signal and background resampled separately."""
    result = bootstrap(
        (score[is_signal], score[~is_signal]),
        statistic,
        n_resamples=resamples,
        vectorized=True,
        paired=False,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return float(result.standard_error)


def rejection_interval(is_signal, score, confidence=0.6827):
    """(background jets kept, background jets, low, high): the count behind
    background_rejection at WORKING_POINT, and the Clopper-Pearson interval of 1/eps_B
    at `confidence` (high is infinite when no background jet is kept)."""
    signal, background = score[is_signal], score[~is_signal]
    kept = int(np.sum(background > np.quantile(signal, 1 - WORKING_POINT)))
    interval = binomtest(kept, len(background)).proportion_ci(confidence, "exact")
    high = np.inf if interval.low == 0 else 1 / interval.low
    return kept, len(background), 1 / interval.high, high


def _auc(signal, background, axis=-1):
    """AUC from ranks (Mann-Whitney), vectorized over resamples."""
    both = np.concatenate([signal, background], axis=axis)
    ranks = rankdata(both, axis=axis)
    n_signal, n_background = signal.shape[axis], background.shape[axis]
    signal_ranks = np.take(ranks, np.arange(n_signal), axis=axis).sum(axis=axis)
    return (signal_ranks - n_signal * (n_signal + 1) / 2) / (n_signal * n_background)


def auc_spread(is_signal, score, resamples=100, seed=0):
    """The statistical error of an AUC: the standard deviation over `resamples`
    bootstrap copies of the jets (signal and background resampled separately)."""
    return bootstrap_error(is_signal, score, _auc, resamples, seed)


REJECTION_PAIRS = {"W vs QCD": "W rejection", "top vs QCD": "top rejection"}
"""The questions whose background rejection at WORKING_POINT is scored."""


def pair_scores(is_signal, score, pair) -> dict:
    """The AUC of one question with its bootstrap error ("... AUC sd") and, for those of
    REJECTION_PAIRS, the background rejection at WORKING_POINT with its bootstrap error
    ("... sd"), the background jets it keeps ("... kept" of "... jets") and its
    Clopper-Pearson interval ("... low", "... high")."""
    row = {
        f"{pair} AUC": pair_auc(is_signal, score),
        f"{pair} AUC sd": auc_spread(is_signal, score),
    }
    if pair in REJECTION_PAIRS:
        name = REJECTION_PAIRS[pair]
        row[name] = background_rejection(is_signal, score)
        row[f"{name} sd"] = bootstrap_spread(is_signal, score)
        kept, total, low, high = rejection_interval(is_signal, score)
        row |= {
            f"{name} kept": kept,
            f"{name} jets": total,
            f"{name} low": low,
            f"{name} high": high,
        }
    return row


def network_scores(probabilities, true, temperature=1.0) -> dict:
    """A classifier's scores on some jets: accuracy and its binomial error, the
    calibration error before and after dividing its logits by `temperature` and its
    floor on these jets (calibration_floor), and pair_scores of every question."""
    accuracy = np.mean(probabilities.argmax(axis=1) == true)
    row = {
        "accuracy": accuracy,
        "accuracy sd": np.sqrt(accuracy * (1 - accuracy) / len(true)),
        "ECE": expected_calibration_error(probabilities, true),
        "ECE floor": calibration_floor(probabilities),
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


def calibration_floor(probabilities, resamples=20, seed=0):
    """The mean ECE of a perfectly calibrated network with these probabilities: each
    jet's class drawn from its own probabilities, `resamples` times. An ECE at this
    level is what the number of jets allows, not a miscalibration."""
    rng = np.random.default_rng(seed)
    cumulative = np.cumsum(probabilities, axis=1)
    eces = []
    for _ in range(resamples):
        drawn = (rng.random((len(probabilities), 1)) > cumulative).sum(axis=1)
        drawn = np.minimum(drawn, probabilities.shape[1] - 1)
        eces.append(expected_calibration_error(probabilities, drawn))
    return float(np.mean(eces))


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


def sculpting_error(mass, kept, edges, repeats=100, seed=0):
    """The statistical error of sculpting(mass, kept, edges) from the number of kept
    jets: the spread of the divergence when the kept jets are drawn again, with
    replacement, from themselves (a bootstrap of `repeats` draws)."""
    rng = np.random.default_rng(seed)
    before = np.histogram(mass, edges)[0]
    kept_mass = mass[kept]
    values = [
        jensenshannon(
            before,
            np.histogram(rng.choice(kept_mass, len(kept_mass)), edges)[0],
            base=2,
        )
        ** 2
        for _ in range(repeats)
    ]
    return float(np.std(values, ddof=1))


def random_sculpting(mass, n_kept, edges, repeats=50, seed=0):
    """The mean sculpting of `repeats` random selections of n_kept jets: what a cut that
    keeps as many jets shows from their number alone."""
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(repeats):
        kept = np.zeros(len(mass), dtype=bool)
        kept[rng.choice(len(mass), n_kept, replace=False)] = True
        values.append(sculpting(mass, kept, edges))
    return float(np.mean(values))
