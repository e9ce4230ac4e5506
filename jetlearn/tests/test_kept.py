"""Trained models kept between runs: the same training is loaded, a changed one runs again."""

import numpy as np
import pytest
import torch

from jetimages.layout import WORKSHOP_VARIABLE
from jetlearn import kept
from jetlearn.training import FeatureMLP

RECIPE = {"epochs": 2, "batch_size": 50, "learning_rate": 1e-2}


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(size=(250, 4)).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, 5, 250))
    return (x[:200], y[:200]), (x[200:], y[200:])


@pytest.fixture
def counted(monkeypatch):
    """The number of times the training loop really runs."""
    calls = []
    real = kept.training.train

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(kept.training, "train", counting)
    monkeypatch.delenv(WORKSHOP_VARIABLE, raising=False)
    return calls


def fresh_model(seed=3):
    torch.manual_seed(seed)
    return FeatureMLP(n_features=4)


def test_the_same_training_is_loaded_with_its_losses_and_time(tmp_path, data, counted):
    first = fresh_model()
    history, seconds = kept.train_once(first, *data, seed=3, folder=tmp_path, **RECIPE)
    again = fresh_model()
    history_again, seconds_again = kept.train_once(
        again, *data, seed=3, folder=tmp_path, **RECIPE
    )
    assert len(counted) == 1
    assert history_again == history and seconds_again == seconds
    for a, b in zip(first.state_dict().values(), again.state_dict().values()):
        assert torch.equal(a, b)


@pytest.mark.parametrize(
    "change", ["seed", "recipe", "labels", "initial weights", "workshop"]
)
def test_anything_that_changes_the_outcome_trains_again(
    tmp_path, data, counted, monkeypatch, change
):
    kept.train_once(fresh_model(), *data, seed=3, folder=tmp_path, **RECIPE)
    (x, y), validation = data
    seed, recipe, model = 3, dict(RECIPE), fresh_model()
    if change == "seed":
        seed = 4
    elif change == "recipe":
        recipe["learning_rate"] = 2e-2
    elif change == "labels":
        y = (y + 1) % 5
    elif change == "initial weights":
        model = fresh_model(seed=5)
    else:
        monkeypatch.setenv(WORKSHOP_VARIABLE, "1")
    kept.train_once(model, (x, y), validation, seed=seed, folder=tmp_path, **recipe)
    assert len(counted) == 2


def test_a_kept_training_is_whole_or_absent(tmp_path, data, counted):
    kept.train_once(fresh_model(), *data, seed=3, folder=tmp_path, **RECIPE)
    assert [path.suffix for path in tmp_path.iterdir()] == [".pt"]  # no temporary left


def test_the_same_class_written_elsewhere_has_the_same_key(data):
    """A chapter's class run by jetlearn.chapters is the class run in the notebook: the
    key reads what the code does, not the file it was compiled from."""
    source = (
        "import torch\n"
        "class Net(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.layer = torch.nn.Linear(4, 5)\n"
        "    def scale(self, x):\n"
        "        return x * 2\n"
        "    def forward(self, x):\n"
        "        return self.scale(self.layer(x))\n"
    )
    keys = []
    # a notebook runs its cells as __main__; jetlearn.chapters in a bare namespace
    for filename, name in [("<notebook cell>", "__main__"), ("chapter.md", None)]:
        namespace = {} if name is None else {"__name__": name}
        exec(compile("\n" * len(filename) + source, filename, "exec"), namespace)
        torch.manual_seed(0)
        keys.append(kept.training_key(namespace["Net"](), [*data[0]], RECIPE, 3))
    assert keys[0] == keys[1]


class Doubled(torch.nn.Module):
    """A model whose forward calls a helper method and reads a plain setting."""

    def __init__(self, factor=2.0):
        super().__init__()
        self.layer = torch.nn.Linear(4, 5)
        self.factor = factor
        self.activation = torch.relu  # a function: its address differs per process

    def scale(self, x):
        return x * self.factor

    def forward(self, x):
        return self.activation(self.scale(self.layer(x)))


class Tripled(Doubled):
    """The same forward and weights; only the helper differs."""

    def scale(self, x):
        return x * 3 * self.factor


@pytest.mark.parametrize(
    "other",
    [Tripled, lambda: Doubled(factor=3.0)],
    ids=["a helper method overridden", "a plain setting"],
)
def test_what_forward_calls_and_reads_is_in_the_key(data, other):
    """Same weights, same forward: a subclass that changes a helper (which particles
    attend, say) or a setting that neither the repr nor the weights show is another
    training, and must not load this one."""
    keys = []
    for make in (Doubled, other):
        torch.manual_seed(0)
        keys.append(kept.training_key(make(), [*data[0]], RECIPE, 3))
    assert keys[0] != keys[1]


def test_a_function_setting_is_keyed_by_name_not_address():
    settings = repr(kept.settings(Doubled()))
    assert "relu" in settings and "0x" not in settings, settings


def test_a_kept_workshop_training_still_says_it_was_shortened(
    tmp_path, data, counted, monkeypatch, capsys
):
    monkeypatch.setenv(WORKSHOP_VARIABLE, "1")
    kept.train_once(fresh_model(), *data, seed=3, folder=tmp_path, **RECIPE)
    capsys.readouterr()
    kept.train_once(fresh_model(), *data, seed=3, folder=tmp_path, **RECIPE)
    assert len(counted) == 1
    assert "workshop mode: 1 of 2 epochs" in capsys.readouterr().out


def store_of(folder, tmp_path, name="stored"):
    """The book's store made from the trainings kept in `folder`, as make models does."""
    from booktools.trained_models import replace_store

    replace_store(folder, tmp_path / name)
    return tmp_path / name


def test_the_books_stored_training_comes_first_in_workshop_mode_too(
    tmp_path, data, counted, monkeypatch, capsys
):
    made, own = tmp_path / "made", tmp_path / "own"
    kept.train_once(fresh_model(), *data, seed=3, folder=made, **RECIPE)
    stored = store_of(made, tmp_path)
    monkeypatch.setenv(WORKSHOP_VARIABLE, "1")  # the full training is still the book's
    model = fresh_model()
    history, _ = kept.train_once(
        model, *data, seed=3, folder=own, stored=stored, **RECIPE
    )
    assert len(counted) == 1 and not own.exists()
    assert len(history["training"]) == RECIPE["epochs"]
    assert "workshop mode" not in capsys.readouterr().out


def test_any_build_of_the_same_pytorch_release_loads_the_books_training(
    tmp_path, data, counted, monkeypatch
):
    made = tmp_path / "made"
    kept.train_once(fresh_model(), *data, seed=3, folder=made, **RECIPE)
    stored = store_of(made, tmp_path)
    release = torch.__version__.split("+")[0]
    monkeypatch.setattr(torch, "__version__", release + "+cu128")
    kept.train_once(
        fresh_model(), *data, seed=3, folder=tmp_path / "own", stored=stored, **RECIPE
    )
    assert len(counted) == 1


def test_inputs_that_differ_only_inside_a_large_array_train_again(tmp_path, counted):
    """numpy prints a large array by its edges only: the key must read every byte."""
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(size=(5000, 4)).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, 5, 5000))
    other = x.clone()
    other[2500, 2] += 1.0  # one number in the middle of the middle chunk
    for inputs in (x, other):
        kept.train_once(
            fresh_model(),
            (inputs, y),
            (x[:50], y[:50]),
            seed=3,
            folder=tmp_path,
            **RECIPE,
        )
    assert len(counted) == 2


@pytest.mark.parametrize("how", ["always_train", "environment"])
def test_a_live_training_ignores_the_store(tmp_path, data, counted, monkeypatch, how):
    made, own = tmp_path / "made", tmp_path / "own"
    kept.train_once(fresh_model(), *data, seed=3, folder=made, **RECIPE)
    stored = store_of(made, tmp_path)
    if how == "environment":
        monkeypatch.setenv(kept.USE_STORED_VARIABLE, "0")  # what `make models` sets
    live = {"always_train": True} if how == "always_train" else {}
    kept.train_once(
        fresh_model(), *data, seed=3, folder=own, stored=stored, **RECIPE, **live
    )
    assert len(counted) == 2 and len(list(own.iterdir())) == 1


def test_always_train_trains_again_what_this_computer_kept(tmp_path, data, counted):
    for _ in range(2):
        kept.train_once(
            fresh_model(), *data, seed=3, folder=tmp_path, always_train=True, **RECIPE
        )
    assert len(counted) == 2
