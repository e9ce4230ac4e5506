"""The benchmarks' store of trained models: the same training asked for twice is trained
once, and anything that changes a training's outcome trains it again."""

import importlib.util

import numpy as np
import pytest
import torch

from jetimages.layout import BOOK
from jetlearn.training import FeatureMLP, train


@pytest.fixture
def over_seeds(tmp_path, monkeypatch):
    """benchmarks/over_seeds.py, storing its models in a temporary folder."""
    spec = importlib.util.spec_from_file_location(
        "over_seeds", BOOK.parent / "benchmarks" / "over_seeds.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "TRAINED", tmp_path)
    monkeypatch.delenv(module.RETRAIN_VARIABLE, raising=False)
    return module


@pytest.fixture
def task():
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(size=(300, 4)).astype(np.float32))
    labels = rng.integers(0, 5, 300)
    split = (np.arange(200), np.arange(200, 250), np.arange(250, 300))
    return x, labels, split


RECIPE = {"epochs": 2, "batch_size": 50, "learning_rate": 1e-2}


def counting_book():
    calls = []

    def counted_train(*args, **kwargs):
        calls.append(1)
        return train(*args, **kwargs)

    return {"train": counted_train}, calls


def make_model():
    return FeatureMLP(n_features=4)


def test_the_same_training_is_loaded_not_repeated(over_seeds, task):
    x, labels, split = task
    book, calls = counting_book()
    first, seconds = over_seeds.trained(book, x, make_model, RECIPE, split, labels, 3)
    again, seconds_again = over_seeds.trained(
        book, x, make_model, RECIPE, split, labels, 3
    )
    assert len(calls) == 1
    assert seconds_again == seconds
    for name, weights in first.state_dict().items():
        assert torch.equal(weights, again.state_dict()[name]), name


@pytest.mark.parametrize(
    "change", ["recipe", "seed", "inputs", "labels", "split", "model"]
)
def test_what_changes_a_training_trains_again(over_seeds, task, change):
    x, labels, split = task
    book, calls = counting_book()
    over_seeds.trained(book, x, make_model, RECIPE, split, labels, 3)
    recipe, seed, model = RECIPE, 3, make_model
    if change == "recipe":
        recipe = {**RECIPE, "learning_rate": 2e-2}
    elif change == "seed":
        seed = 4
    elif change == "inputs":
        x = x.clone()
        x[0, 0] += 1
    elif change == "labels":
        labels = labels.copy()
        labels[0] = (labels[0] + 1) % 5
    elif change == "split":
        split = (split[0][1:], split[1], split[2])
    else:
        model = lambda: FeatureMLP(n_features=4, width=16)  # noqa: E731
    over_seeds.trained(book, x, model, recipe, split, labels, seed)
    assert len(calls) == 2


def test_test_rows_do_not_change_the_training(over_seeds, task):
    x, labels, split = task
    book, calls = counting_book()
    over_seeds.trained(book, x, make_model, RECIPE, split, labels, 3)
    x = x.clone()
    x[split[2]] += 1  # the test jets never reach the training
    over_seeds.trained(book, x, make_model, RECIPE, split, labels, 3)
    assert len(calls) == 1


def test_retrain_trains_again(over_seeds, task, monkeypatch):
    x, labels, split = task
    book, calls = counting_book()
    over_seeds.trained(book, x, make_model, RECIPE, split, labels, 3)
    monkeypatch.setenv(over_seeds.RETRAIN_VARIABLE, "1")
    over_seeds.trained(book, x, make_model, RECIPE, split, labels, 3)
    assert len(calls) == 2
