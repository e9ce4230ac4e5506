"""Batches streamed from a dataset's HDF5 files (jetlearn.streaming), on a dataset of 2 500
jets of random numbers: three blocks of the files' 1 000-row chunks, the last one short."""

import shutil

import h5py
import numpy as np
import pytest
import torch
from torch import nn

from jetimages import schema
from jetimages.errors import DamagedInputError, UsageError
from jetimages.generate import block_plan, shuffle_rows
from jetimages.safe_output import write_dataset
from jetimages.tests.synthetic import arrays_for
from jetlearn.streaming import BlockStream, block_rows, read_blocks, train_streaming


def dataset(folder, seed=1):
    path = folder / "jet-images.h5"
    arrays = shuffle_rows(arrays_for(block_plan(500), seed), seed)
    # 8 particles and 4 rows of pixels a jet, the rest zeros: quick to compress
    arrays["particles"][:, 8:] = 0
    arrays["images"][:, 4:] = arrays["channels"][:, :, 4:] = 0
    attrs = schema.file_attributes(seed, 500)
    return write_dataset(path, arrays, attrs, schema.constituents_path(path))


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return dataset(tmp_path_factory.mktemp("streaming"))


def jet_pt(arrays):
    """A make_input that shows which jets a batch holds."""
    return torch.from_numpy(arrays["jet_pt"].astype(np.float64))


def test_blocks_are_the_files_chunks(data):
    assert block_rows(data) == (1000, 3)


def test_read_blocks_gives_those_rows_of_both_files_in_order(data):
    arrays = read_blocks(data, ["jet_pt", "particles"], [2, 0])
    with h5py.File(data) as images, h5py.File(schema.constituents_path(data)) as other:
        assert np.array_equal(
            arrays["jet_pt"],
            np.concatenate([images["jet_pt"][2000:], images["jet_pt"][:1000]]),
        )
        assert np.array_equal(arrays["particles"][:500], other["particles"][2000:])
        assert np.array_equal(arrays["labels"][500:], images["labels"][:1000])
    assert len(arrays["particles"]) == 1500


def test_an_epoch_streams_every_jet_of_its_blocks_once_in_full_batches(data):
    stream = BlockStream(
        data, [0, 2], jet_pt, ["jet_pt"], batch_size=256, seed=3, blocks_per_read=1
    )
    batches = list(stream)
    sizes = [len(y) for _, y in batches]
    assert sizes[:-1] == [256] * (len(sizes) - 1) and sum(sizes) == 1500
    streamed = torch.cat([x for x, _ in batches]).numpy()
    expected = read_blocks(data, ["jet_pt"], [0, 2])["jet_pt"]
    assert np.array_equal(np.sort(streamed), np.sort(expected.astype(np.float64)))
    # each label travels with its own jet
    pairs = {
        float(x): int(y)
        for batch_x, batch_y in batches
        for x, y in zip(batch_x, batch_y)
    }
    everything = read_blocks(data, ["jet_pt"], [0, 2])
    assert all(
        pairs[float(x)] == y for x, y in zip(everything["jet_pt"], everything["labels"])
    )


def test_the_same_seed_and_epoch_give_the_same_batches_and_a_new_epoch_new_ones(data):
    def first_batches(seed, epoch):
        stream = BlockStream(data, [0, 1, 2], jet_pt, ["jet_pt"], 100, seed)
        stream.set_epoch(epoch)
        return torch.cat([x for x, _ in list(stream)[:5]])

    assert torch.equal(first_batches(1, 0), first_batches(1, 0))
    assert not torch.equal(first_batches(1, 0), first_batches(1, 1))
    assert not torch.equal(first_batches(1, 0), first_batches(2, 0))


def test_rows_are_shuffled_across_the_blocks_of_one_read(data):
    stream = BlockStream(
        data, [0, 1], jet_pt, ["jet_pt"], 2000, seed=0, blocks_per_read=2
    )
    first = next(iter(stream))[0].numpy()
    block_0 = set(read_blocks(data, ["jet_pt"], [0])["jet_pt"].astype(np.float64))
    share = np.mean([value in block_0 for value in first])
    assert 0.4 < share < 0.6


def test_train_streaming_learns_and_keeps_its_best_validation_epoch(data):
    """A label that the first five features show: the network must learn it."""

    def clear_input(arrays):
        features = arrays["features"].astype(np.float32)
        features[:, :5] = np.eye(5)[arrays["labels"]]
        return torch.from_numpy(features)

    names = ["features"]
    stream = BlockStream(data, [0, 1], clear_input, names, batch_size=64, seed=0)
    check = read_blocks(data, names, [2])
    x_val = clear_input(check)
    y_val = torch.from_numpy(check["labels"].astype(np.int64))
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 5))
    history = train_streaming(
        model, stream, (x_val, y_val), 4, 1e-2, progress_bar=False
    )
    assert min(history["validation"]) < 0.5  # guessing would give log 5 = 1.6
    with torch.no_grad():
        loss = nn.functional.cross_entropy(model(x_val), y_val).item()
    assert loss == pytest.approx(min(history["validation"]), rel=1e-5)


def test_a_missing_file_or_block_says_what_to_do(data, tmp_path):
    with pytest.raises(UsageError, match="no dataset at .*README"):
        read_blocks(tmp_path / "nothing.h5", ["jet_pt"], [0])
    with pytest.raises(
        UsageError, match=r"blocks 0 to 2 of 1000 jets each; asked for \[3\]"
    ):
        read_blocks(data, ["jet_pt"], [0, 3])
    with pytest.raises(UsageError, match="no array 'pixels'"):
        read_blocks(data, ["pixels"], [0])
    with pytest.raises(UsageError, match="at least one block"):
        BlockStream(data, [], jet_pt, ["jet_pt"], 10, 0)


def test_a_truncated_file_or_another_datasets_particles_is_a_clear_error(
    data, tmp_path
):
    truncated = tmp_path / "jet-images.h5"
    truncated.write_bytes(data.read_bytes()[:5000])
    with pytest.raises(DamagedInputError, match="not a readable HDF5 file"):
        read_blocks(truncated, ["jet_pt"], [0])

    (tmp_path / "other").mkdir()
    other = dataset(tmp_path / "other", seed=2)
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    shutil.copy(data, mixed / "jet-images.h5")
    shutil.copy(schema.constituents_path(other), mixed / "jet-constituents.h5")
    with pytest.raises(DamagedInputError, match="holds other jets than"):
        read_blocks(mixed / "jet-images.h5", ["particles"], [0])
