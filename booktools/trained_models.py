"""`make models`: the book's trained models (data/trained-models/) remade from one clean
run of every chapter. jetlearn.kept says how the chapters use them.

Every chapter of _toc.yml runs in a fresh kernel, in the book's order, with the store
switched off and workshop mode off, so that every training that goes through
jetlearn.kept.train_once runs and lands in the build folder's kept models, emptied first.
Only when every chapter has passed do those files replace the store, whole: a failed run
leaves the store as it was, and `--resume` after a fix keeps what the failed run trained
(the build folder's kept models) instead of emptying it, so that only what changed trains
again.
"""

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

import jupytext
import torch
from nbclient import NotebookClient

from jetimages.layout import WORKSHOP_VARIABLE
from jetlearn.kept import KEPT, STORED, USE_STORED_VARIABLE

from .book import BOOK, toc_chapters


def run_chapter(stem: str) -> float:
    """Seconds to run chapter `stem` top to bottom in a fresh kernel started in the book
    folder; a failing cell raises (nbclient's CellExecutionError, with its traceback)."""
    notebook = jupytext.read(BOOK / f"{stem}.md")
    start = time.perf_counter()
    NotebookClient(
        notebook,
        timeout=notebook.metadata.get("mystnb", {}).get("execution_timeout", 600),
        kernel_name="python3",
        resources={"metadata": {"path": str(BOOK)}},
    ).execute()
    return time.perf_counter() - start


def replace_store(kept: Path, store: Path) -> int:
    """`store` becomes the trainings of `kept`, each named by the key under which the
    chapters look for the book's training (jetlearn.kept.training_keys, "book"). They
    are copied beside it first, then swapped in by renames, so that an interruption
    leaves the old store or the new one. Returns how many trainings it holds."""
    new, old = (
        store.with_name(store.name + ".new"),
        store.with_name(store.name + ".old"),
    )
    for leftover in (new, old):
        shutil.rmtree(leftover, ignore_errors=True)
    new.mkdir(parents=True)
    for path in sorted(kept.glob("*.pt")):
        book_key = torch.load(path, weights_only=True)["book_key"]
        shutil.copyfile(path, new / f"{book_key}.pt")
    if store.exists():
        store.rename(old)
    new.rename(store)
    shutil.rmtree(old, ignore_errors=True)
    return len(list(store.glob("*.pt")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the trainings of an earlier, failed run instead of starting empty",
    )
    args = parser.parse_args(argv)
    os.environ[USE_STORED_VARIABLE] = "0"  # the kernels inherit both
    os.environ[WORKSHOP_VARIABLE] = "0"
    if not args.resume:
        shutil.rmtree(KEPT, ignore_errors=True)
    for stem in toc_chapters(BOOK):
        print(f"{stem}: ", end="", flush=True)
        print(f"{run_chapter(stem):.0f} s", flush=True)
    if not KEPT.is_dir():
        print(
            "no chapter kept a training: the store is left as it was", file=sys.stderr
        )
        return 1
    count = replace_store(KEPT, STORED)
    size = sum(path.stat().st_size for path in STORED.glob("*.pt")) / 2**20
    print(f"{STORED}: {count} trainings, {size:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
