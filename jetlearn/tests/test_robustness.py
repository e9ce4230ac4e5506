"""The scores of the chapter on trust: rejection and its bootstrap error, calibration,
temperature scaling, sculpting and the pair scores, on cases with known answers."""

import numpy as np
import pytest
from scipy.stats import norm

from jetlearn.robustness import (
    SIMULATIONS,
    background_rejection,
    bootstrap_spread,
    expected_calibration_error,
    fit_temperature,
    pair_score,
    sculpting,
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
    rejection = background_rejection(is_signal, score)
    # half the signal passes above shift = 2: the background above 2 is 2.3 % of it
    efficiency = norm.sf(2.0)
    assert rejection == pytest.approx(1 / efficiency, rel=0.05)
    # two errors: the count of background jets that pass (binomial), and the cut, the
    # signal's median, which moves by 1.2533 sigma / sqrt(n) and moves eps_B with it
    count = 1 / (efficiency * n_background)
    cut = (norm.pdf(2.0) * 1.2533 / np.sqrt(n_signal) / efficiency) ** 2
    expected = rejection * np.sqrt(count + cut)
    assert bootstrap_spread(is_signal, score) == pytest.approx(expected, rel=0.25)


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


def test_simulation_files_are_named_after_the_simulation():
    assert simulation_file("nominal").name == "jet-images.h5"
    assert simulation_file("vincia").name == "jet-images-vincia.h5"
    assert SIMULATIONS[0] == "nominal"
    with pytest.raises(ValueError, match="unknown simulation 'herwig'"):
        simulation_file("herwig")
