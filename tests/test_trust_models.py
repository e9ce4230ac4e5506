"""The chapter on trust's models and inputs, as its benchmark runs them (its cells tagged
`shared-with-benchmark`), on the committed Vincia jets: every model reads what its input
function makes, and inputs are scaled with the training rows they are given."""

import pytest
import torch

from booktools.book import BOOK
from jetimages import load_dataset
from jetlearn.chapters import chapter_namespace
from jetlearn.robustness import simulation_file


@pytest.fixture(scope="module")
def book():
    return chapter_namespace(BOOK / "50-can-you-trust-it.md")


@pytest.fixture(scope="module")
def jets():
    return load_dataset(simulation_file("vincia", BOOK / "data"), constituents=True)


def test_every_model_reads_its_input(book, jets):
    rows = torch.arange(2000).numpy()
    assert "transformer" in book["MODELS"]
    for key, (_, make_model, _) in book["MODELS"].items():
        x = book["network_input"](key, jets, jets, rows)
        assert x.shape[0] == len(jets) and x.dtype == torch.float32, key
        model = make_model()
        model.eval()
        with torch.no_grad():
            assert model(x[:7]).shape == (7, 5), key


@pytest.mark.parametrize("key", ["mlp_pt_mass", "pfn"])
def test_inputs_are_scaled_with_the_given_training_rows(book, jets, key):
    first, second = torch.arange(0, 3000).numpy(), torch.arange(3000, 6000).numpy()
    own = book["network_input"](key, jets, jets, first)
    other = book["network_input"](key, jets, jets, second)
    assert not torch.equal(own, other), "the scale did not come from the given rows"
