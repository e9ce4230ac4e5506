"""Writing and loading the dataset file, and clear errors for every kind of bad input."""

import h5py
import numpy as np
import pytest

from jetimages import dataset, physics, schema
from jetimages.__main__ import main
from jetimages.generate import block_plan, generate, merge, shard_tasks
from jetimages.safe_output import write_dataset


def small_arrays():
    """Random arrays of every name and per-jet shape that a dataset holds, for 10
    jets."""
    n = 10
    rng = np.random.default_rng(0)
    arrays = {
        name: rng.random((n, *spec.shape)) * 100 for name, spec in schema.ARRAYS.items()
    }
    arrays.update(
        labels=np.arange(n) % 5, block=np.zeros(n, dtype=int), row_in_block=np.arange(n)
    )
    # within what simulated jets can hold (dataset.VALUE_RANGES)
    arrays["particles"] /= 100
    arrays["jet_eta"] = arrays["jet_eta"] / 25 - 2
    return arrays


@pytest.fixture
def written(tmp_path):
    path = tmp_path / "jet-images.h5"
    arrays = small_arrays()
    attrs = schema.file_attributes(seed=1, jets_per_class=2)
    write_dataset(path, arrays, attrs, schema.constituents_path(path))
    return path, arrays


def test_round_trip_gives_every_array_and_name(written):
    path, arrays = written
    jets = dataset.load_dataset(path, constituents=True)
    assert jets.images.dtype == np.float32 and jets.images.shape == (10, 20, 20)
    np.testing.assert_allclose(
        jets.images, arrays["images"], rtol=2**-12
    )  # 12 mantissa bits
    for name in ("channels", "features", "jet_pt", "jet_mass", "jet_eta", "particles"):
        np.testing.assert_allclose(getattr(jets, name), arrays[name], rtol=2**-12)
    np.testing.assert_array_equal(jets.labels, arrays["labels"])
    assert jets.label_order == ["g", "q", "t", "w", "z"]
    assert jets.feature_names[0] == "j_zlogz" and len(jets.feature_names) == 16
    assert jets.channel_names == ["particle_count", "charged_pt_percent"]
    assert jets.particle_feature_names == ["pt_share", "x", "y", "charge", "type"]
    assert jets.attrs["version_pythia8mc"] and jets.attrs["version_numpy"]


def test_constituents_live_in_their_own_file_and_load_only_when_asked(written):
    path, _ = written
    assert schema.constituents_path(path).name == "jet-constituents.h5"
    assert (
        schema.constituents_path(path.with_name("mine.h5")).name
        == "mine-constituents.h5"
    )
    with h5py.File(path) as file:
        assert "particles" not in file and "images" in file
        assert file["jet_pt"].attrs["units"] == "GeV"
    with h5py.File(schema.constituents_path(path)) as file:
        assert "particles" in file and "images" not in file
    assert dataset.load_dataset(path).particles is None


def test_rounding_keeps_the_stated_mantissa_bits():
    values = np.array(
        [1.0, 1.0 + 2**-13, 1.0 + 3 * 2**-13, -3.14159265, 0.0, 123.456],
        dtype=np.float32,
    )
    rounded = schema.round_mantissa(values, 12)
    assert rounded[0] == 1.0 and rounded[4] == 0.0
    assert (
        rounded[1] == 1.0 + 2**-12 and rounded[2] == 1.0 + 2**-11
    )  # ties and above round up
    np.testing.assert_allclose(rounded, values, rtol=2**-13)
    assert np.all(
        schema.round_mantissa(rounded, 12) == rounded
    )  # rounding twice changes nothing


def test_constituents_of_another_dataset_are_refused(written, tmp_path):
    path, arrays = written
    other = tmp_path / "other.h5"
    shuffled = {name: array[::-1] for name, array in arrays.items()}
    write_dataset(
        other,
        shuffled,
        schema.file_attributes(seed=1, jets_per_class=2),
        tmp_path / "o-c.h5",
    )
    with pytest.raises(ValueError, match="does not hold the same jets"):
        dataset.load_dataset(path, constituents=tmp_path / "o-c.h5")


def test_the_extra_channels_can_be_left_out(written):
    path, arrays = written
    jets = dataset.load_dataset(path, channels=False)
    assert jets.channels is None
    np.testing.assert_array_equal(jets.labels, arrays["labels"])


def test_a_selection_holds_those_jets_only(written):
    path, _ = written
    jets = dataset.load_dataset(path, constituents=True, channels=False)
    rows = np.array([7, 2, 5])
    some = jets.select(rows)
    assert len(some) == 3 and some.channels is None and some.attrs is jets.attrs
    for name in ("images", "labels", "features", "jet_pt", "particles", "n_particles"):
        np.testing.assert_array_equal(getattr(some, name), getattr(jets, name)[rows])
    assert not np.shares_memory(some.particles, jets.particles)  # a copy, not a view


def test_constituents_of_another_simulation_are_refused(written, tmp_path):
    path, arrays = written
    vincia = tmp_path / "vincia.h5"
    attrs = schema.file_attributes(seed=1, jets_per_class=2, simulation="vincia")
    write_dataset(vincia, arrays, attrs, tmp_path / "vincia-c.h5")
    assert dataset.load_dataset(vincia).simulation == "vincia"
    with pytest.raises(ValueError, match="of the simulation 'vincia'.*of 'nominal'"):
        dataset.load_dataset(path, constituents=tmp_path / "vincia-c.h5")


def test_a_file_of_the_old_schema_says_how_to_regenerate(tmp_path):
    path = tmp_path / "old.h5"
    with h5py.File(path, "w") as file:
        file["images"] = np.zeros((3, 20, 20), dtype=np.float16)
        file.attrs["label_order"] = list(physics.LABELS)
        file.attrs["schema_version"] = 1
    with pytest.raises(
        ValueError,
        match="schema version 1.*reads version 2.*python -m jetimages generate",
    ):
        dataset.load_dataset(path)


def test_missing_file_says_how_to_get_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m jetimages generate"):
        dataset.load_dataset(tmp_path / "nowhere.h5")


def test_corrupt_file_is_named_as_such(tmp_path):
    path = tmp_path / "jets.h5"
    path.write_bytes(b"this is not HDF5" * 100)
    with pytest.raises(ValueError, match="not a readable HDF5 file"):
        dataset.load_dataset(path)


def test_truncated_file_is_named_as_such(written):
    path, _ = written
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ValueError, match="HDF5|damaged"):
        dataset.load_dataset(path)


def test_hdf5_file_of_another_kind_is_refused(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as file:
        file["something"] = np.zeros(3)
    with pytest.raises(ValueError, match="not a jet dataset"):
        dataset.load_dataset(path)


def test_images_of_the_wrong_shape_are_refused(tmp_path):
    arrays = small_arrays()
    arrays["images"] = np.zeros((10, 16, 16), dtype=np.float32)
    path = tmp_path / "jets.h5"
    with h5py.File(path, "w") as file:
        for name, array in arrays.items():
            file[name] = array
        file.attrs["label_order"] = list(physics.LABELS)
        file.attrs["schema_version"] = schema.SCHEMA_VERSION
    with pytest.raises(
        ValueError, match=r"'images' has shape \(10, 16, 16\), expected \(10, 20, 20\)"
    ):
        dataset.load_dataset(path)


def test_failed_write_keeps_the_old_file(written):
    path, _ = written
    before = path.read_bytes()
    others_before = schema.constituents_path(path).read_bytes()
    broken = small_arrays()
    del broken["particles"]  # the second file fails after the first is written
    with pytest.raises(KeyError):
        write_dataset(
            path,
            broken,
            schema.file_attributes(seed=1, jets_per_class=2),
            schema.constituents_path(path),
        )
    assert path.read_bytes() == before
    assert schema.constituents_path(path).read_bytes() == others_before
    # no temporary file left behind
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "jet-constituents.h5",
        "jet-images.h5",
    ]


def test_writing_into_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_dataset(tmp_path / "no" / "jets.h5", small_arrays(), {})


def test_unknown_jet_class_lists_the_known_ones():
    with pytest.raises(
        ValueError, match="unknown jet class 'b': choose one of g, q, t, w, z"
    ):
        physics.jet_class("b")


@pytest.mark.parametrize("jets_per_class", [0, -5])
def test_zero_jets_is_refused(jets_per_class, tmp_path):
    with pytest.raises(ValueError, match="positive"):
        generate(tmp_path / "jets.h5", jets_per_class=jets_per_class, seed=1)


def test_command_line_reports_bad_input_in_one_line(tmp_path, capsys):
    code = main(
        [
            "generate",
            "--jets-per-class",
            "10",
            "--out",
            str(tmp_path / "missing" / "x.h5"),
        ]
    )
    assert code == 2
    assert "does not exist" in capsys.readouterr().err


def test_shards_split_the_blocks_disjointly_and_completely():
    plan = block_plan(1_200)
    shards = [shard_tasks(1_200, k, 4) for k in range(4)]
    assert sorted(sum(shards, [])) == sorted(plan)
    assert len(plan) == 5 * 3  # 500 + 500 + 200 jets per class
    with pytest.raises(ValueError, match="shard must be between 0 and 3"):
        shard_tasks(1_200, 4, 4)


def test_merge_refuses_missing_shards(tmp_path):
    arrays = small_arrays()
    attrs = {
        **schema.file_attributes(seed=1, jets_per_class=2),
        "shard": 0,
        "shards": 2,
    }
    write_dataset(tmp_path / "s0.h5", arrays, attrs)
    with pytest.raises(ValueError, match=r"shards \[1\] of 2 are missing"):
        merge([tmp_path / "s0.h5"], tmp_path / "all.h5")
    assert not (tmp_path / "all.h5").exists()
