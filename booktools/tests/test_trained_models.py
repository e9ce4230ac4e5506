"""make models' swap of the book's trained models: whole or not at all, each training
named by the key under which the chapters look for it."""

import torch

from booktools.trained_models import replace_store


def kept_training(folder, name, book_key):
    folder.mkdir(exist_ok=True)
    torch.save({"weights": {}, "book_key": book_key}, folder / f"{name}.pt")


def test_the_store_is_replaced_whole_and_named_by_the_books_keys(tmp_path):
    made, store = tmp_path / "made", tmp_path / "store"
    kept_training(made, "this-computer", "book")
    kept_training(store, "old", "old")
    assert replace_store(made, store) == 1
    assert [path.name for path in store.iterdir()] == ["book.pt"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["made", "store"]


def test_a_leftover_of_an_interrupted_swap_is_cleared(tmp_path):
    made, store = tmp_path / "made", tmp_path / "store"
    kept_training(made, "this-computer", "book")
    kept_training(tmp_path / "store.new", "half", "half")  # stopped before the rename
    replace_store(made, store)
    assert [path.name for path in store.iterdir()] == ["book.pt"]
    assert not (tmp_path / "store.new").exists()
