"""schema.version_differences: which recorded versions, and which digest of the tool's
code, differ from the installed ones."""

from importlib import metadata
from pathlib import Path

import h5py

from jetimages import load_dataset, schema

from .synthetic import write_whole


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


def digest_of(source: str) -> str:
    return schema.code_digest({"physics.py": source})


def test_the_code_digest_sees_code_and_ignores_comments_formatting_and_docstrings():
    """On a copy of a real module: a new comment, another docstring and other line
    breaks leave the digest as it was; one changed number, or the module under another
    name, does not."""
    source = (Path(schema.__file__).parent / "physics.py").read_text()
    setting = '("TimeShower:pTminChgL = 0.5",)'
    assert source.count(setting) == 1 and '"""The Pythia settings of' in source
    reworded = (
        source.replace('"""', '"""Reworded. ', 1)  # the module's docstring
        .replace('"""The Pythia settings of', '"""All the Pythia settings of')
        .replace(setting, f"(  # a comment\n    {setting[1:-2]},\n)")
        .replace("\n\n\n", "\n\n\n# one comment more\n\n")
    )
    assert reworded != source
    assert digest_of(reworded) == digest_of(source)
    assert digest_of(source.replace("= 0.5", "= 0.6")) != digest_of(source)
    assert schema.code_digest({"other.py": source}) != digest_of(source)


def test_only_docstrings_are_left_out_not_other_strings():
    function = 'def f():\n    """What f does."""\n    return "{}"\n'
    assert digest_of(function) == digest_of(function.replace("What f does", "Other"))
    assert digest_of(function) != digest_of(function.replace('"{}"', '"{} "'))


def test_every_file_records_the_digest_of_the_tools_code():
    attrs = schema.file_attributes(seed=1, jets_per_class=2)
    digest = schema.source_digest()
    assert attrs[schema.SOURCE_ATTRIBUTE] == digest and len(digest) == 12
    assert schema.software_versions()[schema.SOURCE_ATTRIBUTE] == digest


def test_a_file_made_by_other_code_says_so():
    attrs = schema.file_attributes(seed=1, jets_per_class=2)
    attrs[schema.SOURCE_ATTRIBUTE] = b"0123456789ab"
    here = schema.source_digest()
    assert schema.version_differences(attrs) == [
        f"the data tool's code: 0123456789ab in the file, {here} here"
    ]
    del attrs[schema.SOURCE_ATTRIBUTE]  # a file made before the digest was recorded
    assert schema.version_differences(attrs) == [
        f"the data tool's code: not recorded in the file, {here} here"
    ]
    assert "the data tool's code: not recorded" in schema.why_regenerated_differs(attrs)
    attrs[schema.SOURCE_ATTRIBUTE] = here
    assert "match" in schema.why_regenerated_differs(attrs)


def test_a_file_without_the_digest_still_loads(tmp_path):
    path = write_whole(tmp_path / "jet-images.h5")
    for file in (path, schema.constituents_path(path)):
        with h5py.File(file, "r+") as opened:
            del opened.attrs[schema.SOURCE_ATTRIBUTE]
    jets = load_dataset(path, constituents=True)
    assert schema.SOURCE_ATTRIBUTE not in jets.attrs
    assert len(jets.labels) == 15
