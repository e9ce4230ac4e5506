"""The executed chapters, kept once for the tests and the build (jupyter-cache).

A chapter runs once: under nbval in `make test` (booktools.pytest_plugin), or by myst-nb in a build
that finds no executed copy. Either way its executed notebook goes into the book's jupyter-cache,
`_build/.jupyter_cache`, where the other one finds it: the build shows the outputs that the tests
produced, and a second `make test` does not run an unchanged chapter again.

jupyter-cache recognises a chapter by its code cells alone, but a chapter also reads the book's
packages, its data files, the stored benchmark results and, through jetlearn.chapters, the tagged
cells of other chapters. Their fingerprint is kept beside the
cache; when any of them changes, the whole cache is emptied (and, through this module's Sphinx
extension, every page is read again), so no output on the website or in a test is ever older than
what produced it.
"""

import hashlib
import os
import shutil
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import nbformat
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn, JupyterCacheAbstract
from jupyter_cache.cache.db import NbCacheRecord
from nbformat import NotebookNode

from jetimages.layout import DATA, REPOSITORY, RESULTS, WORKSHOP_VARIABLE
from jetlearn.chapters import tagged_cells

from .book import BOOK

ROOT = REPOSITORY
CACHE = (
    BOOK / "_build" / ".jupyter_cache"
)  # where jupyter-book's build keeps executed notebooks
FINGERPRINT_FILE = "chapter-inputs.sha256"
# what a chapter reads besides its own code cells, relative to the repository
INPUT_PATTERNS = (
    "jetimages/*.py",
    "jetlearn/*.py",
    f"{DATA.relative_to(REPOSITORY)}/**/*",
    f"{RESULTS.relative_to(REPOSITORY)}/**/*.json",  # the first data's results too
    "requirements.lock",
    "booktools/figure_layout.py",  # not read, but a kept chapter passed its figure checks
)


def chapter_inputs() -> list[Path]:
    """Every file a chapter may read besides its own code, in a fixed order (hidden files,
    such as the data tool's locks, are not read by chapters)."""
    files = {path for pattern in INPUT_PATTERNS for path in ROOT.glob(pattern)}
    return sorted(
        path for path in files if path.is_file() and not path.name.startswith(".")
    )


def installed_versions() -> list[str]:
    """Python's version and every installed distribution's name and version: what runs
    the chapters, which a manual install can change without touching requirements.lock."""
    distributions = {
        f"{dist.metadata['Name']}=={dist.version}" for dist in metadata.distributions()
    }
    return [sys.version, *sorted(distributions)]


def inputs_fingerprint() -> str:
    """A SHA-256 over the names and contents of `chapter_inputs()`, the chapters' cells
    tagged `shared-with-benchmark`, the installed versions and the workshop mode."""
    digest = hashlib.sha256()
    for path in chapter_inputs():
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    # a chapter may run another one's tagged cells (jetlearn.chapters.chapter_namespace)
    for chapter in sorted((ROOT / BOOK.name).glob("*.md")):
        for source in tagged_cells(chapter):
            digest.update(chapter.name.encode() + b"\0" + source.encode() + b"\0")
    digest.update("\n".join(installed_versions()).encode())
    # chapters run in workshop mode train less: never mix them with full runs in the cache
    digest.update(
        f"{WORKSHOP_VARIABLE}={os.environ.get(WORKSHOP_VARIABLE, '')}".encode()
    )
    return digest.hexdigest()


def open_cache(
    folder: Path = CACHE, fingerprint: str | None = None
) -> JupyterCacheAbstract:
    """The cache of executed chapters, emptied first if the chapters' inputs have changed."""
    fingerprint = fingerprint or inputs_fingerprint()
    stamp = folder / FINGERPRINT_FILE
    if folder.exists() and (not stamp.is_file() or stamp.read_text() != fingerprint):
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cache = get_cache(folder)
    if not stamp.is_file():
        with tempfile.NamedTemporaryFile("w", dir=folder, delete=False) as temporary:
            temporary.write(fingerprint)
        os.replace(temporary.name, stamp)
    return cache


def executed_copy(
    cache: JupyterCacheAbstract, notebook: NotebookNode, fingerprint: str
) -> NbCacheRecord | None:
    """The cache's record of this notebook's code, executed with the inputs of
    `fingerprint` (as keep_executed records them), if it has one."""
    try:
        record = cache.match_cache_notebook(notebook)
    except KeyError:
        return None
    return record if record.data.get("inputs") == fingerprint else None


def keep_executed(
    cache: JupyterCacheAbstract,
    notebook: NotebookNode,
    source: Path,
    seconds: float,
    fingerprint: str,
) -> NbCacheRecord:
    """Store a chapter that ran from top to bottom without error, with the fingerprint
    of the inputs it ran with, for the build to show."""
    data = {"execution_seconds": seconds, "inputs": fingerprint}
    return cache.cache_notebook_bundle(
        CacheBundleIn(notebook, str(source), data=data),
        check_validity=False,
        overwrite=True,
    )


# ------------------------------------------------------------------------------------------------
# the Sphinx extension (_config.yml): the build's cache is checked as the tests' is


def _empty_stale_cache(app) -> None:
    if app.env.mystnb_config.execution_mode != "cache":
        return
    app.env.booktools_fingerprint = inputs_fingerprint()
    open_cache(
        Path(app.env.mystnb_config.execution_cache_path), app.env.booktools_fingerprint
    )


def _reread_after_new_inputs(app, env, added, changed, removed) -> list[str]:
    """Every page again when the chapters' inputs changed since the pages were read."""
    current = getattr(env, "booktools_fingerprint", None)
    if current is None or getattr(env, "booktools_read_with", None) == current:
        return []
    env.booktools_read_with = current
    return sorted(env.found_docs - added - changed - removed)


def _write_executed_copy(app, doctree) -> None:
    """myst-nb writes a chapter whose outputs it took from the cache to
    _build/jupyter_execute/ without them (it merges them into a copy that it keeps to
    itself); write the executed chapter there instead, as after an execution."""
    config = app.env.mystnb_config
    path = Path(config.output_folder) / f"{app.env.docname}.ipynb"
    if config.execution_mode != "cache" or not path.is_file():
        return
    notebook = nbformat.read(path, as_version=4)
    try:
        _, executed = get_cache(config.execution_cache_path).merge_match_into_notebook(
            notebook
        )
    except KeyError:  # not in the cache: a page without code
        return
    nbformat.write(executed, path)


def setup(app):
    # after myst-nb, which sets the cache's path at builder-inited with the default priority
    app.connect("builder-inited", _empty_stale_cache, priority=900)
    app.connect("env-get-outdated", _reread_after_new_inputs)
    app.connect("doctree-read", _write_executed_copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
