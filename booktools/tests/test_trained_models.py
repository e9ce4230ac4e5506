"""make models' swap of the book's trained models: whole or not at all."""

from booktools.trained_models import replace_folder


def test_the_store_is_replaced_whole_and_nothing_is_left_beside_it(tmp_path):
    made, store = tmp_path / "made", tmp_path / "store"
    made.mkdir()
    (made / "new.pt").write_bytes(b"new")
    store.mkdir()
    (store / "old.pt").write_bytes(b"old")
    replace_folder(made, store)
    assert [path.name for path in store.iterdir()] == ["new.pt"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["made", "store"]


def test_a_leftover_of_an_interrupted_swap_is_cleared(tmp_path):
    made, store = tmp_path / "made", tmp_path / "store"
    made.mkdir()
    (made / "new.pt").write_bytes(b"new")
    (tmp_path / "store.new").mkdir()  # an earlier run stopped between copy and rename
    (tmp_path / "store.new" / "half.pt").write_bytes(b"")
    replace_folder(made, store)
    assert [path.name for path in store.iterdir()] == ["new.pt"]
    assert not (tmp_path / "store.new").exists()
