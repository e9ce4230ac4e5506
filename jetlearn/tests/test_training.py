"""The shared training utilities, on tiny synthetic problems (a few seconds in all)."""

import numpy as np
import pytest
import torch
from torch import nn

from jetlearn.training import (
    JETS_AT_ONCE,
    LOSS_TERM_JETS,
    MLP_RECIPE,
    WORKSHOP_VARIABLE,
    FeatureMLP,
    auc_per_class,
    count_parameters,
    pair_auc,
    predict_probabilities,
    split_rows,
    train,
)


def balanced_labels(per_class=200, n_classes=5, seed=0):
    labels = np.repeat(np.arange(n_classes), per_class)
    return np.random.default_rng(seed).permutation(labels)


def test_split_is_disjoint_complete_and_80_10_10():
    labels = balanced_labels()
    train_rows, val_rows, test_rows = split_rows(labels, seed=2026)
    assert (len(train_rows), len(val_rows), len(test_rows)) == (800, 100, 100)
    together = np.concatenate([train_rows, val_rows, test_rows])
    np.testing.assert_array_equal(np.sort(together), np.arange(len(labels)))


def test_split_is_stratified():
    labels = balanced_labels()
    for rows, size in zip(split_rows(labels, seed=1), (800, 100, 100)):
        np.testing.assert_array_equal(
            np.bincount(labels[rows], minlength=5), [size // 5] * 5
        )


def test_split_depends_on_the_seed_only():
    labels = balanced_labels()
    first, again, other = (split_rows(labels, seed) for seed in (7, 7, 8))
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[2], other[2])


def blobs(n=600, seed=0):
    """Three well separated Gaussian blobs in 2D: an easy three-class problem."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centres = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
    x = centres[y] + rng.normal(0.0, 0.5, (n, 2))
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y)


def small_network():
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))


def train_small(model, train_data, val_data, **changes):
    """train() with the small recipe that these tests share, apart from `changes`."""
    recipe = {"epochs": 10, "batch_size": 64, "learning_rate": 1e-2, "seed": 0}
    return train(model, train_data, val_data, **recipe | changes)


def test_train_learns_an_easy_problem():
    x, y = blobs()
    x_val, y_val = blobs(seed=1)
    torch.manual_seed(0)
    model = small_network()
    history = train_small(model, (x, y), (x_val, y_val))
    assert len(history["training"]) == len(history["validation"]) == 10
    assert history["validation"][-1] < history["validation"][0]
    accuracy = np.mean(
        predict_probabilities(model, x_val).argmax(axis=1) == y_val.numpy()
    )
    assert accuracy > 0.95


def test_train_restores_the_best_validation_weights():
    # the validation labels are permuted, so learning the training labels makes the
    # validation loss worse: the best validation epoch is an early one, not the last
    x, y = blobs()
    x_val, y_val = blobs(seed=1)
    y_val = (y_val + 1) % 3
    torch.manual_seed(0)
    model = small_network()
    history = train_small(model, (x, y), (x_val, y_val), epochs=8)
    best = int(np.argmin(history["validation"]))
    assert best < len(history["validation"]) - 1, (
        "the test needs a validation loss that rises"
    )
    with torch.no_grad():
        kept = nn.CrossEntropyLoss()(model(x_val), y_val).item()
    assert kept == pytest.approx(history["validation"][best], rel=1e-6)


def test_scores_in_parts_are_those_of_one_pass():
    # the validation loss is summed over LOSS_TERM_JETS jets, each term from passes of
    # JETS_AT_ONCE jets: the numbers must be exactly those of one pass per term
    x_val, y_val = blobs(n=LOSS_TERM_JETS + 3 * JETS_AT_ONCE // 2, seed=1)
    torch.manual_seed(0)
    model = small_network()
    history = train_small(model, blobs(), (x_val, y_val), epochs=1)
    with torch.no_grad():
        terms = [
            nn.CrossEntropyLoss()(model(part), y_part).item() * len(y_part)
            for part, y_part in zip(
                x_val.split(LOSS_TERM_JETS), y_val.split(LOSS_TERM_JETS)
            )
        ]
        one_pass = torch.softmax(model(x_val), dim=1).numpy()
    assert history["validation"] == [sum(terms) / len(y_val)]
    np.testing.assert_array_equal(predict_probabilities(model, x_val), one_pass)


def test_train_is_reproducible_with_the_same_seeds():
    x, y = blobs()
    x_val, y_val = blobs(seed=1)
    histories = []
    for _ in range(2):
        torch.manual_seed(3)
        histories.append(
            train_small(
                small_network(), (x, y), (x_val, y_val), epochs=3, batch_size=50, seed=3
            )
        )
    assert histories[0] == histories[1]


def test_the_batch_transform_sees_every_training_batch_and_no_validation_input():
    x, y = blobs(n=200)
    x_val, y_val = blobs(n=50, seed=1)
    seen = []

    def record(inputs):
        seen.append(len(inputs))
        return inputs

    train_small(
        small_network(), (x, y), (x_val, y_val), epochs=2, batch_transform=record
    )
    assert seen == [64, 64, 64, 8] * 2


def test_the_model_learns_from_the_transformed_batches():
    # the training inputs are mirrored (x -> -x) and only the transform undoes it: a model
    # that learns the problem can only have learned it from the transformed batches
    x, y = blobs()
    x_val, y_val = blobs(seed=1)
    torch.manual_seed(0)
    model = small_network()
    train_small(model, (-x, y), (x_val, y_val), batch_transform=torch.negative)
    accuracy = np.mean(
        predict_probabilities(model, x_val).argmax(axis=1) == y_val.numpy()
    )
    assert accuracy > 0.95


@pytest.mark.parametrize(
    ("setting", "epochs", "run"),
    [("1", 10, 5), ("1", 5, 3), ("1", 1, 1), ("0", 10, 10), ("", 10, 10)],
)
def test_workshop_mode_runs_half_the_epochs_and_says_so(
    monkeypatch, capsys, setting, epochs, run
):
    monkeypatch.setenv(WORKSHOP_VARIABLE, setting)
    x, y = blobs(n=100)
    history = train_small(
        small_network(), (x, y), blobs(n=20, seed=1), epochs=epochs, progress_bar=False
    )
    assert len(history["training"]) == len(history["validation"]) == run
    announced = capsys.readouterr().out
    if run == epochs:
        assert "workshop mode" not in announced
    else:
        assert announced == (
            f"workshop mode: {run} of {epochs} epochs; numbers will differ from the "
            "book\n"
        )


def test_probabilities_are_normalized_and_the_model_left_in_eval_mode():
    model = nn.Sequential(nn.Linear(4, 5), nn.Dropout(0.5))
    probabilities = predict_probabilities(model, torch.randn(30, 4))
    assert probabilities.shape == (30, 5) and isinstance(probabilities, np.ndarray)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    assert not model.training


def test_auc_of_perfect_and_of_reversed_scores():
    true = np.array([0, 0, 1, 1, 2, 2])
    perfect = np.eye(3)[true]
    np.testing.assert_array_equal(auc_per_class(perfect, true), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(auc_per_class(1 - perfect, true), [0.0, 0.0, 0.0])


def test_pair_auc_looks_only_at_the_two_classes():
    true = np.array([0, 0, 1, 1, 2, 2])
    probabilities = np.array(
        [
            [0.6, 0.1, 0.3],
            [0.5, 0.4, 0.1],
            [0.2, 0.7, 0.1],
            [0.3, 0.6, 0.1],
            [0.9, 0.0, 0.1],
            [0.0, 0.9, 0.1],
        ]
    )
    # classes 0 and 1 are perfectly separated; the class-2 jets, which are not, are ignored
    assert pair_auc(probabilities, true, 0, 1) == 1.0
    assert pair_auc(probabilities, true, 1, 0) == 1.0


def test_feature_mlp_shapes_and_size():
    model = FeatureMLP()
    assert model(torch.randn(7, 16)).shape == (7, 5)
    # (16 + 1) * 32 + 2 * (32 + 1) * 32 + (32 + 1) * 5
    assert count_parameters(model) == 2821
    assert set(MLP_RECIPE) == {"epochs", "batch_size", "learning_rate"}


def test_standardized_uses_the_training_rows_only():
    from jetlearn.training import standardized

    values = np.array([[1.0, 10.0], [3.0, 30.0], [100.0, -50.0]])
    scaled = standardized(values, np.array([0, 1]))
    assert scaled.dtype == torch.float32
    np.testing.assert_allclose(scaled[:2].numpy(), [[-1, -1], [1, 1]])
    np.testing.assert_allclose(scaled[2].numpy(), [(100 - 2) / 1, (-50 - 20) / 10])


def test_jet_pt_and_mass_are_the_logarithms_in_gev():
    from types import SimpleNamespace

    from jetlearn.training import JET_NUMBERS, jet_pt_and_mass

    jets = SimpleNamespace(
        jet_pt=np.array([1000.0, 800.0], dtype=np.float32),
        jet_mass=np.array([80.0, 173.0], dtype=np.float32),
    )
    numbers = jet_pt_and_mass(jets)
    assert numbers.shape == (2, len(JET_NUMBERS))
    np.testing.assert_allclose(np.exp(numbers), [[1000, 80], [800, 173]], rtol=1e-6)
