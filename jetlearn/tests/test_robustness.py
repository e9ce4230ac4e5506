"""The scores of the chapter on trust: rejection and its bootstrap error, calibration,
temperature scaling, sculpting and the pair scores, on cases with known answers."""

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.metrics import roc_auc_score

from jetlearn.robustness import (
    SIMULATIONS,
    WORKING_POINT,
    auc_spread,
    background_rejection,
    bootstrap_spread,
    calibration_floor,
    classic_scores,
    expected_calibration_error,
    fit_temperature,
    pair_score,
    random_sculpting,
    rejection_interval,
    sculpting,
    sculpting_error,
    simulation_file,
    with_temperature,
)


def separated(n_signal, n_background, shift=2.0, seed=0):
    rng = np.random.default_rng(seed)
    score = np.concatenate(
        [rng.normal(shift, 1, n_signal), rng.normal(0, 1, n_background)]
    )
    is_signal = np.arange(len(score)) < n_signal
    return is_signal, score


def test_rejection_and_its_bootstrap_error_match_the_expected_ones():
    n_signal, n_background = 20_000, 100_000
    is_signal, score = separated(n_signal, n_background)
    rejection = background_rejection(is_signal, score, signal_efficiency=0.5)
    # half the signal passes above shift = 2: the background above 2 is 2.3 % of it
    efficiency = norm.sf(2.0)
    assert rejection == pytest.approx(1 / efficiency, rel=0.05)
    # two errors: the count of background jets that pass (binomial), and the cut, the
    # signal's median, which moves by 1.2533 sigma / sqrt(n) and moves eps_B with it
    count = 1 / (efficiency * n_background)
    cut = (norm.pdf(2.0) * 1.2533 / np.sqrt(n_signal) / efficiency) ** 2
    expected = rejection * np.sqrt(count + cut)
    spread = bootstrap_spread(is_signal, score, signal_efficiency=0.5)
    assert spread == pytest.approx(expected, rel=0.25)


def test_the_rejection_interval_counts_the_jets_behind_it():
    is_signal, score = separated(2_000, 3_000, shift=3.0)
    kept, total, low, high = rejection_interval(is_signal, score)
    cut = np.quantile(score[is_signal], 1 - WORKING_POINT)
    assert kept == np.sum(score[~is_signal] > cut) and total == 3_000
    assert low < background_rejection(is_signal, score) < high
    # one sigma of a count of k is about sqrt(k) jets
    assert total / low - kept == pytest.approx(np.sqrt(kept), rel=0.2)
    nothing_kept = rejection_interval(is_signal, np.where(is_signal, 1.0, 0.0))
    assert nothing_kept[0] == 0 and nothing_kept[3] == np.inf


def test_the_auc_error_matches_hanley_and_mcneil():
    is_signal, score = separated(3_000, 6_000, shift=1.0)
    auc = roc_auc_score(is_signal, score)
    n1, n0 = 3_000, 6_000
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    expected = np.sqrt(
        (auc * (1 - auc) + (n1 - 1) * (q1 - auc**2) + (n0 - 1) * (q2 - auc**2))
        / (n1 * n0)
    )
    assert auc_spread(is_signal, score) == pytest.approx(expected, rel=0.25)


def test_the_calibration_floor_shrinks_with_the_number_of_jets():
    rng = np.random.default_rng(3)
    probabilities = rng.dirichlet(np.ones(5), 40_000)
    true = (rng.random((40_000, 1)) > np.cumsum(probabilities, axis=1)).sum(axis=1)
    small, large = (
        calibration_floor(probabilities[:2_000]),
        calibration_floor(probabilities),
    )
    assert small == pytest.approx(np.sqrt(20) * large, rel=0.35)
    # a calibrated network's ECE sits at its floor
    ece = expected_calibration_error(probabilities, true)
    assert ece == pytest.approx(large, rel=0.6)


def test_temperature_scaling_undoes_a_known_temperature():
    rng = np.random.default_rng(1)
    logits = 3 * rng.normal(size=(20_000, 5))
    calibrated = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    true = np.array([rng.choice(5, p=p) for p in calibrated])
    overconfident = with_temperature(calibrated, 0.5)  # logits doubled
    assert expected_calibration_error(calibrated, true) < 0.02
    assert expected_calibration_error(overconfident, true) > 0.05
    assert fit_temperature(overconfident, true) == pytest.approx(2.0, rel=0.05)


def test_pair_score_uses_only_the_classes_of_the_question():
    probabilities = np.array([[0.1, 0.1, 0.1, 0.6, 0.1], [0.5, 0.3, 0.1, 0.05, 0.05]])
    true = np.array([3, 0])
    is_signal, score = pair_score(probabilities, true, "W vs QCD")
    np.testing.assert_array_equal(is_signal, [True, False])
    np.testing.assert_allclose(score, [0.6 / 0.8, 0.05 / 0.85])
    is_signal, score = pair_score(probabilities, true, "W vs Z")
    np.testing.assert_array_equal(is_signal, [True])  # the gluon jet is not asked


def test_sculpting_is_zero_for_an_unbiased_cut_and_large_for_a_mass_window():
    mass = np.random.default_rng(2).exponential(60, 100_000)
    edges = np.linspace(0, 250, 51)
    every_other = np.arange(len(mass)) % 2 == 0
    window = (mass > 65) & (mass < 95)
    assert sculpting(mass, every_other, edges) < 0.01
    assert sculpting(mass, window, edges) > 0.5


def test_a_random_handful_of_jets_looks_sculpted():
    mass = np.random.default_rng(2).exponential(60, 30_000)
    edges = np.linspace(0, 250, 51)
    assert random_sculpting(mass, 10, edges) > 0.3
    assert random_sculpting(mass, 3_000, edges) < 0.02


def test_the_mass_window_tagger_puts_the_window_first():
    class Jets:
        feature_names = ["j_mass_mmdt"]
        features = np.array([[80.0], [30.0], [170.0]], dtype=np.float32)
        n_constituents = np.array([10, 10, 10])
        n_particles = np.array([2, 2, 2])
        # two equal particles 0.2 apart: two-pronged, the same for every jet
        particles = np.tile(
            np.array([[0.5, -0.1, 0, 1, 4], [0.5, 0.1, 0, -1, 4]], np.float32),
            (3, 1, 1),
        )
        jet_pt = np.full(3, 1000.0, dtype=np.float32)

        def __len__(self):
            return 3

    scores = classic_scores(Jets())["mass window + N-subjettiness"]
    w, top = scores["W vs QCD"], scores["top vs QCD"]
    assert w[0] > w[1] and w[0] > w[2]
    assert top[2] > top[0] and top[2] > top[1]


def test_simulation_files_are_named_after_the_simulation():
    assert simulation_file("nominal").name == "jet-images.h5"
    assert simulation_file("vincia").name == "jet-images-vincia.h5"
    assert SIMULATIONS[0] == "nominal"
    with pytest.raises(ValueError, match="unknown simulation 'herwig'"):
        simulation_file("herwig")


def test_the_error_of_a_sculpting_shrinks_with_the_jets_kept():
    rng = np.random.default_rng(2)
    mass = rng.exponential(40.0, 20_000)
    edges = np.linspace(0, 250, 51)
    errors = []
    for n_kept in (100, 10_000):
        kept = np.zeros(len(mass), dtype=bool)  # a cut that prefers heavier jets
        kept[rng.choice(len(mass), n_kept, replace=False, p=mass / mass.sum())] = True
        errors.append(sculpting_error(mass, kept, edges))
    assert errors[0] > 3 * errors[1] > 0
