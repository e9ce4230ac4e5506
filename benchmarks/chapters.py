"""Each chapter's execution time in a fresh kernel, and the kernel's peak memory. Prints a table; fails nothing.

    python benchmarks/chapters.py [STEM ...] [--book PATH]

Every chapter of _toc.yml (or the ones named) is turned into a notebook with jupytext and run from top
to bottom with nbclient in a new `python3` kernel started in the book folder, as the book build does.
Columns:
  kernel start  seconds from asking for a kernel to its first answer
  run           seconds from the first cell starting to the last one finishing
  CPU           user + system CPU seconds of the kernel (from its start) and its child processes;
                CPU / run > 1 means several cores were busy
  peak RSS      the kernel's peak resident memory (Linux's VmHWM, exact; sampled elsewhere)
  with children the largest sampled sum of the RSS of the kernel and its child processes (every 50 ms)
"""

import argparse
import sys
import threading
import time
from pathlib import Path

import jupytext
import psutil
from nbclient import NotebookClient

from booktools.book import BOOK, toc_chapters

SAMPLE_EVERY = 0.05  # seconds


class MemoryWatch:
    """Samples the RSS of a process and its descendants from a thread; keeps the maximum of the sum."""

    def __init__(self, pid: int):
        self.process = psutil.Process(pid)
        self.peak_tree = 0
        self.children_cpu = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                processes = [self.process, *self.process.children(recursive=True)]
                total = 0
                for proc in processes:
                    try:
                        total += proc.memory_info().rss
                        if proc.pid != self.process.pid:
                            times = proc.cpu_times()
                            self.children_cpu[proc.pid] = times.user + times.system
                    except psutil.Error:
                        pass
                self.peak_tree = max(self.peak_tree, total)
            except psutil.Error:
                return
            self._stop.wait(SAMPLE_EVERY)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def peak_rss(self) -> int:
        """The kernel's own high-water mark where Linux gives it, else the sampled RSS now."""
        try:
            for line in (
                Path(f"/proc/{self.process.pid}/status").read_text().splitlines()
            ):
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return self.process.memory_info().rss

    def cpu_seconds(self) -> float:
        times = self.process.cpu_times()
        # children that ended and were waited for are in children_*; live or unwaited ones were sampled
        waited = times.children_user + times.children_system
        return times.user + times.system + max(waited, sum(self.children_cpu.values()))


def run_chapter(book: Path, stem: str) -> dict:
    notebook = jupytext.read(book / f"{stem}.md")
    timeout = notebook.metadata.get("mystnb", {}).get("execution_timeout", 600)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(book)}},
    )
    asked = time.perf_counter()
    with client.setup_kernel():
        started = time.perf_counter()
        with MemoryWatch(client.km.provisioner.process.pid) as watch:
            error = None
            try:
                for index, cell in enumerate(notebook.cells):
                    client.execute_cell(cell, index)
            except (
                Exception
            ) as exc:  # a failing chapter is reported in the table, not raised
                error = f"{type(exc).__name__} in cell {index}"
            finished = time.perf_counter()
            peak, cpu = watch.peak_rss(), watch.cpu_seconds()
        tree = watch.peak_tree
    return {
        "chapter": stem,
        "kernel start": started - asked,
        "run": finished - started,
        "CPU": cpu,
        "peak RSS": peak,
        "with children": max(tree, peak),
        "error": error,
    }


def table(rows: list[dict]) -> str:
    def mib(n):
        return f"{n / 2**20:,.0f} MiB"

    header = [
        "chapter",
        "kernel start",
        "run",
        "CPU",
        "peak RSS",
        "with children",
        "note",
    ]
    lines = [
        [
            row["chapter"],
            f"{row['kernel start']:.1f} s",
            f"{row['run']:.1f} s",
            f"{row['CPU']:.1f} s",
            mib(row["peak RSS"]),
            mib(row["with children"]),
            row["error"] or "",
        ]
        for row in rows
    ]
    total_run = sum(row["run"] for row in rows)
    lines.append(
        [
            "all",
            "",
            f"{total_run:.1f} s",
            f"{sum(r['CPU'] for r in rows):.1f} s",
            mib(max((r["peak RSS"] for r in rows), default=0)) + " (max)",
            "",
            "",
        ]
    )
    widths = [
        max(len(str(x)) for x in column) for column in zip(header, *lines, strict=True)
    ]
    out = [
        "| "
        + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
        + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    out += [
        "| "
        + " | ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True))
        + " |"
        for line in lines
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "chapters",
        nargs="*",
        help="file stems of chapters (default: every chapter of _toc.yml)",
    )
    parser.add_argument(
        "--book", type=Path, default=BOOK, help=f"the book folder (default {BOOK})"
    )
    args = parser.parse_args(argv)
    stems = args.chapters or toc_chapters(args.book)
    cores = psutil.cpu_count(logical=True)
    memory = psutil.virtual_memory().total / 2**30
    print(
        f"chapters of {args.book}, each in a fresh kernel; {cores} logical cores, {memory:.0f} GiB of memory",
        flush=True,
    )
    rows = []
    for stem in stems:
        print(f"running {stem} ...", flush=True)
        rows.append(run_chapter(args.book, stem))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
