"""The committed dataset: its size and schema, its physics, and that it regenerates bit for bit."""

import h5py
import numpy as np
import pytest
from particle import Particle
from scipy import ndimage

from jetimages import layout, load_dataset, physics, schema
from jetimages.constituents import MAX_PARTICLES, PARTICLE_FEATURES
from jetimages.images import IMAGE_HALF_WIDTH
from jetimages.simulation import simulate_block

BOOK = layout.BOOK
DATA = BOOK / "data" / "jet-images.h5"
CONSTITUENTS = BOOK / "data" / "jet-constituents.h5"
JETS_PER_CLASS = 16_000


@pytest.fixture(scope="module")
def jets():
    return load_dataset(DATA, constituents=True)


def particle_column(jets, name):
    return jets.particles[:, :, PARTICLE_FEATURES.index(name)]


def of_class(jets, label, array):
    return array[jets.labels == jets.label_order.index(label)]


def feature(jets, label, name):
    return of_class(jets, label, jets.features[:, jets.feature_names.index(name)])


def mass_peak(masses, low=40.0, high=260.0, width=4.0):
    """Centre of the most populated bin of a groomed-mass histogram between low and high (GeV)."""
    counts, edges = np.histogram(masses, bins=np.arange(low, high + width, width))
    return 0.5 * (edges[counts.argmax()] + edges[counts.argmax() + 1])


def test_size_schema_and_balance(jets):
    assert DATA.stat().st_size <= 50e6 and CONSTITUENTS.stat().st_size <= 50e6
    assert (
        jets.images.shape == (5 * JETS_PER_CLASS, 20, 20)
        and jets.images.dtype == np.float32
    )
    assert jets.channels.shape == (5 * JETS_PER_CLASS, 2, 20, 20)
    assert jets.particles.shape == (
        5 * JETS_PER_CLASS,
        MAX_PARTICLES,
        len(PARTICLE_FEATURES),
    )
    assert jets.features.shape == (5 * JETS_PER_CLASS, 16)
    assert jets.label_order == ["g", "q", "t", "w", "z"]
    np.testing.assert_array_equal(np.bincount(jets.labels), [JETS_PER_CLASS] * 5)
    assert not np.all(np.diff(jets.labels) == 0)  # classes are shuffled together
    assert np.all(np.isfinite(jets.features))


def test_images_hold_percent_of_jet_pt(jets):
    totals = jets.images.sum(axis=(1, 2))
    assert np.median(totals) == pytest.approx(100.0, abs=0.5)
    assert totals.max() <= 100.1  # 12 mantissa bits round each pixel a little


def test_sums_over_a_class_are_finite_for_a_reader_with_plain_h5py():
    """Summing raw images with NumPy, as an outside reader would, gives finite, exact-enough sums."""
    with h5py.File(DATA, "r") as file:
        images, labels = file["images"][:], file["labels"][:]
    assert images.dtype == np.float32
    for label in range(len(physics.LABELS)):
        summed = images[labels == label].sum(axis=0)
        exact = images[labels == label].astype(np.float64).sum(axis=0)
        assert np.all(np.isfinite(summed))
        np.testing.assert_allclose(summed, exact, rtol=1e-4, atol=1e-3)


def test_jet_kinematics_are_in_the_cuts_and_have_units(jets):
    low, high = physics.JET_PT_WINDOW_GEV
    assert np.all((jets.jet_pt >= low * 0.999) & (jets.jet_pt <= high * 1.001))
    assert np.all(np.abs(jets.jet_eta) <= physics.JET_MAX_ABS_ETA * 1.001)
    np.testing.assert_array_equal(
        jets.n_constituents,
        jets.features[:, jets.feature_names.index("j_multiplicity")],
    )
    # grooming only removes soft, wide-angle particles: the ungroomed mass is larger
    groomed = jets.features[:, jets.feature_names.index("j_mass_mmdt")]
    assert np.mean(jets.jet_mass >= 0.999 * groomed) > 0.99
    with h5py.File(DATA, "r") as file:
        units = {
            name: file[name].attrs["units"]
            for name in ("jet_pt", "jet_mass", "jet_eta", "n_constituents")
        }
    assert units["jet_pt"] == units["jet_mass"] == "GeV"


def test_count_channel_counts_the_particles_inside_the_window(jets):
    counts = jets.channels[:, jets.channel_names.index("particle_count")].sum(
        axis=(1, 2)
    )
    assert np.all(counts <= jets.n_constituents)
    # every jet with all of its particles in the constituents file can be checked one by one
    complete = jets.n_constituents <= MAX_PARTICLES
    x, y = particle_column(jets, "x"), particle_column(jets, "y")
    real = np.arange(MAX_PARTICLES) < jets.n_particles[:, None]
    # positions are stored rounded to 12 mantissa bits: within one step of the window's edge,
    # a particle may lie on either side of it, so the count is bracketed
    step = IMAGE_HALF_WIDTH * 2.0**-12
    surely_inside = (
        real
        & (np.abs(x) < IMAGE_HALF_WIDTH - step)
        & (np.abs(y) < IMAGE_HALF_WIDTH - step)
    )
    maybe_inside = (
        real
        & (np.abs(x) <= IMAGE_HALF_WIDTH + step)
        & (np.abs(y) <= IMAGE_HALF_WIDTH + step)
    )
    assert complete.sum() > 10_000
    assert np.all(surely_inside[complete].sum(axis=1) <= counts[complete])
    assert np.all(counts[complete] <= maybe_inside[complete].sum(axis=1))
    assert (
        np.mean(surely_inside.sum(axis=1) == maybe_inside.sum(axis=1)) > 0.99
    )  # the bracket is tight


def test_charged_channel_never_exceeds_the_total(jets):
    charged = jets.channels[:, jets.channel_names.index("charged_pt_percent")]
    assert np.all(charged <= jets.images)
    share = charged.sum(axis=(1, 2)) / jets.images.sum(axis=(1, 2))
    assert (
        0.5 < np.median(share) < 0.75
    )  # about 60 % of a jet's energy is carried by charged hadrons


def test_constituents_are_the_same_jets_hardest_first(jets):
    with h5py.File(CONSTITUENTS, "r") as file:
        np.testing.assert_array_equal(file["labels"][:], jets.labels)
    np.testing.assert_array_equal(
        jets.n_particles, np.minimum(jets.n_constituents, MAX_PARTICLES)
    )
    share = particle_column(jets, "pt_share")
    assert np.all(np.diff(share, axis=1) <= 0)  # sorted by pT, padding (0) last
    real = np.arange(MAX_PARTICLES) < jets.n_particles[:, None]
    assert np.all(jets.particles[~real] == 0) and np.all(
        particle_column(jets, "type")[real] >= 1
    )
    complete = jets.n_constituents <= MAX_PARTICLES
    np.testing.assert_allclose(share[complete].sum(axis=1), 1.0, rtol=1e-3)


@pytest.mark.parametrize(("label", "pdg_id"), [("w", 24), ("z", 23), ("t", 6)])
def test_groomed_mass_peaks_at_the_pdg_mass(jets, label, pdg_id):
    pdg_mass = Particle.from_pdgid(pdg_id).mass / 1000.0  # MeV -> GeV
    peak = mass_peak(feature(jets, label, "j_mass_mmdt"))
    assert peak == pytest.approx(pdg_mass, rel=0.05), (
        f"{label} mass peak at {peak} GeV, PDG {pdg_mass:.1f} GeV"
    )


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
    assert gluon > 1.3 * quark, (
        f"gluon jets {gluon:.1f} constituents, quark jets {quark:.1f}"
    )


@pytest.mark.parametrize("label", ["w", "z"])
def test_two_prong_decays_have_lower_d2_than_qcd_jets(jets, label):
    """D2 is small for two hard prongs and large for one core with diffuse radiation."""
    qcd = min(
        float(np.median(feature(jets, background, "j_d2_b1_mmdt")))
        for background in ("g", "q")
    )
    boson = float(np.median(feature(jets, label, "j_d2_b1_mmdt")))
    assert boson < 0.9 * qcd, f"median D2: {label} {boson:.2f}, q/g {qcd:.2f}"


def test_images_show_one_two_and_three_prongs(jets):
    """Count hard prongs per image: pixels holding over 3 % of the jet pT that are 3x3 local maxima.

    The most common count is 1 for q and g jets, 2 for W and Z, 3 for top quarks.
    """
    images = jets.images
    is_peak = (images == ndimage.maximum_filter(images, size=(1, 3, 3))) & (
        images > 3.0
    )
    prongs = is_peak.sum(axis=(1, 2))
    expected = {"g": 1, "q": 1, "t": 3, "w": 2, "z": 2}
    most_common = {
        label: int(np.bincount(of_class(jets, label, prongs)).argmax())
        for label in expected
    }
    assert most_common == expected


@pytest.mark.parametrize(("label", "block"), [("w", 0), ("g", 17)])
def test_committed_rows_regenerate_bit_for_bit(jets, label, block):
    """Simulate the first jets of one block again, with the file's seed, and compare every array."""
    rows = np.flatnonzero(
        (jets.labels == jets.label_order.index(label)) & (jets.block == block)
    )
    rows = rows[np.argsort(jets.row_in_block[rows])]
    n = 30
    assert np.array_equal(jets.row_in_block[rows][:n], np.arange(n))

    again = simulate_block(label, int(jets.attrs["seed"]), block, n_jets=n)
    why = schema.why_regenerated_differs(jets.attrs)
    for name in schema.ARRAYS:
        committed = getattr(jets, name)[rows][:n]
        again_stored = schema.stored_values(name, again.arrays[name])
        np.testing.assert_array_equal(
            again_stored, committed, err_msg=f"{name} differs ({why})"
        )


def test_file_records_how_it_was_made(jets):
    for key in (
        "seed",
        "jet_pt_window_GeV",
        "image_half_width",
        "version_pythia8mc",
        "version_fastjet",
        "source_jetimages",  # which code of the data tool made it (schema.source_digest)
    ):
        assert key in jets.attrs
    assert list(jets.attrs["jet_pt_window_GeV"]) == list(physics.JET_PT_WINDOW_GEV)
    # the photon cut-off that keeps sub-MeV photons out of the W jets (physics.py)
    assert jets.attrs["shared_settings"] == "; ".join(physics.SHARED_SETTINGS)
