"""schema.version_differences: which recorded versions differ from the installed ones."""

from importlib import metadata

from jetimages import schema


def test_a_file_made_here_differs_in_nothing():
    assert (
        schema.version_differences(schema.file_attributes(seed=1, jets_per_class=2))
        == []
    )


def test_each_difference_is_named_with_both_versions():
    attrs = schema.file_attributes(seed=1, jets_per_class=2)
    attrs["version_numpy"] = b"1.26.0"  # attributes may come back from HDF5 as bytes
    del attrs["version_fastjet"]
    assert schema.version_differences(attrs) == [
        f"fastjet: not recorded in the file, {metadata.version('fastjet')} here",
        f"numpy: 1.26.0 in the file, {metadata.version('numpy')} here",
    ]
