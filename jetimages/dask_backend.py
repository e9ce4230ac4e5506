"""Simulation blocks on a Dask distributed cluster: generate(dask=ADDRESS); and the
connection, the worker check and the submission that the benchmarks' tasks share
(benchmarks/over_seeds.py).

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
import importlib
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator

from .errors import ClusterError, UsageError
from .layout import REPOSITORY
from .safe_output import InterruptsHeld
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


@contextlib.contextmanager
def _sigint_ignored():
    """SIGINT ignored, which processes started meanwhile keep; one that comes meanwhile
    is lost, so this is for the moment a process is started."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, handler)


@contextlib.contextmanager
def _quiet_local_cluster():
    """Settings for a LocalCluster whose processes neither see Ctrl-C nor print: they
    are forked from a server process started here with SIGINT ignored, which they
    inherit (Ctrl-C is this process's to handle), and they log only critical errors
    (their warnings on being stopped mid-block are expected). A block's errors still
    come back to this process."""
    import multiprocessing.forkserver
    import multiprocessing.resource_tracker

    import dask
    from distributed.utils import get_mp_context

    # Dask's nannies give their workers MALLOC_TRIM_THRESHOLD_, which stops glibc from
    # adapting its mmap threshold: PyTorch's tensors of every batch are then mapped and
    # unmapped anew, and a training step took 1.8 times as long (README.md, "Benchmarks
    # on a Dask cluster"). These workers keep glibc's default.
    environ = dask.config.get("distributed.nanny.pre-spawn-environ")
    environ = {
        key: str(value)
        for key, value in environ.items()
        if key != "MALLOC_TRIM_THRESHOLD_"
    }
    settings = {
        "distributed.worker.multiprocessing-method": "forkserver",
        "distributed.nanny.pre-spawn-environ": environ,
    }
    with dask.config.set(settings):
        get_mp_context()  # sets what the server imports once for all workers
        # what a LocalCluster sets before it starts a worker process, and the log level
        environ = dict(environ)
        environ["DASK_LOGGING__DISTRIBUTED"] = "critical"
        # the process that frees the workers' semaphores: silent if this one is killed
        environ["PYTHONWARNINGS"] = "ignore:resource_tracker:UserWarning"
        saved = {key: os.environ.get(key) for key in environ}
        os.environ.update(environ)
        try:
            with _sigint_ignored():
                multiprocessing.resource_tracker.ensure_running()
                multiprocessing.forkserver.ensure_running()
        finally:
            for key, value in saved.items():
                if value is None:
                    del os.environ[key]
                else:
                    os.environ[key] = value
        yield


@contextlib.contextmanager
def quiet_client(address: str, workers: int | None):
    """connect, so that Ctrl-C or a kill gives one line: one that comes while the
    cluster starts is raised once it has started and can be shut down; and the
    shutdown's warnings after it (workers stopped mid-task) are expected, so not
    shown."""
    logger = logging.getLogger("distributed")
    with contextlib.ExitStack() as stack:
        # runs last, once the cluster is shut down
        stack.callback(logger.setLevel, logger.level)
        try:
            with InterruptsHeld():
                if address == "local":
                    stack.enter_context(_quiet_local_cluster())
                client = stack.enter_context(connect(address, workers))
            yield client
        except BaseException:
            logger.setLevel(logging.CRITICAL)
            raise


def _checked_call(
    job,
    function: Callable,
    versions: dict[str, str],
    environment: Callable[[], dict[str, str]] | None = None,
    outcome: str = "bytes",
):
    """Run function(job) on a worker whose versions are `versions`; otherwise raise
    ClusterError. The versions are software_versions() (what decides the data tool's
    bytes), or environment()'s if given (it runs on the worker, so it must be
    importable there)."""
    if environment is None:
        differences = version_differences(versions, "the submitting process")
    else:
        here = environment()
        differences = [
            f"{key}: {value} in the submitting process, {here.get(key)} here"
            for key, value in versions.items()
            if here.get(key) != value
        ]
    if differences:
        raise ClusterError(
            "the Dask worker on {host} would not make the same {outcome}: "
            "{differences}; {hint}",
            host=socket.gethostname(),
            outcome=outcome,
            differences="; ".join(differences),
            hint=WORKER_HINT,
        )
    return function(job)


def submit(
    client,
    function: Callable,
    jobs: list,
    environment: Callable[[], dict[str, str]] | None = None,
    outcome: str = "bytes",
) -> list:
    """A future of function(job) for every job, in the order of `jobs`; each runs on a
    worker only if the worker passes _checked_call's check. A job goes over the wire as
    it is: give small ones (numbers, paths), not arrays."""
    versions = software_versions() if environment is None else environment()
    return client.map(
        _checked_call,
        jobs,
        function=function,
        versions=versions,
        environment=environment,
        outcome=outcome,
        pure=False,
    )


def call_in_repository(folder: str, module: str, function: str, *args):
    """module.function(*args), the module imported from `folder` of this process's
    checkout (layout.REPOSITORY) unless it is imported already. A worker has its own
    checkout of the same commit (README.md, 'On a Dask cluster'), so the code of a
    folder that is not an installed package, such as benchmarks/, runs there without
    being sent: a function of it pickled by reference would need it importable before
    the call could begin."""
    if module not in sys.modules:
        path = str(REPOSITORY / folder)
        if path not in sys.path:  # first, so that no other module of that name wins
            sys.path.insert(0, path)
    return getattr(importlib.import_module(module), function)(*args)


def results(client, function: Callable, jobs: list) -> Iterator:
    """function(job) for every job, run on the cluster's workers, in the order they
    finish."""
    from distributed import as_completed

    futures = submit(client, function, jobs)
    try:
        for future in as_completed(futures):
            yield future.result()
    except ModuleNotFoundError as error:
        raise ClusterError(
            "a Dask worker cannot import {module}: {hint}",
            module=error.name,
            hint=WORKER_HINT,
        ) from None
