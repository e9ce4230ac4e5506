"""Ctrl-C, or killing the run, while worker processes simulate: one line from the run,
none from its workers, and the workers end with it. Each test runs the command line in
its own process group, as a terminal does, and sends the signal there."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

INTERRUPTED = "outputs are replaced whole or not at all, never left half-written"

# generate on two worker processes, whose blocks take argv[2] seconds and make nothing
SLOW_BLOCKS = """
import os, sys, time
from jetimages import generate
from jetimages.__main__ import main

def slow_block(task):
    os.write(1, b"started\\n")  # one write: the two workers' lines do not mix
    time.sleep(float(sys.argv[2]))

generate._run_block = slow_block
args = ["generate", "--jets-per-class", "3", "--workers", "2", "--out", sys.argv[1]]
sys.exit(main(args))
"""


def as_from_a_terminal():
    """In the new process: the signals' default actions, whatever the tests inherited (a
    background job ignores SIGINT), and its own process group, which a test may
    signal."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)
    os.setsid()


def start(*args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=as_from_a_terminal,
        cwd=Path(__file__).parents[2],  # where `jetimages` is this checkout's
    )


def lines(stderr: str) -> list[str]:
    """The lines a run printed on stderr, less its progress bar."""
    return [
        line
        for line in stderr.splitlines()
        if line and not line.startswith("simulating")
    ]


def test_ctrl_c_with_worker_processes_gives_one_line(tmp_path):
    run = start("-c", SLOW_BLOCKS, tmp_path / "jets.h5", 60)
    assert run.stdout.readline() == "started\n"
    os.killpg(run.pid, signal.SIGINT)  # to every process of the group, as Ctrl-C does
    _, stderr = run.communicate(timeout=30)
    assert (run.returncode, lines(stderr)) == (130, [f"interrupted: {INTERRUPTED}"])
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_killing_the_run_ends_its_workers_silently(tmp_path, signum):
    """SIGTERM stops the run as Ctrl-C does; after SIGKILL it prints nothing, and the
    workers, whose blocks would end in 3 s, end at once instead, printing nothing
    either."""
    run = start("-c", SLOW_BLOCKS, tmp_path / "jets.h5", 3)
    assert run.stdout.readline() == "started\n"
    os.kill(run.pid, signum)
    begun = time.monotonic()
    _, stderr = run.communicate(timeout=30)  # to the end: all its workers have ended
    assert time.monotonic() - begun < 2.5
    if signum == signal.SIGTERM:
        assert (run.returncode, lines(stderr)) == (143, [f"terminated: {INTERRUPTED}"])
        assert os.listdir(tmp_path) == []
    else:
        assert (run.returncode, lines(stderr)) == (-signal.SIGKILL, [])


@pytest.mark.parametrize("when", ["starting", "simulating"])
def test_ctrl_c_with_a_local_dask_cluster_gives_one_line(tmp_path, when):
    """Whether the cluster is still starting (its processes loading Python) or
    simulating."""
    command = [
        "generate",
        "--jets-per-class",
        "500",
        "--workers",
        "1",
        "--dask",
        "local",
    ]
    run = start("-m", "jetimages", *command, "--out", tmp_path / "jets.h5")
    printed = ""
    if when == "starting":
        # its first processes have started, and the moment in which it ignores Ctrl-C
        # to start them has passed
        process, deadline = psutil.Process(run.pid), time.monotonic() + 30
        while len(process.children()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
    else:
        while not printed.endswith("simulating") and len(printed) < 1000:
            printed += run.stderr.read(1)  # the progress bar: the blocks are running
        time.sleep(0.5)
    os.killpg(run.pid, signal.SIGINT)
    _, stderr = run.communicate(timeout=60)
    assert (run.returncode, lines(printed + stderr)) == (
        130,
        [f"interrupted: {INTERRUPTED}"],
    )
    assert os.listdir(tmp_path) == []
