"""The committed dataset: its size and schema, its physics, and that it regenerates bit for bit."""

from pathlib import Path

import numpy as np
import pytest
from particle import Particle
from scipy import ndimage

from jetimages import load_dataset, physics
from jetimages.simulation import simulate_block

BOOK = Path(__file__).parents[2] / "deep-learning-intro-for-hep"
DATA = BOOK / "data" / "jet-images.h5"
JETS_PER_CLASS = 16_000


@pytest.fixture(scope="module")
def jets():
    return load_dataset(DATA)


def of_class(jets, label, array):
    return array[jets.labels == jets.label_order.index(label)]


def feature(jets, label, name):
    return of_class(jets, label, jets.features[:, jets.feature_names.index(name)])


def mass_peak(masses, low=40.0, high=260.0, width=4.0):
    """Centre of the most populated bin of a groomed-mass histogram between low and high (GeV)."""
    counts, edges = np.histogram(masses, bins=np.arange(low, high + width, width))
    return 0.5 * (edges[counts.argmax()] + edges[counts.argmax() + 1])


def test_size_schema_and_balance(jets):
    assert DATA.stat().st_size <= 30e6
    assert jets.images.shape == (5 * JETS_PER_CLASS, 20, 20) and jets.images.dtype == np.float32
    assert jets.features.shape == (5 * JETS_PER_CLASS, 16)
    assert jets.label_order == ["g", "q", "t", "w", "z"]
    np.testing.assert_array_equal(np.bincount(jets.labels), [JETS_PER_CLASS] * 5)
    assert not np.all(np.diff(jets.labels) == 0)  # classes are shuffled together
    assert np.all(np.isfinite(jets.features))


def test_images_hold_percent_of_jet_pt(jets):
    totals = jets.images.sum(axis=(1, 2))
    assert np.median(totals) == pytest.approx(100.0, abs=0.5)
    assert totals.max() <= 100.5  # float16 storage rounds each pixel a little


@pytest.mark.parametrize("label, pdg_id", [("w", 24), ("z", 23), ("t", 6)])
def test_groomed_mass_peaks_at_the_pdg_mass(jets, label, pdg_id):
    pdg_mass = Particle.from_pdgid(pdg_id).mass / 1000.0  # MeV -> GeV
    peak = mass_peak(feature(jets, label, "j_mass_mmdt"))
    assert peak == pytest.approx(pdg_mass, rel=0.05), f"{label} mass peak at {peak} GeV, PDG {pdg_mass:.1f} GeV"


@pytest.mark.parametrize("label", ["g", "q"])
def test_quark_and_gluon_jets_have_no_mass_peak(jets, label):
    masses = feature(jets, label, "j_mass_mmdt")
    # the most populated bin above 40 GeV is the first one: the spectrum only falls
    assert mass_peak(masses) < 50.0
    w_mass = Particle.from_pdgid(24).mass / 1000.0
    assert np.mean(np.abs(masses - w_mass) < 10) < 0.1


def test_gluon_jets_have_more_constituents_than_quark_jets(jets):
    gluon = feature(jets, "g", "j_multiplicity").mean()
    quark = feature(jets, "q", "j_multiplicity").mean()
    assert gluon > 1.3 * quark, f"gluon jets {gluon:.1f} constituents, quark jets {quark:.1f}"


@pytest.mark.parametrize("label", ["w", "z"])
def test_two_prong_decays_have_lower_d2_than_qcd_jets(jets, label):
    """D2 is small for two hard prongs and large for one core with diffuse radiation."""
    qcd = min(float(np.median(feature(jets, background, "j_d2_b1_mmdt"))) for background in ("g", "q"))
    boson = float(np.median(feature(jets, label, "j_d2_b1_mmdt")))
    assert boson < 0.9 * qcd, f"median D2: {label} {boson:.2f}, q/g {qcd:.2f}"


def test_images_show_one_two_and_three_prongs(jets):
    """Count hard prongs per image: pixels holding over 3 % of the jet pT that are 3x3 local maxima.

    The most common count is 1 for q and g jets, 2 for W and Z, 3 for top quarks.
    """
    images = jets.images
    is_peak = (images == ndimage.maximum_filter(images, size=(1, 3, 3))) & (images > 3.0)
    prongs = is_peak.sum(axis=(1, 2))
    expected = {"g": 1, "q": 1, "t": 3, "w": 2, "z": 2}
    most_common = {label: int(np.bincount(of_class(jets, label, prongs)).argmax()) for label in expected}
    assert most_common == expected


@pytest.mark.parametrize("label, block", [("w", 0), ("g", 17)])
def test_committed_rows_regenerate_bit_for_bit(jets, label, block):
    """Simulate the first jets of one block again, with the file's seed, and compare every value."""
    rows = (jets.labels == jets.label_order.index(label)) & (jets.block == block)
    order = np.argsort(jets.row_in_block[rows])
    committed_images = jets.images[rows][order]
    committed_features = jets.features[rows][order]
    n = 30
    assert np.array_equal(jets.row_in_block[rows][order][:n], np.arange(n))

    again = simulate_block(label, int(jets.attrs["seed"]), block, n_jets=n)
    np.testing.assert_array_equal(again.images.astype(np.float16).astype(np.float32), committed_images[:n])
    np.testing.assert_array_equal(again.features, committed_features[:n])


def test_file_records_how_it_was_made(jets):
    for key in ("seed", "jet_pt_window_GeV", "image_half_width", "version_pythia8mc", "version_fastjet"):
        assert key in jets.attrs
    assert list(jets.attrs["jet_pt_window_GeV"]) == list(physics.JET_PT_WINDOW_GEV)
