"""Simulation blocks on a Dask distributed cluster: generate(dask=ADDRESS).

A block's jets depend only on (seed, class, block number) and on the installed versions
of the packages in schema.VERSIONED_PACKAGES, so a cluster gives the bytes of a single
machine as long as every worker has this machine's versions. Each task checks that on
its worker before it simulates. README.md, "On a Dask cluster", says how to start a
cluster and what workers need.
"""

import contextlib
import os
import socket
from collections.abc import Callable, Iterator

from .errors import ClusterError, UsageError
from .schema import software_versions, version_differences

CONNECT_TIMEOUT = "10s"
WORKER_HINT = (
    "install the repository there with `pip install -r requirements.txt -c "
    "requirements.lock` (README.md, 'On a Dask cluster')"
)


def _restore_environment(saved: dict[str, str]) -> None:
    """Undo what changed in os.environ since `saved` was taken, and nothing else."""
    for name in set(os.environ) - set(saved):
        del os.environ[name]
    for name, value in saved.items():
        if os.environ.get(name) != value:
            os.environ[name] = value


@contextlib.contextmanager
def connect(address: str, workers: int | None):
    """A distributed.Client of the scheduler at `address` (such as tcp://login1:8786),
    or, for "local", of a new LocalCluster of `workers` (None: all cores) one-thread
    worker processes."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError(
            "{dask} needs the dask and distributed packages: run `make install`"
        ) from None
    with contextlib.ExitStack() as stack:
        if address == "local":
            # Dask's nannies set OMP_NUM_THREADS=1 and the like in this process's own
            # environment before they spawn their workers. It is put back once the
            # cluster is closed (callbacks run last in, first out), or every process
            # started from here later, a notebook kernel for one, would run its
            # numerical libraries on one core.
            stack.callback(_restore_environment, dict(os.environ))
            cluster = LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            stack.enter_context(cluster)
            client = stack.enter_context(Client(cluster))
        else:
            if workers is not None:
                raise UsageError(
                    "{workers} counts processes of this machine or of a local cluster; "
                    "a cluster at an address has the workers started for it"
                )
            try:
                client = Client(address, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError, ValueError) as error:
                raise UsageError(
                    "{dask}: no Dask scheduler answers at {address!r} ({error}); give "
                    "the address that `dask scheduler` prints, such as "
                    "tcp://HOST:8786, or 'local'",
                    address=address,
                    error=error,
                ) from None
            stack.enter_context(client)
        yield client


def _checked_call(job, function: Callable, versions: dict[str, str]):
    """Run function(job) on a worker whose versions are `versions`; otherwise raise
    ClusterError."""
    differences = version_differences(versions, "the submitting process")
    if differences:
        raise ClusterError(
            "the Dask worker on {host} would not make the same bytes: {differences}; "
            "{hint}",
            host=socket.gethostname(),
            differences="; ".join(differences),
            hint=WORKER_HINT,
        )
    return function(job)


def results(client, function: Callable, jobs: list) -> Iterator:
    """function(job) for every job, run on the cluster's workers, in the order they
    finish."""
    from distributed import as_completed

    futures = client.map(
        _checked_call,
        jobs,
        function=function,
        versions=software_versions(),
        pure=False,
    )
    try:
        for future in as_completed(futures):
            yield future.result()
    except ModuleNotFoundError as error:
        raise ClusterError(
            "a Dask worker cannot import {module}: {hint}",
            module=error.name,
            hint=WORKER_HINT,
        ) from None
