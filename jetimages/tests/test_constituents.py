"""The particle table: hardest particles first, zero-padded, in the image's frame, typed."""

import numpy as np
import pytest

from jetimages.constituents import (
    PARTICLE_FEATURES,
    PARTICLE_TYPES,
    four_momenta,
    particle_table,
    particle_type_codes,
)
from jetimages.images import PIXEL_EDGES, jet_image
from jetimages.tests.test_images import massless


def test_type_codes_follow_the_pdg_id_and_charge():
    pdg = np.array([22, 11, -11, 13, 211, -321, 2212, 130, 2112])
    charge = np.array([0, -1, 1, -1, 1, -1, 1, 0, 0])
    names = [PARTICLE_TYPES[code] for code in particle_type_codes(pdg, charge)]
    assert (
        names
        == ["photon", "electron", "electron", "muon"]
        + ["charged hadron"] * 3
        + ["neutral hadron"] * 2
    )


def test_table_is_sorted_by_pt_padded_and_truncated():
    pt = np.array([10.0, 300.0, 50.0, 100.0])
    jet = massless(pt, [0.5, 0.6, 0.7, 0.4], [1.0, 1.1, 0.9, 1.0])
    charge, pdg = np.array([0, 1, -1, 0]), np.array([22, 211, -211, 130])
    table = particle_table(jet, charge, pdg, max_particles=6)
    assert table.shape == (6, len(PARTICLE_FEATURES)) and table.dtype == np.float32
    share = table[:, PARTICLE_FEATURES.index("pt_share")]
    np.testing.assert_allclose(share[:4], np.sort(pt)[::-1] / pt.sum(), rtol=1e-6)
    assert np.all(table[4:] == 0)  # padding rows, type 0
    assert list(table[:4, PARTICLE_FEATURES.index("type")]) == [4, 5, 4, 1]
    assert list(table[:4, PARTICLE_FEATURES.index("charge")]) == [1, 0, -1, 0]
    short = particle_table(jet, charge, pdg, max_particles=2)
    np.testing.assert_array_equal(short, table[:2])


def test_particles_pixelized_give_back_the_image():
    rng = np.random.default_rng(3)
    n = 40
    jet = massless(
        rng.exponential(20.0, n), rng.normal(0.0, 0.2, n), rng.normal(1.0, 0.2, n)
    )
    table = particle_table(jet, np.zeros(n), np.full(n, 22), max_particles=n)
    share, x, y = (
        table[:, PARTICLE_FEATURES.index(name)] for name in ("pt_share", "x", "y")
    )
    image, _, _ = np.histogram2d(
        y, x, bins=(PIXEL_EDGES, PIXEL_EDGES), weights=100.0 * share
    )
    np.testing.assert_allclose(image, jet_image(jet), atol=1e-3)
    assert share.sum() == pytest.approx(1.0, rel=1e-5)


def test_a_stored_jet_comes_back_as_four_momenta_in_its_own_frame():
    rng = np.random.default_rng(3)
    pt = rng.exponential(20.0, 30)
    jet = massless(pt, 0.7 + rng.normal(0, 0.2, 30), 2.5 + rng.normal(0, 0.1, 30))
    charge, pdg = np.zeros(30), np.full(30, 22)
    table = particle_table(jet, charge, pdg, max_particles=40)
    back = four_momenta(table, jet_pt=pt.sum(), jet_eta=0.7)
    assert back.shape == (30, 4)
    np.testing.assert_allclose(np.hypot(back[:, 0], back[:, 1]).sum(), pt.sum())
    # already centred, rotated and reflected: the image's steps leave it in place
    again = particle_table(back, charge, pdg, max_particles=40)
    np.testing.assert_allclose(again, table, atol=1e-5)
    np.testing.assert_allclose(jet_image(back), jet_image(jet), atol=1e-3)
