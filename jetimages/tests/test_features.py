"""The 16 substructure features, on jets whose values can be worked out by hand."""

import numpy as np
import pytest

from jetimages.features import FEATURE_NAMES, jet_features
from jetimages.kinematics import mass

from .test_images import massless

COLUMN = {name: k for k, name in enumerate(FEATURE_NAMES)}


def test_there_are_sixteen_named_features():
    assert len(FEATURE_NAMES) == 16 == len(set(FEATURE_NAMES))


def test_balanced_two_prong_jet():
    """Two equal prongs: nothing is groomed away, e2 = z1 z2 dR^b = dR^b / 4, and e3 = 0."""
    jet = massless([400.0, 400.0], [0.0, 0.2], [0.0, 0.0])
    features = jet_features([jet])[0]
    assert features[COLUMN["j_multiplicity"]] == 2
    assert features[COLUMN["j_zlogz"]] == pytest.approx(np.log(0.5))
    assert features[COLUMN["j_mass_mmdt"]] == pytest.approx(
        mass(jet.sum(axis=0)), rel=1e-5
    )
    assert features[COLUMN["j_c1_b0_mmdt"]] == pytest.approx(0.25, rel=1e-5)
    assert features[COLUMN["j_c1_b1_mmdt"]] == pytest.approx(0.2 / 4, rel=1e-3)
    assert features[COLUMN["j_c1_b2_mmdt"]] == pytest.approx(0.04 / 4, rel=1e-3)
    assert features[COLUMN["j_d2_b1_mmdt"]] == 0.0  # e3 vanishes with two particles


def test_soft_wide_particle_is_groomed_away():
    """mMDT drops a branch with less than 10 % of the pT: the groomed mass is that of the core."""
    core = massless([500.0, 500.0], [0.0, 0.1], [0.0, 0.0])
    soft = massless([20.0], [0.6], [0.3])
    features = jet_features([np.concatenate([core, soft])])[0]
    assert (
        features[COLUMN["j_multiplicity"]] == 3
    )  # multiplicity counts the ungroomed jet
    assert features[COLUMN["j_mass_mmdt"]] == pytest.approx(
        mass(core.sum(axis=0)), rel=1e-5
    )


def test_three_prong_jet_has_finite_ratios():
    jet = massless([300.0, 300.0, 300.0], [0.0, 0.2, 0.1], [0.0, 0.0, 0.17])
    features = jet_features([jet, jet])
    assert np.all(np.isfinite(features))
    assert np.all(features[:, COLUMN["j_d2_b1_mmdt"]] > 0)
    np.testing.assert_array_equal(features[0], features[1])
