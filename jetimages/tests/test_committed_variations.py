"""The committed files of the other simulations (jetimages.physics.SIMULATIONS): how they
were made, their physics beside the nominal file's, and that they regenerate bit for bit."""

from pathlib import Path

import numpy as np
import pytest

from jetimages import load_dataset, physics, schema
from jetimages.simulation import simulate_block

from .test_committed_dataset import mass_peak

DATA = Path(__file__).parents[2] / "deep-learning-intro-for-hep" / "data"
VARIATIONS = [name for name in physics.SIMULATIONS if name != "nominal"]
JETS_PER_CLASS = 3000


def images_file(simulation: str) -> Path:
    suffix = "" if simulation == "nominal" else f"-{simulation}"
    return DATA / f"jet-images{suffix}.h5"


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


def test_vincia_makes_almost_none_of_the_ultra_soft_photons(datasets):
    """The nominal shower leaves photons below 1 MeV in many W jets; Vincia does not."""

    def share_with_soft_photon(jets):
        w = jets.labels == physics.LABELS.index("w")
        pt = jets.particles[w, :, 0] * jets.jet_pt[w, None]
        photon = jets.particles[w, :, 4] == 1
        return np.mean(((pt < 1e-3) & photon).any(axis=1))

    assert share_with_soft_photon(datasets["nominal"]) > 0.1
    assert share_with_soft_photon(datasets["vincia"]) < 0.03


@pytest.mark.parametrize(
    ("simulation", "label"), [("vincia", "w"), ("fsr-alphas-up", "g")]
)
def test_committed_rows_regenerate_bit_for_bit(datasets, simulation, label):
    jets = datasets[simulation]
    rows = np.flatnonzero(
        (jets.labels == physics.LABELS.index(label)) & (jets.block == 0)
    )
    rows = rows[np.argsort(jets.row_in_block[rows])][:5]
    again = simulate_block(label, int(jets.attrs["seed"]), 0, 5, simulation)
    for name in ("images", "features", "particles", "jet_pt", "n_constituents"):
        committed = getattr(jets, name)[rows]
        np.testing.assert_array_equal(
            schema.stored_values(name, again.arrays[name]), committed, err_msg=name
        )
