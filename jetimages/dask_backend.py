"""Simulation blocks on a Dask distributed cluster: generate(dask=ADDRESS).

A block's jets depend only on (seed, class, block number), on the installed versions
of the packages in schema.VERSIONED_PACKAGES and on this tool's code (its digest,
schema.source_digest), so a cluster gives the bytes of a single machine as long as every
worker has this machine's versions and code. Each task checks that on its worker before
it simulates. README.md, "On a Dask cluster", says how to start a
cluster and what workers need.
"""

import asyncio
import concurrent.futures
import contextlib
import os
import socket
from collections.abc import Callable, Iterator

from .errors import ClusterError, UsageError
from .schema import software_versions, version_differences

CONNECT_TIMEOUT = "10s"
CHECK_TIMEOUT_S = 10  # for a scheduler to say that it is one
WORKER_HINT = (
    "check out this commit of the repository there and install it with `pip install -e "
    "'.[authors]' -c requirements.lock` (README.md, 'On a Dask cluster')"
)


def _restore_environment(saved: dict[str, str]) -> None:
    """Undo what changed in os.environ since `saved` was taken, and nothing else."""
    for name in set(os.environ) - set(saved):
        del os.environ[name]
    for name, value in saved.items():
        if os.environ.get(name) != value:
            os.environ[name] = value


async def _identity(address: str) -> dict:
    from distributed.comm import connect as open_comm

    comm = await open_comm(address, timeout=CHECK_TIMEOUT_S)
    try:
        await comm.write({"op": "identity", "reply": True})
        return await comm.read()
    finally:
        comm.abort()


def _check_scheduler(address: str) -> None:
    """That a Dask scheduler answers at `address` within CHECK_TIMEOUT_S; otherwise
    TimeoutError or ValueError. A Client waits forever for a server that accepts the
    connection and says nothing, and reads another server's answer as the length of a
    message to allocate (MemoryError)."""
    # asyncio.run in a thread of its own: the caller may run an event loop (Jupyter)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        answer = pool.submit(
            asyncio.run, asyncio.wait_for(_identity(address), CHECK_TIMEOUT_S)
        )
        try:
            reply = answer.result(timeout=CHECK_TIMEOUT_S + 5)
        except (TimeoutError, concurrent.futures.TimeoutError):
            raise TimeoutError(
                f"no answer in {CHECK_TIMEOUT_S} s; not a Dask scheduler?"
            ) from None
        except MemoryError:  # another protocol's bytes read as a message's length
            raise ValueError("it answers, but not as a Dask scheduler") from None
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        raise ValueError("it answers, but not as a Dask scheduler")


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
                _check_scheduler(address)
                client = Client(address, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError, ValueError, MemoryError) as error:
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
