"""The particle-set chapter's models, as the benchmark runs them: its cells tagged
`shared-with-benchmark`, executed without the data. Untrained networks on synthetic jets
already have the symmetries that the chapter checks after training (a second or two)."""

import numpy as np
import pytest
import torch

from booktools.book import BOOK
from jetlearn.chapters import chapter_namespace

PARTICLE_CHAPTER = BOOK / "40-particle-sets.md"

NAMES = (
    "input_statistics",
    "network_input",
    "shuffle_particles",
    "FlatMLP",
    "ParticleFlowNetwork",
    "EnergyFlowNetwork",
    "RECIPE",
    "MAX_ROWS",
    "split_rows",
    "train",
    "FeatureMLP",
    "MLP_RECIPE",
    "standardized",
    "jet_pt_and_mass",
)


@pytest.fixture(scope="module")
def book():
    return chapter_namespace(PARTICLE_CHAPTER)


def synthetic_jets(n_jets=6, rows=20, seed=0):
    """Padded (N, P, 5) particle tables, hardest first, and jet pT values in GeV."""
    rng = np.random.default_rng(seed)
    particles = np.zeros((n_jets, rows, 5), dtype=np.float32)
    for jet, n in enumerate(rng.integers(5, rows, n_jets)):
        share = np.sort(rng.exponential(1.0, n))[::-1]
        particles[jet, :n, 0] = share / share.sum()
        particles[jet, :n, 1:3] = rng.normal(0.0, 0.2, (n, 2))
        particles[jet, :n, 3] = rng.integers(-1, 2, n)
        particles[jet, :n, 4] = rng.integers(1, 6, n)
    return particles, rng.uniform(800.0, 1200.0, n_jets).astype(np.float32)


def scores(model, x):
    model.eval()
    with torch.no_grad():
        return model(x).numpy()


def test_the_benchmark_finds_everything_it_uses(book):
    missing = [name for name in NAMES if name not in book]
    assert not missing, f"40-particle-sets.md's tagged cells no longer define {missing}"


def test_input_layout_and_padding(book):
    particles, jet_pt = synthetic_jets()
    statistics = book["input_statistics"](particles, jet_pt, np.arange(len(jet_pt)))
    x = book["network_input"](particles, jet_pt, statistics)
    n_jets, rows, _ = particles.shape
    assert (
        x.shape == (n_jets, rows * book["N_COLUMNS"] + 1) and x.dtype == torch.float32
    )
    columns = x[:, :-1].reshape(n_jets, rows, book["N_COLUMNS"])
    real = torch.from_numpy(particles[..., 4] > 0)
    assert torch.all(columns[~real] == 0), "a padding row is not all zero"
    np.testing.assert_array_equal(columns[..., 5:].sum(dim=-1).numpy(), real.numpy())
    assert torch.isfinite(x).all()


@pytest.mark.parametrize("name", ["ParticleFlowNetwork", "EnergyFlowNetwork"])
def test_flow_networks_ignore_order_and_padding(book, name):
    particles, jet_pt = synthetic_jets()
    statistics = book["input_statistics"](particles, jet_pt, np.arange(len(jet_pt)))
    torch.manual_seed(0)
    model = book[name]()
    reference = scores(model, book["network_input"](particles, jet_pt, statistics))
    shuffled = book["shuffle_particles"](particles, seed=1)
    more_padding = np.concatenate([particles, np.zeros_like(particles)], axis=1)
    for variant in (shuffled, more_padding):
        x = book["network_input"](variant, jet_pt, statistics)
        np.testing.assert_allclose(scores(model, x), reference, atol=1e-5)


def test_the_efn_is_soft_and_collinear_safe_and_the_pfn_is_not(book):
    particles, all_pt = synthetic_jets()
    statistics = book["input_statistics"](particles, all_pt, np.arange(len(all_pt)))
    jet, jet_pt = particles[0][particles[0, :, 4] > 0], all_pt[:1]
    halves = np.repeat(jet[:1], 2, axis=0)
    halves[:, 0] /= 2
    split = np.concatenate([halves, jet[1:]])
    soft = np.concatenate([jet, [[1e-8, 0.5, -0.3, 0.0, 1.0]]]).astype(np.float32)
    torch.manual_seed(0)
    models = {
        name: book[name]() for name in ("ParticleFlowNetwork", "EnergyFlowNetwork")
    }
    for name, model in models.items():
        before = scores(model, book["network_input"](jet[None], jet_pt, statistics))
        for variant in (split, soft):
            after = scores(
                model, book["network_input"](variant[None], jet_pt, statistics)
            )
            change = np.abs(after - before).max()
            if name == "EnergyFlowNetwork":
                assert change < 1e-5
            else:
                assert change > 1e-4
