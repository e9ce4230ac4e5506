"""merge takes exactly the shards 0 .. K-1 of one dataset, and the loader refuses files that are not
one row per jet, each jet once: every way of getting a wrong dataset with exit status 0 before."""

import h5py
import numpy as np
import pytest

from jetimages import dataset, schema
from jetimages.__main__ import main
from jetimages.generate import merge

from .synthetic import write_shard, write_shards, write_whole


def test_a_complete_set_merges_into_every_jet_once(tmp_path):
    merged = merge(
        write_shards(tmp_path, jets_per_class=3, shards=3), tmp_path / "jet-images.h5"
    )
    jets = dataset.load_dataset(merged, constituents=True)
    assert np.array_equal(np.bincount(jets.labels), [3] * 5)
    assert (
        len(
            {
                (int(label), int(row))
                for label, row in zip(jets.labels, jets.row_in_block)
            }
        )
        == 15
    )


def test_a_repeated_shard_is_named(tmp_path):
    shards = write_shards(tmp_path, jets_per_class=3, shards=3)
    with pytest.raises(
        ValueError, match=r"shard-1.h5 and .*shard-1.h5 are both shard 1 of 3"
    ):
        merge([*shards, shards[1]], tmp_path / "all.h5")
    assert not (tmp_path / "all.h5").exists()


def test_missing_shards_are_listed(tmp_path):
    shards = write_shards(tmp_path, jets_per_class=3, shards=4)
    with pytest.raises(ValueError, match=r"shards \[1, 3\] of 4 are missing"):
        merge([shards[2], shards[0]], tmp_path / "all.h5")


def test_a_copy_of_a_shard_under_another_name_is_named(tmp_path):
    shards = write_shards(tmp_path, jets_per_class=3, shards=2)
    copy = tmp_path / "copy.h5"
    copy.write_bytes(shards[0].read_bytes())
    with pytest.raises(
        ValueError, match=r"shard-0.h5 and .*copy.h5 are both shard 0 of 2"
    ):
        merge([copy, *shards], tmp_path / "all.h5")


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_shards_cut_for_different_totals_are_refused(tmp_path, order):
    """Shard 0 of 2 and shard 1 of 3 hold t twice and w not at all, whatever the order."""
    files = [
        write_shard(tmp_path / "a.h5", 3, 0, 2),
        write_shard(tmp_path / "b.h5", 3, 1, 3),
    ]
    with pytest.raises(
        ValueError, match=r"is not a shard of the same dataset as .*shards"
    ):
        merge([files[k] for k in order], tmp_path / "all.h5")


@pytest.mark.parametrize(
    ("attribute", "value"),
    [("seed", 2), ("jets_per_class", 4), ("version_numpy", "0.1")],
)
def test_shards_of_another_dataset_or_software_are_named(tmp_path, attribute, value):
    first = write_shard(tmp_path / "first.h5", 3, 0, 2)
    other = write_shard(tmp_path / "other.h5", 3, 1, 2, **{attribute: value})
    with pytest.raises(
        ValueError,
        match=rf"other.h5 is not a shard of the same dataset as .*first.h5 \({attribute} ",
    ):
        merge([first, other], tmp_path / "all.h5")


def test_shards_made_by_other_code_are_named(tmp_path):
    first = write_shard(tmp_path / "first.h5", 3, 0, 2)
    other = write_shard(
        tmp_path / "other.h5", 3, 1, 2, **{schema.SOURCE_ATTRIBUTE: "0123456789ab"}
    )
    here = schema.source_digest()
    with pytest.raises(
        ValueError,
        match=rf"other.h5 is not a shard of the same dataset as .*first.h5 \(the data "
        rf"tool's code \(source_jetimages\) {here} there, 0123456789ab here\)",
    ):
        merge([first, other], tmp_path / "all.h5")
    old = write_shard(tmp_path / "old.h5", 3, 1, 2)
    with h5py.File(old, "r+") as file:
        del file.attrs[schema.SOURCE_ATTRIBUTE]
    with pytest.raises(
        ValueError, match=rf"\(the data tool's code .*{here} there, not recorded here"
    ):
        merge([first, old], tmp_path / "all.h5")


@pytest.mark.parametrize("digest", ["0123456789ab", None])
def test_the_merged_file_records_the_code_of_its_shards(tmp_path, digest):
    """The shards' code made the jets; shards from before the digest record none, and
    so does their merged file."""
    shards = write_shards(tmp_path, jets_per_class=3, shards=2)
    for shard in shards:
        with h5py.File(shard, "r+") as file:
            del file.attrs[schema.SOURCE_ATTRIBUTE]
            if digest:
                file.attrs[schema.SOURCE_ATTRIBUTE] = digest
    merged = merge(shards, tmp_path / "jet-images.h5")
    for path in (merged, schema.constituents_path(merged)):
        with h5py.File(path) as file:
            assert file.attrs.get(schema.SOURCE_ATTRIBUTE) == digest


def test_a_shard_holding_other_blocks_than_its_number_says_is_named(tmp_path):
    first = write_shard(tmp_path / "first.h5", 3, 0, 2)
    relabelled = write_shard(tmp_path / "relabelled.h5", 3, 1, 2)
    with h5py.File(
        first, "r+"
    ) as file:  # shard 0's blocks, claiming to be shard 1 (and vice versa)
        file.attrs["shard"] = 1
    with h5py.File(relabelled, "r+") as file:
        file.attrs["shard"] = 0
    with pytest.raises(
        ValueError, match=r"first.h5 does not hold the blocks its shard number says"
    ):
        merge([first, relabelled], tmp_path / "all.h5")


def test_a_whole_dataset_is_not_a_shard(tmp_path):
    whole = write_whole(tmp_path / "jet-images.h5")
    with pytest.raises(ValueError, match=r"jet-images.h5 is not a shard"):
        merge([whole], tmp_path / "all.h5")


@pytest.mark.parametrize("content", [b"", b"not HDF5 at all" * 50, "truncated"])
def test_unreadable_shard_gives_one_line_naming_it(tmp_path, capsys, content):
    shards = write_shards(tmp_path, jets_per_class=3, shards=2)
    bad = shards[1]
    bad.write_bytes(
        bad.read_bytes()[: bad.stat().st_size // 2]
        if content == "truncated"
        else content
    )
    code = main(["merge", *map(str, shards), "--out", str(tmp_path / "all.h5")])
    error = capsys.readouterr().err
    assert code == 3  # a damaged input, not a usage error
    assert error.startswith(f"error: {bad}") and error.count("\n") == 1, error


@pytest.mark.parametrize("option", ["--out", "--constituents-out"])
def test_an_output_that_is_an_input_is_refused_and_the_input_kept(
    tmp_path, capsys, option
):
    shards = write_shards(tmp_path, jets_per_class=3, shards=2)
    before = shards[0].read_bytes()
    outputs = {
        "--out": str(tmp_path / "all.h5"),
        "--constituents-out": str(tmp_path / "particles.h5"),
    }
    outputs[option] = str(shards[0])
    code = main(
        ["merge", *map(str, shards), *[x for pair in outputs.items() for x in pair]]
    )
    assert code == 2
    assert "would destroy an input" in capsys.readouterr().err
    assert shards[0].read_bytes() == before


# --- the loader: every jet once, valid labels, arrays of one length ---


def rewrite(path, name, values):
    with h5py.File(path, "r+") as file:
        del file[name]
        file[name] = values


@pytest.fixture
def whole(tmp_path):
    return write_whole(tmp_path / "jet-images.h5")


def test_a_repeated_jet_is_refused(whole):
    with h5py.File(whole, "r") as file:
        rows = file["row_in_block"][:]
        labels = file["labels"][:]
    first, second = np.flatnonzero(labels == labels[0])[:2]
    rows[second] = rows[first]
    rewrite(whole, "row_in_block", rows)
    with pytest.raises(
        ValueError,
        match=r"1 rows repeat a jet already in the file \(the first: class g, block 0",
    ):
        dataset.load_dataset(whole)


def test_the_same_row_number_in_two_classes_is_two_jets(whole):
    """(label, block, row_in_block) names a jet: block 0, row 0 exists once in every class."""
    assert len(dataset.load_dataset(whole)) == 15


def test_labels_beyond_the_classes_are_refused(whole):
    with h5py.File(whole, "r") as file:
        labels = file["labels"][:]
    labels[3] = 5
    rewrite(whole, "labels", labels)
    with pytest.raises(
        ValueError, match=r"labels go up to 5, but only 0 to 4 \(g, q, t, w, z\) exist"
    ):
        dataset.load_dataset(whole)


def test_labels_of_another_type_are_refused(whole):
    with h5py.File(whole, "r") as file:
        labels = file["labels"][:].astype(np.int64)
    rewrite(whole, "labels", labels)
    with pytest.raises(
        ValueError,
        match=r"'labels' is stored as int64, but a jet dataset stores it as uint8",
    ):
        dataset.load_dataset(whole)


@pytest.mark.parametrize("name", ["jet_pt", "labels"])
def test_arrays_of_different_lengths_are_refused(whole, name):
    with h5py.File(whole, "r") as file:
        shorter = file[name][:-1]
    rewrite(whole, name, shorter)
    with pytest.raises(ValueError, match=rf"different numbers of rows \(.*{name} 14"):
        dataset.load_dataset(whole)
