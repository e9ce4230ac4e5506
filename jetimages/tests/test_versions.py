"""schema.version_differences: which recorded versions differ from the installed ones."""

from importlib import metadata

import h5py

from jetimages import schema


def test_a_file_written_here_reads_back_with_no_difference(tmp_path):
    """The versions go into the file as the tool writes them and come back as h5py
    reads them (bytes or NumPy strings): read here, they name no difference, and a
    version of another machine written the same way does."""
    attrs = schema.file_attributes(seed=1, jets_per_class=2)
    assert any(key.startswith("version_") for key in attrs)
    path = tmp_path / "versions.h5"
    with h5py.File(path, "w") as file:
        for key, value in attrs.items():
            file.attrs[key] = value
        file.attrs["version_numpy"] = "0.0.1"
    with h5py.File(path) as file:
        read = dict(file.attrs)
    assert schema.version_differences(read) == [
        f"numpy: 0.0.1 in the file, {metadata.version('numpy')} here"
    ]
    read["version_numpy"] = attrs["version_numpy"]
    assert schema.version_differences(read) == []


def test_each_difference_is_named_with_both_versions():
    attrs = schema.file_attributes(seed=1, jets_per_class=2)
    attrs["version_numpy"] = b"1.26.0"  # attributes may come back from HDF5 as bytes
    del attrs["version_fastjet"]
    assert schema.version_differences(attrs) == [
        f"fastjet: not recorded in the file, {metadata.version('fastjet')} here",
        f"numpy: 1.26.0 in the file, {metadata.version('numpy')} here",
    ]
