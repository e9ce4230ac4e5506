"""Same seed and versions, same bytes: a small dataset made twice, and made whole or in shards."""

import filecmp

import pytest

from jetimages.generate import generate, merge
from jetimages.schema import constituents_path


def same_bytes(images_a, images_b) -> bool:
    """Both files of two datasets, the images and the constituents, are byte for byte equal."""
    return all(
        filecmp.cmp(a, b, shallow=False)
        for a, b in [
            (images_a, images_b),
            (constituents_path(images_a), constituents_path(images_b)),
        ]
    )


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    folder = tmp_path_factory.mktemp("whole")
    return generate(folder / "jets.h5", jets_per_class=8, seed=11, workers=1)


def test_same_seed_gives_the_same_bytes(whole, tmp_path):
    again = generate(tmp_path / "jets.h5", jets_per_class=8, seed=11, workers=1)
    assert same_bytes(whole, again)


def test_another_seed_gives_other_jets(whole, tmp_path):
    other = generate(tmp_path / "jets.h5", jets_per_class=8, seed=12, workers=1)
    assert not filecmp.cmp(whole, other, shallow=False)
    assert not filecmp.cmp(
        constituents_path(whole), constituents_path(other), shallow=False
    )


def test_shards_merge_into_the_whole_file(whole, tmp_path):
    # with 8 jets per class there are 5 blocks (one per class): 3 shards get 2, 2 and 1 of them
    shards = [
        generate(
            tmp_path / f"shard-{k}.h5",
            jets_per_class=8,
            seed=11,
            shard=k,
            shards=3,
            workers=1,
        )
        for k in range(3)
    ]
    merged = merge(shards, tmp_path / "merged.h5")
    assert same_bytes(whole, merged)
