"""The book's trained models (data/trained-models/, made by `make models`) load as the
chapters load them: PyTorch's weights-only reader, weights with the losses of every epoch
and the training time, each under the key the chapters look for."""

import pytest
import torch

from jetlearn.kept import STORED

STORED_FILES = sorted(STORED.glob("*.pt"))


def test_the_book_ships_its_trainings():
    assert STORED_FILES, f"{STORED} holds no training: run `make models`"
    assert not [p.name for p in STORED.iterdir() if p.suffix != ".pt"]


@pytest.mark.parametrize("path", STORED_FILES, ids=lambda path: path.name[:12])
def test_a_stored_training_loads_weights_only(path):
    kept = torch.load(path, weights_only=True)
    assert set(kept) == {"weights", "history", "seconds", "book_key"}
    assert path.stem == kept["book_key"], (
        "named otherwise than the chapters look for it"
    )
    losses = kept["history"]
    assert len(losses["training"]) == len(losses["validation"]) > 0
    assert kept["seconds"] > 0
    assert all(torch.isfinite(w).all() for w in kept["weights"].values())
