"""benchmarks/learning_curves.py on 4 000 jets of random numbers (four blocks of 1 000): the
split by block, the epochs of small trainings, the points that each seed trains, what is
stored, and a second run that loads the kept trainings instead of training again."""

import importlib
import json

import pytest

from jetimages import schema
from jetimages.generate import block_plan, shuffle_rows
from jetimages.layout import REPOSITORY
from jetimages.safe_output import write_dataset
from jetimages.tests.synthetic import arrays_for


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    path = tmp_path_factory.mktemp("large") / "jet-images.h5"
    arrays = shuffle_rows(arrays_for(block_plan(800)), 1)
    # 8 particles and 4 rows of pixels a jet, the rest zeros: quick to compress
    arrays["particles"][:, 8:] = 0
    arrays["images"][:, 4:] = arrays["channels"][:, :, 4:] = 0
    return write_dataset(
        path, arrays, schema.file_attributes(1, 800), schema.constituents_path(path)
    )


def imported(monkeypatch):
    """learning_curves as its script imports it."""
    monkeypatch.syspath_prepend(str(REPOSITORY / "benchmarks"))
    return importlib.import_module("learning_curves")


@pytest.fixture
def curves(monkeypatch, tmp_path):
    """learning_curves with one test and one validation block, one epoch per training,
    and its results and trainings under tmp_path."""
    module = imported(monkeypatch)
    over_seeds = importlib.import_module("over_seeds")
    monkeypatch.delenv(over_seeds.RETRAIN_VARIABLE, raising=False)
    monkeypatch.setattr(over_seeds, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(over_seeds, "TRAINED", tmp_path / "trained")
    for name in ("TEST_JETS", "VALIDATION_JETS", "STATISTICS_JETS"):
        monkeypatch.setattr(module, name, 1000)
    monkeypatch.setattr(module, "epochs_for", lambda epochs, jets: 1)
    return module


def test_small_trainings_get_more_epochs_up_to_four_times_the_recipes(monkeypatch):
    epochs_for = imported(monkeypatch).epochs_for
    sizes = (5_000, 10_000, 20_000, 280_000)
    assert [epochs_for(12, n) for n in sizes] == [48, 24, 12, 12]
    assert epochs_for(10, 8_000) == 25 and epochs_for(20, 1_000) == 80


def test_every_seed_has_the_same_test_and_validation_blocks(monkeypatch):
    """On the large dataset's shape (400 blocks), without its file."""
    curves = imported(monkeypatch)
    monkeypatch.setattr(curves.streaming, "block_rows", lambda path: (1000, 400))
    (test_1, val_1, order_1), (test_2, val_2, order_2) = (
        curves.split_blocks("large.h5", seed) for seed in (1, 2)
    )
    assert test_1 == test_2 == list(range(40))
    assert val_1 == val_2 == list(range(40, 50))
    assert sorted(order_1) == sorted(order_2) == list(range(50, 400))
    assert order_1 != order_2


def without_memory(row):
    return {key: value for key, value in row.items() if key != "peak memory (GB)"}


def test_a_run_stores_each_point_and_a_second_run_loads_its_trainings(
    curves, data, tmp_path, capsys
):
    arguments = ["--data", str(data), "--sizes", "1000", "2000", "--seeds", "1", "2"]
    arguments += ["--repeat-up-to", "1000"]
    assert curves.main(arguments) == 0
    stored = json.loads((tmp_path / "results" / "learning_curves.json").read_text())
    points = [(row["seed"], row["model"]) for row in stored["rows"]]
    models = list(curves.MODELS)
    assert points == [
        *[(1, f"{model} {size}") for size in (2000, 1000) for model in models],
        *[(2, f"{model} 1000") for model in models],
    ]
    assert {row["training jets"] for row in stored["rows"]} == {1000, 2000}
    assert all(0 < row["peak memory (GB)"] < 4 for row in stored["rows"])
    assert stored["split"] == {"test jets": 1000, "validation jets": 1000}
    assert set(stored["data files"]) == {"jet-images.h5", "jet-constituents.h5"}
    assert stored["models"]["pfn 2000"]["label"] == "PFN"

    assert curves.main(arguments) == 0
    again = json.loads((tmp_path / "results" / "learning_curves.json").read_text())
    # the trainings were loaded: the same scores and seconds, though another peak memory
    assert [without_memory(row) for row in again["rows"]] == [
        without_memory(row) for row in stored["rows"]
    ]
    assert len(list((tmp_path / "trained" / "learning-curves").glob("*.pt"))) == 15


def test_a_size_the_dataset_cannot_give_is_a_clear_error(curves, data):
    with pytest.raises(SystemExit, match="multiple of 1000 jets, at most 2000"):
        curves.one_point(str(data), "pfn", 3000, seed=1)
    with pytest.raises(KeyError, match="no model 'bdt'"):
        curves.model_recipe("bdt")
