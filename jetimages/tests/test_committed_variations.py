"""The committed files of the other simulations (jetimages.physics.SIMULATIONS): how they
were made, their physics beside the nominal file's, and that they regenerate bit for bit."""

from pathlib import Path

import numpy as np
import pytest

from jetimages import layout, load_dataset, physics, schema
from jetimages.simulation import simulate_block

from .test_committed_dataset import mass_peak

DATA = layout.DATA
VARIATIONS = [name for name in physics.SIMULATIONS if name != "nominal"]
JETS_PER_CLASS = 3000


def images_file(simulation: str) -> Path:
    return schema.simulation_file(simulation, DATA)


@pytest.fixture(scope="module")
def datasets():
    return {
        name: load_dataset(images_file(name), constituents=True, channels=False)
        for name in physics.SIMULATIONS
    }


def median_multiplicity(jets, label):
    return float(
        np.median(jets.n_constituents[jets.labels == physics.LABELS.index(label)])
    )


@pytest.mark.parametrize("simulation", VARIATIONS)
def test_each_file_says_how_it_was_made(datasets, simulation):
    jets = datasets[simulation]
    assert jets.simulation == simulation
    settings = "; ".join(physics.SIMULATIONS[simulation])
    assert jets.attrs["simulation_settings"] == settings
    assert (
        int(jets.attrs["seed"]) == 2
    )  # no event shared with the nominal file (seed 1)
    np.testing.assert_array_equal(np.bincount(jets.labels), [JETS_PER_CLASS] * 5)
    assert "source_jetimages" in jets.attrs  # which code of the data tool made it
    for path in (
        images_file(simulation),
        schema.constituents_path(images_file(simulation)),
    ):
        assert path.stat().st_size <= 15e6, f"{path.name} is over 15 MB"


@pytest.mark.parametrize("simulation", VARIATIONS)
def test_the_decays_keep_their_mass_peaks(datasets, simulation):
    jets = datasets[simulation]
    mass = jets.features[:, jets.feature_names.index("j_mass_mmdt")]
    for label, low, high in [("w", 72, 90), ("z", 82, 100), ("t", 160, 185)]:
        peak = mass_peak(mass[jets.labels == physics.LABELS.index(label)])
        assert low <= peak <= high, f"{simulation}: {label} peak at {peak} GeV"


@pytest.mark.parametrize("simulation", VARIATIONS)
def test_gluon_jets_have_more_particles_than_quark_jets(datasets, simulation):
    jets = datasets[simulation]
    assert median_multiplicity(jets, "g") > 1.4 * median_multiplicity(jets, "q")


@pytest.mark.parametrize("label", ["g", "q"])
def test_a_stronger_final_state_coupling_makes_more_particles(datasets, label):
    counts = [
        median_multiplicity(datasets[name], label)
        for name in ("fsr-alphas-down", "nominal", "fsr-alphas-up")
    ]
    assert counts[0] < counts[1] < counts[2], counts


@pytest.mark.parametrize("label", ["g", "q"])
def test_the_other_string_parameters_change_the_counts_less_than_the_coupling(
    datasets, label
):
    """Both string parameter sets come from tunes fitted to LEP data, multiplicities
    included: the other one
    changes the particle count by a few percent, a 10 % change of the shower's
    coupling by about 10 %."""
    nominal = median_multiplicity(datasets["nominal"], label)
    change = {
        name: median_multiplicity(datasets[name], label) / nominal - 1
        for name in ("hadronization", "fsr-alphas-up", "fsr-alphas-down")
    }
    assert abs(change["hadronization"]) < 0.05, change
    assert min(abs(change["fsr-alphas-up"]), abs(change["fsr-alphas-down"])) > 0.05


def share_with_soft_photon(jets, label="w"):
    """The share of a class's jets with a photon below 1 MeV."""
    k = jets.labels == physics.LABELS.index(label)
    pt = jets.particles[k, :, 0] * jets.jet_pt[k, None]
    photon = jets.particles[k, :, 4] == 1
    return np.mean(((pt < 1e-3) & photon).any(axis=1))


def test_only_the_soft_photon_file_has_w_jets_with_kev_photons(datasets):
    """Pythia's own cut-off lets the W radiate sub-MeV photons; the book's data stop every
    charged particle at 0.5 GeV (physics.SHARED_SETTINGS), and Vincia has its own."""
    assert share_with_soft_photon(datasets["soft-photons"]) > 0.1
    assert share_with_soft_photon(datasets["soft-photons"], "z") < 0.01
    for name in ("nominal", "fsr-alphas-up", "fsr-alphas-down", "hadronization"):
        assert share_with_soft_photon(datasets[name]) < 0.005, name
    assert share_with_soft_photon(datasets["vincia"]) < 0.03


@pytest.mark.parametrize(
    ("simulation", "label"),
    [
        ("vincia", "w"),
        ("fsr-alphas-up", "g"),
        ("hadronization", "q"),
        ("soft-photons", "w"),
    ],
)
def test_committed_rows_regenerate_bit_for_bit(datasets, simulation, label):
    jets = datasets[simulation]
    rows = np.flatnonzero(
        (jets.labels == physics.LABELS.index(label)) & (jets.block == 0)
    )
    rows = rows[np.argsort(jets.row_in_block[rows])][:5]
    again = simulate_block(label, int(jets.attrs["seed"]), 0, 5, simulation)
    why = schema.why_regenerated_differs(jets.attrs)
    for name in ("images", "features", "particles", "jet_pt", "n_constituents"):
        committed = getattr(jets, name)[rows]
        np.testing.assert_array_equal(
            schema.stored_values(name, again.arrays[name]),
            committed,
            err_msg=f"{name} differs ({why})",
        )
