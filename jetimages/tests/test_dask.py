"""generate --dask: the same bytes from a Dask cluster as from one process, and workers that could
not make them are refused."""

import filecmp
import os

import pytest

from jetimages import dask_backend, errors, schema
from jetimages.__main__ import main
from jetimages.generate import generate


def test_a_local_cluster_writes_the_bytes_of_a_single_process(tmp_path):
    environment = dict(os.environ)
    for folder in ("alone", "dask"):
        (tmp_path / folder).mkdir()
    alone = generate(
        tmp_path / "alone" / "jet-images.h5", jets_per_class=8, seed=11, workers=1
    )
    # two worker processes of one thread each; the five blocks come back in whatever order they finish
    spread = generate(
        tmp_path / "dask" / "jet-images.h5",
        jets_per_class=8,
        seed=11,
        workers=2,
        dask="local",
    )
    assert filecmp.cmp(alone, spread, shallow=False)
    # the nannies' OMP_NUM_THREADS=1 must not stay behind (pytest runs the chapters later)
    assert dict(os.environ) == environment
    assert filecmp.cmp(
        schema.constituents_path(alone),
        schema.constituents_path(spread),
        shallow=False,
    )


def test_a_worker_with_other_versions_is_refused():
    versions = {**schema.software_versions(), "version_numpy": "1.0"}
    with pytest.raises(
        errors.ClusterError,
        match=r"would not make the same bytes: numpy: 1.0 in the submitting process",
    ):
        dask_backend._checked_call(None, print, versions)


def test_a_worker_with_other_code_is_refused():
    versions = {**schema.software_versions(), schema.SOURCE_ATTRIBUTE: "0123456789ab"}
    with pytest.raises(
        errors.ClusterError,
        match=r"same bytes: the data tool's code: 0123456789ab in the submitting process",
    ):
        dask_backend._checked_call(None, print, versions)


def test_an_address_that_is_no_scheduler_gives_one_line(tmp_path, capsys):
    code = main(
        [
            "generate",
            "--jets-per-class",
            "8",
            "--out",
            str(tmp_path / "x.h5"),
            "--dask",
            "nowhere://x",
        ]
    )
    error = capsys.readouterr().err
    assert code == 2
    assert (
        error.startswith("error: --dask: no Dask scheduler answers at 'nowhere://x'")
        and error.count("\n") == 1
    )
