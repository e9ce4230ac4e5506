"""--update: one model's new rows replace its stored rows, in the benchmark's order; the
stored run's record stays, the update's is added; other seeds or other data are refused."""

import importlib

import pandas as pd
import pytest

from jetimages.layout import REPOSITORY
from jetlearn.results import load_results, write_results

DATA = {"jet-images.h5": "digest"}


def scores_of(rows: dict) -> pd.DataFrame:
    """A results table from {(seed, model): accuracy}."""
    index = pd.MultiIndex.from_tuples(rows, names=["seed", "model"])
    return pd.DataFrame({"accuracy": list(rows.values())}, index=index)


@pytest.fixture
def over_seeds(monkeypatch, tmp_path):
    """benchmarks/over_seeds.py as the scripts import it, storing under tmp_path, with
    results of models a and b over seeds 1 and 2 stored."""
    monkeypatch.syspath_prepend(str(REPOSITORY / "benchmarks"))
    module = importlib.import_module("over_seeds")
    monkeypatch.setattr(module, "RESULTS", tmp_path)
    stored = scores_of({(1, "a"): 0.1, (1, "b"): 0.2, (2, "a"): 0.3, (2, "b"): 0.4})
    about = {
        "date": "the first run's",
        "command": "python bench.py",
        "data": DATA,
        "models": {"a": {"label": "A"}, "b": {"label": "B"}},
        "recipes": {"a": {"epochs": 1}, "b": {"epochs": 2}},
    }
    write_results("bench", stored, about, folder=tmp_path)
    return module


def test_an_update_replaces_one_models_rows_and_keeps_the_others(over_seeds, tmp_path):
    new = scores_of({(1, "c"): 0.6, (1, "b"): 0.5, (2, "c"): 0.8, (2, "b"): 0.7})
    new.attrs = {"seconds": 12, "execution": {"backend": "serial"}}
    models = {"b": {"label": "B2"}, "c": {"label": "C"}}
    about = {"data": DATA, "recipes": {"c": {"epochs": 3}}}
    over_seeds.update_results("bench", new, models, about, order=["a", "c", "b"])
    merged = load_results("bench", folder=tmp_path)
    assert list(merged.index) == [
        (seed, model) for seed in (1, 2) for model in ("a", "c", "b")
    ]
    assert merged["accuracy"].tolist() == [0.1, 0.6, 0.5, 0.3, 0.8, 0.7]
    assert merged.attrs["models"]["b"] == {"label": "B2"}
    assert merged.attrs["recipes"] == {
        "a": {"epochs": 1},
        "b": {"epochs": 2},
        "c": {"epochs": 3},
    }
    assert merged.attrs["date"] == "the first run's"
    assert merged.attrs["command"] == "python bench.py"
    (update,) = merged.attrs["updates"]
    assert update["models"] == ["b", "c"] and update["seconds"] == 12
    assert (
        update["execution"] == {"backend": "serial"}
        and update["date"] != "the first run's"
    )


@pytest.mark.parametrize(
    ("rows", "data", "refusal"),
    [
        ({(1, "b"): 0.5, (3, "b"): 0.7}, DATA, r"for the seeds \[1, 2\]"),
        ({(1, "b"): 0.5, (2, "b"): 0.7}, {"jet-images.h5": "other"}, "other data"),
    ],
    ids=["other seeds", "other data"],
)
def test_an_update_of_other_seeds_or_data_is_refused(
    over_seeds, tmp_path, rows, data, refusal
):
    with pytest.raises(SystemExit, match=refusal):
        over_seeds.update_results(
            "bench", scores_of(rows), {"b": {"label": "B"}}, {"data": data}
        )
    assert load_results("bench", folder=tmp_path).loc[(1, "b"), "accuracy"] == 0.2
