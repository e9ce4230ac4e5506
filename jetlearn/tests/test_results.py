"""Stored benchmark results: what a benchmark writes, a chapter reads back unchanged; a
missing or damaged file says how to get it back; nothing half-written replaces a good file."""

import json

import h5py
import numpy as np
import pandas as pd
import pytest

from jetimages.tests.synthetic import write_whole
from jetlearn import results


def scores_of(accuracies: dict) -> pd.DataFrame:
    """A benchmark table: {(seed, model): accuracy}, with a second score."""
    index = pd.MultiIndex.from_tuples(list(accuracies), names=["seed", "model"])
    values = list(accuracies.values())
    return pd.DataFrame(
        {"accuracy": values, "W vs Z": [v + 0.1 for v in values]}, index
    )


SCORES = scores_of(
    {(1, "mlp"): 0.70, (1, "pfn"): 0.75, (2, "mlp"): 0.72, (2, "pfn"): 0.78}
)
MODELS = {"mlp": {"label": "MLP", "reads": "16 features"}, "pfn": {"label": "PFN"}}


def test_results_come_back_as_they_were_stored(tmp_path):
    path = results.write_results("demo", SCORES, {"models": MODELS}, folder=tmp_path)
    assert path == tmp_path / "demo.json"
    loaded = results.load_results("demo", folder=tmp_path)
    pd.testing.assert_frame_equal(loaded, SCORES)
    assert loaded.attrs["models"] == MODELS
    assert {"date", "machine", "versions"} <= set(loaded.attrs)
    assert loaded.attrs["versions"]["torch"]
    assert list(tmp_path.iterdir()) == [path], "a temporary file was left behind"


def test_summary_and_gain_are_the_mean_spread_and_per_seed_difference():
    means = results.summary(SCORES)
    assert means.loc["pfn", ("accuracy", "mean")] == pytest.approx(0.765)
    assert means.loc["pfn", ("accuracy", "sd")] == pytest.approx(
        np.std([0.75, 0.78], ddof=1)
    )
    assert list(means.index) == ["mlp", "pfn"], "models must keep their stored order"
    difference = results.gain(SCORES, "pfn", "mlp")
    assert difference.to_dict() == pytest.approx({1: 0.05, 2: 0.06})


def test_table_with_spread_says_what_each_model_reads():
    stored = SCORES.copy()
    stored.attrs = {"models": MODELS}
    table = results.table_with_spread(stored, ["accuracy"])
    assert list(table.index) == ["MLP", "PFN"]
    assert table.loc["MLP", "reads"] == "16 features"
    assert table.loc["PFN", "accuracy"] == "0.765\u00a0±\u00a00.021"  # never broken


def test_a_mean_that_rounds_to_zero_has_no_minus_sign():
    stored = SCORES.copy()
    stored["accuracy"] = [-0.0001, -0.0002, 0.0001, -0.0001][: len(stored)]
    table = results.table_with_spread(stored, ["accuracy"])
    assert not table["accuracy"].str.startswith("-").any()


def test_a_missing_result_names_the_command_that_makes_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"python benchmarks/cnn_models\.py"):
        results.load_results("cnn_models", folder=tmp_path)


def test_a_damaged_result_says_how_to_restore_it(tmp_path):
    (tmp_path / "cnn_models.json").write_text('{"benchmark": "cnn_models", "ro')
    with pytest.raises(ValueError, match="git checkout -- benchmarks/results/"):
        results.load_results("cnn_models", folder=tmp_path)


def test_scores_without_seed_and_model_are_refused(tmp_path):
    with pytest.raises(ValueError, match="indexed by"):
        results.write_results("demo", SCORES.reset_index(), {}, folder=tmp_path)
    assert not list(tmp_path.iterdir())


def test_a_failed_write_keeps_the_old_results(tmp_path, monkeypatch):
    results.write_results("demo", SCORES, {}, folder=tmp_path)
    before = (tmp_path / "demo.json").read_text()

    def broken_dump(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(json, "dump", broken_dump)
    with pytest.raises(OSError, match="No space"):
        results.write_results("demo", scores_of({(3, "mlp"): 0.5}), {}, folder=tmp_path)
    assert (tmp_path / "demo.json").read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["demo.json"]


def test_the_committed_results_cover_the_same_seeds_and_every_model():
    """The chapters put the two benchmarks side by side: same seeds, at least five."""
    cnn = results.load_results("cnn_models")
    particles = results.load_results("particle_models")
    seeds = cnn.index.unique("seed").tolist()
    assert len(seeds) >= 5
    assert particles.index.unique("seed").tolist() == seeds
    for stored in (cnn, particles):
        models = stored.index.unique("model")
        assert set(models) == set(stored.attrs["models"])
        assert len(stored) == len(seeds) * len(models), (
            "a model is missing for some seed"
        )
        assert stored.notna().all().all()


def test_stored_results_are_readable_by_everyone_the_umask_allows(tmp_path):
    import os
    import stat

    umask = os.umask(0o022)
    try:
        path = results.write_results("demo", SCORES, {}, folder=tmp_path)
    finally:
        os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def rewritten(path, change):
    """Write the dataset file at `path` again, attributes in another order, through
    change(arrays, attrs), as regenerating it with other software would."""
    with h5py.File(path) as file:
        arrays = {name: (file[name][()], dict(file[name].attrs)) for name in file}
        attrs = dict(reversed(list(file.attrs.items())))
    change(arrays, attrs)
    path.unlink()
    with h5py.File(path, "w") as file:
        for name, (values, units) in arrays.items():
            file.create_dataset(name, data=values, compression="gzip")
            file[name].attrs.update(units)
        file.attrs.update(attrs)


def test_the_data_record_digests_what_a_benchmark_reads_of_both_files(tmp_path):
    """Both files of a dataset are named; the same arrays written again by other code
    and versions, with other compression, keep their digest, while another value, unit
    or description of the arrays changes it."""
    images = write_whole(tmp_path / "jet-images-x.h5")
    record = results.data_record(images)
    assert set(record) == {"jet-images-x.h5", "jet-constituents-x.h5"}
    assert all(len(digest) == 64 for digest in record.values())

    def newer_software(arrays, attrs):
        attrs.update(version_numpy="9.9", source_jetimages="0123456789ab")
        attrs.pop("shared_settings")  # as in the files of jetimages 0.1.0

    rewritten(images, newer_software)
    assert results.data_record(images) == record

    def other_value(arrays, attrs):
        arrays["jet_pt"][0][0] += 1

    def other_units(arrays, attrs):
        arrays["jet_pt"][1]["units"] = "TeV"

    def other_order(arrays, attrs):
        attrs["label_order"] = list(reversed(attrs["label_order"]))

    for change in (other_value, other_units, other_order):
        (tmp_path / change.__name__).mkdir()
        fresh = write_whole(tmp_path / change.__name__ / "jet-images-x.h5")
        assert results.data_record(fresh) == record
        rewritten(fresh, change)
        changed = results.data_record(fresh)["jet-images-x.h5"]
        assert changed != record["jet-images-x.h5"], change.__name__


def test_a_value_with_its_error_never_breaks_and_never_reads_minus_zero():
    assert results.with_error(-0.04, 0.2, 1, signed=True) == "+0.0\u00a0±\u00a00.2"
    assert results.with_error(-1.26, 0.31, 1, signed=True) == "-1.3\u00a0±\u00a00.3"
    assert results.with_error(0.7654, 0.0213) == "0.765\u00a0±\u00a00.021"
