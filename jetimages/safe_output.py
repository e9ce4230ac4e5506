"""Writing outputs safely, whether a file or a folder.

An output is written beside its target under a temporary name and renamed over the
target only once complete, so that a failed or interrupted run leaves the old target as
it was. An existing target is replaced only if this tool made it, or with `force`; a
lock beside it stops a second run that writes the same target; the free space is checked
before writing; Ctrl-C and a kill are held while the outputs are renamed into place.

`replacing` does all of this for one file or folder; `write_dataset` for the files of a
dataset (schema.py says what they hold).
"""

import contextlib
import errno
import os
import re
import secrets
import shutil
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import filelock
import numpy as np

from . import schema
from .errors import NotFoundError, OutOfSpaceError, UsageError, named

NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
FINISHING = (
    "stopping: the files being compressed in memory are finished first (a minute or "
    "more for a large dataset), then nothing is written"
)
_LIST_HEADER = "jetimages: locked by a run writing this file; its temporary files:\n"


def check_output(
    path: str | os.PathLike,
    argument: str,
    *,
    description: str,
    why_not_ours: Callable[[Path], str | None],
    force: bool,
    folder: bool = False,
) -> Path:
    """Check, before any work, that the file (or, with `folder`, the folder) that the
    keyword argument `argument` names can be written at `path`, and that whatever is
    there may be replaced. Changes nothing.

    `description` names the output in messages ("the .h5 file"). An existing target is
    replaced if `why_not_ours(path)` finds nothing against it (None; otherwise a clause
    such as "is not a dataset of this tool"), or with `force`, but never when it is of
    another kind: a folder for a file, a file for a folder, a device or a pipe. Raises
    UsageError or NotFoundError with a message that says what to do.
    """
    subject = named(argument) + " {path}"  # how messages open: "out data/x.h5"
    if str(path).strip() == "":
        raise UsageError(
            named(argument) + " is empty: give the path of {description} to write",
            description=description,
        )
    path = Path(path)
    if path.is_symlink():
        # replacing the link would leave what it points to as it was; writing there
        # would write wherever the link leads: neither is what was asked
        raise UsageError(
            subject + " is a symbolic link (to {link}): give the path of the file it "
            "points to, or another path",
            path=path,
            link=os.readlink(path),
        )
    if not folder and path.is_dir():
        raise UsageError(
            subject + " is a folder: give the path of {description} in it",
            path=path,
            description=description,
        )
    parent = path.parent
    if not parent.is_dir():
        reason = (
            "is a file, not a folder"
            if parent.exists()
            else "does not exist; create it first"
        )
        raise NotFoundError(
            "cannot write {path}: {parent} {reason}",
            path=path,
            parent=parent,
            reason=reason,
        )
    # the only sure test of permission (root, read-only mounts, ACLs): make a file
    try:
        handle, probe = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".probe", dir=parent
        )
    except OSError as error:
        raise UsageError(
            "cannot write {path}: no file can be created in {parent} ({reason}); "
            "choose another folder",
            path=path,
            parent=parent,
            reason=error.strerror,
        ) from None
    os.close(handle)
    os.unlink(probe)
    if path.exists():
        _check_replaceable(path, subject, why_not_ours, force, folder)
    return path


def _check_replaceable(
    path: Path,
    subject: str,
    why_not_ours: Callable[[Path], str | None],
    force: bool,
    folder: bool,
) -> None:
    mode = os.stat(path).st_mode
    if not (stat.S_ISDIR(mode) if folder else stat.S_ISREG(mode)):
        # another kind of thing, such as a device or a pipe: never meant, even forced
        raise UsageError(
            subject + " exists and is not a {kind}; give another path",
            path=path,
            kind="folder" if folder else "regular file",
        )
    if force:
        return
    if not mode & stat.S_IWUSR:
        raise UsageError(
            subject + " is read-only: add {force} to replace it", path=path
        )
    reason = why_not_ours(path)
    if reason:
        raise UsageError(
            subject + " exists and {reason}: give another path, or add {force} to "
            "replace it",
            path=path,
            reason=reason,
        )


def check_dataset_output(
    path: str | os.PathLike, argument: str = "out", *, kind: str, force: bool
) -> Path:
    """check_output for one dataset file or shard, which replaces only a file of this
    tool of the same `kind` (a key of schema.KINDS) unless forced."""
    return check_output(
        path,
        argument,
        description="the .h5 file",
        why_not_ours=lambda existing: schema.why_not_a_dataset(existing, kind),
        force=force,
    )


def check_dataset_outputs(
    out: str | os.PathLike,
    constituents_out: str | os.PathLike | None = None,
    *,
    force: bool,
) -> dict[Path, list[str]]:
    """The files that write_dataset(out, ..., constituents_out) makes, each with the
    names of the arrays it gets, each checked by check_dataset_output."""
    if constituents_out is None:
        return {
            check_dataset_output(out, kind="shard", force=force): list(schema.ARRAYS)
        }
    path = check_dataset_output(out, kind="images", force=force)
    other = check_dataset_output(
        constituents_out, "constituents_out", kind="constituents", force=force
    )
    if other.resolve() == path.resolve():
        raise UsageError(
            "{constituents_out} {other} is the same file as {out}: give the two files "
            "different names",
            other=other,
        )
    return {path: schema.arrays_of("images"), other: schema.arrays_of("constituents")}


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def check_free_space(sizes: dict[Path, int], estimated: bool = False) -> None:
    """That each file system has room for the new files of `sizes` (bytes) that go
    there, beside the files they replace; otherwise OutOfSpaceError."""
    by_device: dict[int, list[Path]] = {}
    for path in sizes:
        by_device.setdefault(os.stat(path.parent).st_dev, []).append(path)
    for paths in by_device.values():
        needed = sum(sizes[path] for path in paths)
        free = shutil.disk_usage(paths[0].parent).free
        if needed > free:
            raise OutOfSpaceError(
                "not enough space for {paths}: {about}{needed} needed, {free} free; "
                "free some space or choose another folder",
                paths=" and ".join(map(str, paths)),
                about="about " if estimated else "",
                needed=_megabytes(needed),
                free=_megabytes(free),
            )


def _lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.jetimages-lock")


def _list_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.jetimages-temporaries")


def _temporary_pattern(target: Path) -> re.Pattern:
    return re.compile(re.escape(f".{target.name}.jetimages-") + r"[0-9a-f]{16}\.tmp")


def _remove(path: Path) -> None:
    """Remove a temporary file or folder of this tool, if it is there."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _refuse_link(path: Path) -> None:
    """UsageError if `path` is a symbolic link: this tool never makes one beside its
    outputs, and following it would create or overwrite a file elsewhere."""
    if path.is_symlink():
        raise UsageError(
            "{path} is a symbolic link, which this tool never makes and never follows; "
            "remove it",
            path=path,
        )


def _listed(path: Path) -> list[str]:
    """The names that the list of temporaries at `path` holds: none if there is no file
    or an empty one (filelock's lock file); UsageError if this tool did not write it or
    if it is a symbolic link."""
    _refuse_link(path)
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return []
    with os.fdopen(handle, "rb") as file:
        content = file.read().decode(errors="replace")
    if content and not content.startswith(_LIST_HEADER):
        raise UsageError(
            "{path} is in the way: this tool did not make it; move it", path=path
        )
    return content.splitlines()[1:]


@contextlib.contextmanager
def _space_for(target: Path, beside: Path) -> Iterator[None]:
    """OutOfSpaceError for a full disk while the file `beside` the target is written."""
    try:
        yield
    except OSError as error:
        if error.errno not in NO_SPACE:
            raise
        raise OutOfSpaceError(
            "no space left for {target}, not even for {beside}; free some space, or "
            "choose another folder",
            target=target,
            beside=beside.name,
        ) from None


class OutputLocks:
    """Locks on the outputs of one run, held from its start to its end, so that a
    second run writing the same output stops at its start instead of losing one result.

    Each lock is a filelock.FileLock on `.NAME.jetimages-lock` beside its output; while
    it is held, `.NAME.jetimages-temporaries` beside it lists the temporary files and
    folders the run makes there, each before it is made. The operating system releases
    the lock of a killed run, which leaves both files behind; the next run that locks
    the output removes exactly the temporaries listed, so never anything that this tool
    did not make. The list is a file of its own because the lock file is filelock's.
    """

    def __init__(self):
        self._locks: dict[Path, filelock.BaseFileLock] = {}
        self._lists: dict[Path, int] = {}

    def acquire(self, target: Path) -> None:
        lock_path, list_path = _lock_path(target), _list_path(target)
        # checked before locking, since filelock takes any file there as its lock
        # (and on Windows removes it); before filelock, the lock file held the list
        names = _listed(lock_path)
        _refuse_link(list_path)
        # no soft lock where a file system lacks flock: a killed run's would block
        lock = filelock.FileLock(lock_path, timeout=0, fallback_to_soft=False)
        try:
            with _space_for(target, lock_path):
                lock.acquire()
        except filelock.Timeout:
            raise UsageError(
                "another run is writing {target} now (it holds {lock}); wait for "
                "it to end, or write another file",
                target=target,
                lock=lock_path.name,
            ) from None
        self._locks[target] = lock  # from here on, release() removes the lock file
        names += _listed(list_path)
        pattern = _temporary_pattern(target)
        for name in names:
            leftover = target.with_name(name)
            if pattern.fullmatch(name) and leftover.exists():
                _remove(leftover)
                print(
                    f"removed {leftover}, left behind by an interrupted write of "
                    f"{target.name}",
                    file=sys.stderr,
                )
        with _space_for(target, list_path):
            # never through a link planted meanwhile (ELOOP): it could lead anywhere
            self._lists[target] = os.open(
                list_path,
                os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0),
                0o644,
            )
            os.write(self._lists[target], _LIST_HEADER.encode())

    def temporary(self, target: Path) -> Path:
        """A new name for a temporary file or folder beside `target`, listed first."""
        name = f".{target.name}.jetimages-{secrets.token_hex(8)}.tmp"
        with _space_for(target, _list_path(target)):
            os.write(self._lists[target], f"{name}\n".encode())
        return target.with_name(name)

    def release(self) -> None:
        for target, lock in self._locks.items():
            if target in self._lists:  # this run's list, not a file in the way
                os.close(self._lists.pop(target))
                _list_path(target).unlink(missing_ok=True)
            if isinstance(lock, filelock.UnixFileLock):
                # UnixFileLock leaves its file (WindowsFileLock removes it). Removed
                # while still locked: filelock does not count a lock taken meanwhile
                # on the removed file as held (st_nlink 0), so no two runs hold one.
                _lock_path(target).unlink(missing_ok=True)
            lock.release()
        self._locks.clear()


@contextlib.contextmanager
def locked_outputs(targets: Iterable[Path]) -> Iterator[OutputLocks]:
    """The OutputLocks of `targets`, released at the end; UsageError if another run
    holds one. Locking removes the temporary files that killed runs left beside the
    targets."""
    locks = OutputLocks()
    try:
        for target in targets:
            locks.acquire(Path(target))
        yield locks
    finally:
        locks.release()


class InterruptsHeld:
    """Holds Ctrl-C (SIGINT) and any other signal whose handler raises an exception
    (SIGTERM under `python -m jetimages`) for the length of a `with` block, so that none
    is lost inside HDF5 or splits a dataset's two files. The end of the block passes a
    held signal on to its handler. Ignored signals stay ignored."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, notice: str | None = None):
        # printed when a signal is held, for a block that can take long
        self.notice = notice

    def __enter__(self):
        self.received = None
        self.previous = {}
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                if callable(signal.getsignal(signum)):
                    self.previous[signum] = signal.signal(signum, self._hold)
        return self

    def _hold(self, signum, frame):
        if self.received is None:
            self.received = signum
            if self.notice:
                print(self.notice, file=sys.stderr, flush=True)

    def __exit__(self, kind, error, traceback):
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        if kind is None and self.received is not None:
            self.previous[self.received](self.received, None)
        return False


def _rename_over(temporary: Path, target: Path, locks: OutputLocks) -> None:
    """Put the complete temporary file or folder in the place of `target`, with the
    permissions of the target it replaces."""
    if not target.exists():
        os.replace(temporary, target)
        return
    os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode))
    if not target.is_dir():
        os.replace(temporary, target)
        return
    # a rename cannot replace a folder that holds files: the old one goes aside first,
    # under a name in the lock, so that a killed run leaves nothing unaccounted for
    old = locks.temporary(target)
    target.rename(old)
    temporary.rename(target)
    shutil.rmtree(old)


@contextlib.contextmanager
def renamed_into_place(
    targets: Iterable[Path], locks: OutputLocks
) -> Iterator[dict[Path, Path]]:
    """A temporary path beside each of the locked `targets`, for its new file or folder,
    which the block makes; when the block ends without error, each is renamed over its
    target, all of them before a Ctrl-C or kill that comes meanwhile is raised. Whatever
    stops the block, the targets stay as they were and the temporaries are removed."""
    temporaries = {target: locks.temporary(target) for target in targets}
    try:
        yield temporaries
        with InterruptsHeld():
            for target, temporary in temporaries.items():
                _rename_over(temporary, target, locks)
    finally:
        for temporary in temporaries.values():
            _remove(temporary)


@contextlib.contextmanager
def replacing(
    target: str | os.PathLike,
    argument: str,
    *,
    description: str,
    why_not_ours: Callable[[Path], str | None],
    force: bool = False,
    folder: bool = False,
) -> Iterator[Path]:
    """Write one file, or with `folder` one folder, safely in the place of `target`.

    Checks `target` as check_output does (with the same arguments) and locks it, then
    gives the path to write the new output to: a temporary beside `target` (a folder:
    made, empty; a file: not made yet). When the block ends without error, it is renamed
    over `target`, keeping the permissions of what it replaces; otherwise it is removed
    and `target` stays as it was. Replacing a folder takes two renames (the old folder
    aside, then the new one into place) where replacing a file takes one.

        with replacing(outdir, "outdir", description="the handout folder",
                       why_not_ours=not_a_handout, folder=True) as staging:
            (staging / "README.md").write_text(...)
    """
    target = check_output(
        target,
        argument,
        description=description,
        why_not_ours=why_not_ours,
        force=force,
        folder=folder,
    )
    with (
        locked_outputs([target]) as locks,
        renamed_into_place([target], locks) as temporaries,
    ):
        if folder:
            temporaries[target].mkdir()
        yield temporaries[target]


def _write_file(path: Path, content: bytes) -> None:
    """A new file at `path` holding `content`, readable by all, on disk when this
    returns."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:  # a full disk fails here, before the first byte
            os.posix_fallocate(handle, 0, len(content))
        except (AttributeError, OSError) as error:  # no fallocate: the writes will tell
            if getattr(error, "errno", None) in NO_SPACE:
                raise
        view = memoryview(content)
        while view:
            view = view[os.write(handle, view) :]
        os.fchmod(handle, 0o644)
        # late write errors (NFS, quotas) surface here, before the rename
        os.fsync(handle)
    finally:
        os.close(handle)


def write_dataset(
    out: str | os.PathLike,
    arrays: dict[str, np.ndarray],
    attrs: dict,
    constituents_out: str | os.PathLike | None = None,
    *,
    force: bool = False,
    locks: OutputLocks | None = None,
) -> Path:
    """Write a dataset atomically: into temporary files beside the targets, renamed over
    them only when all are complete.

    With `constituents_out`, the image arrays go to `out` and the particle arrays to
    that second file; without it (a shard), every array goes to `out`. An existing file
    at a target is replaced only if it is a dataset of this tool, or with `force` (see
    check_dataset_output); it keeps its permissions. `locks`: the run's locks on the
    targets (locked_outputs), or None to take them here. Ctrl-C while the files are made
    stops the write before anything is renamed (KeyboardInterrupt); too little space
    stops it with OutOfSpaceError. Either way the old files stay as they were and no
    temporary file is left.
    """
    targets = check_dataset_outputs(out, constituents_out, force=force)
    with contextlib.ExitStack() as stack:
        if locks is None:
            locks = stack.enter_context(locked_outputs(targets))
        # raised once HDF5 is done, before anything is written
        with InterruptsHeld(notice=FINISHING):
            images = {
                target: schema.file_image(names, arrays, attrs)
                for target, names in targets.items()
            }
        check_free_space({target: len(image) for target, image in images.items()})
        with renamed_into_place(targets, locks) as temporaries:
            for target, temporary in temporaries.items():
                try:
                    _write_file(temporary, images[target])
                except OSError as error:
                    if error.errno not in NO_SPACE:
                        raise
                    raise OutOfSpaceError(
                        "no space left for {target}: it needs {size}; nothing was "
                        "replaced (free some space, or choose another folder)",
                        target=target,
                        size=_megabytes(len(images[target])),
                    ) from None
    return Path(out)
