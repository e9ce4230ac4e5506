"""Workshop handout: every chapter of the book as a Jupyter notebook (.ipynb), with the data beside it.

    python -m jetimages.handout OUTDIR              clean notebooks, no outputs (students run them)
    python -m jetimages.handout OUTDIR --executed   every notebook run once from a fresh kernel

OUTDIR gets one notebook per chapter of _toc.yml (in its order), the book's data/ and img/ folders,
and a README.md. The handout is written into a temporary folder beside OUTDIR and renamed into place
only when complete, so an interrupted run never leaves half a handout. An existing OUTDIR is replaced
only if an earlier run of this command made it.
"""

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat
import yaml

from .dataset import REGENERATE_HINT

BOOK = Path(__file__).resolve().parents[1] / "deep-learning-intro-for-hep"
DATA_FILE = Path("data") / "jet-images.h5"
MARKER = ".jetimages-handout"  # says that this command made the folder, so it may replace it
DEFAULT_TIMEOUT = 600  # seconds per cell, where a chapter does not set mystnb.execution_timeout
README = """\
# Workshop handout: CNNs for particle physicists, on jet images

One notebook per chapter, {state}. Open this folder in JupyterLab and run each notebook from the
top; every notebook reads `data/jet-images.h5` from this folder, so keep them side by side.

The notebooks import the book's own package, `jetimages`. Install it with everything else the
book needs from the top folder of the book's repository: `pip install -r requirements.txt`
(it needs Python 3.11). The first cell of {first} checks your setup and says what is missing.

Chapters, in order:
{chapters}
"""


class HandoutError(Exception):
    """A problem the person running the command can fix; its message says how."""


def toc_chapters(book: Path) -> list[str]:
    """File names (without suffix) of every page in the book's _toc.yml, in reading order."""
    toc = yaml.safe_load((book / "_toc.yml").read_text())
    stems = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                stems.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return stems


def clean_notebook(source: Path) -> nbformat.NotebookNode:
    """The chapter as a notebook with no outputs, without the jupytext pairing (a handout is not paired)."""
    notebook = jupytext.read(source)
    notebook.metadata.pop("jupytext", None)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return notebook


def execute(notebook: nbformat.NotebookNode, folder: Path, name: str) -> None:
    """Run the notebook top to bottom in a fresh kernel started in `folder` (where data/ is)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    timeout = notebook.metadata.get("mystnb", {}).get("execution_timeout", DEFAULT_TIMEOUT)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    try:
        client.execute()
    except CellExecutionError as error:
        raise HandoutError(f"{name} failed while executing:\n{error}") from None


def write_handout(outdir: Path, book: Path = BOOK, executed: bool = False) -> Path:
    outdir = Path(outdir).resolve()
    book = Path(book).resolve()
    if not (book / "_toc.yml").is_file():
        raise HandoutError(f"{book} is not the book folder (it has no _toc.yml)")
    if not (book / DATA_FILE).is_file():
        raise HandoutError(f"the dataset {book / DATA_FILE} is missing, and every chapter reads it. {REGENERATE_HINT}")
    if outdir.exists() and not (outdir / MARKER).is_file() and any(outdir.iterdir()):
        raise HandoutError(f"{outdir} exists and was not made by this command; give a new or empty folder")
    stems = toc_chapters(book)
    missing = [stem for stem in stems if not (book / f"{stem}.md").is_file()]
    if missing:
        raise HandoutError(f"_toc.yml lists chapters with no .md file in {book}: {missing}")

    outdir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}-", dir=outdir.parent))
    try:
        for folder in ("data", "img"):
            if (book / folder).is_dir():
                shutil.copytree(book / folder, staging / folder, ignore=shutil.ignore_patterns("*.tmp*", ".*"))
        for stem in stems:
            notebook = clean_notebook(book / f"{stem}.md")
            if executed:
                print(f"executing {stem} ...", flush=True)
                execute(notebook, staging, stem)
            nbformat.write(notebook, staging / f"{stem}.ipynb")
        (staging / "README.md").write_text(README.format(
            state="each run once from top to bottom, with its outputs" if executed else "without outputs",
            first=f"{stems[0]}.ipynb",
            chapters="\n".join(f"- {stem}.ipynb" for stem in stems),
        ))
        (staging / MARKER).write_text("made by python -m jetimages.handout; it may replace this folder\n")
        staging.chmod(0o755)  # mkdtemp makes it private to its owner
        if outdir.exists():
            old = outdir.with_name(f".{outdir.name}-old")
            shutil.rmtree(old, ignore_errors=True)
            outdir.rename(old)
            staging.rename(outdir)
            shutil.rmtree(old)
        else:
            staging.rename(outdir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return outdir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jetimages.handout", description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path, help="the folder to write (replaced if this command made it before)")
    parser.add_argument("--executed", action="store_true", help="run every notebook once, keeping its outputs")
    parser.add_argument("--book", type=Path, default=BOOK, help=f"the book folder (default {BOOK})")
    args = parser.parse_args(argv)
    try:
        outdir = write_handout(args.outdir, args.book, args.executed)
    except HandoutError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    notebooks = sorted(path.name for path in outdir.glob("*.ipynb"))
    print(f"wrote {len(notebooks)} notebooks ({'executed' if args.executed else 'clean'}) and data/ to {outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
