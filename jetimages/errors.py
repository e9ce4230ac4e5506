"""The data tool's errors: one hierarchy, so that a caller catches all of them
(DataToolError) or one kind, and the command line gives each kind its exit status.

A message says, in one line, what is wrong and what to do. Where it names an argument
of the call, such as the seed or `force`, it names it in the caller's terms: str() as
Python spells the keyword, and `message(spelling)` as the command line spells its
option.
"""

from collections.abc import Mapping

# How str() names an argument whose keyword alone would not say what to pass
PYTHON_SPELLING = {"force": "force=True"}


def named(argument: str) -> str:
    """The template field that names the keyword argument `argument` in a message."""
    return "{" + argument + "}"


class _Spelled(dict):
    """A message's values, and, for any other field, the argument it names, spelled."""

    def __init__(self, values: Mapping, spelling: Mapping[str, str]):
        super().__init__(values)
        self.spelling = spelling

    def __missing__(self, argument: str) -> str:
        return self.spelling.get(argument, argument)


class DataToolError(Exception):
    """Something the data tool cannot do, and what to do about it, in one line.

    The message is a str.format template. A field given in `values` is filled with that
    value: paths and numbers go there, so that braces in a path are never read as a
    field. Any other field names a keyword argument, such as {seed} or {force}.
    """

    def __init__(self, template: str, **values):
        super().__init__(template)
        self.template = template
        self.values = values

    def message(self, spelling: Mapping[str, str]) -> str:
        """The message, each argument spelled as `spelling` says (or as its keyword)."""
        return self.template.format_map(_Spelled(self.values, spelling))

    def __str__(self) -> str:
        return self.message(PYTHON_SPELLING)


class UsageError(DataToolError, ValueError):
    """The call asks for something impossible: a bad number, an output path that
    cannot be written or is not a dataset, a wrong set of shards, an output another run
    writes."""


class NotFoundError(DataToolError, FileNotFoundError):
    """A file or folder that the call names does not exist."""


class DamagedInputError(DataToolError, ValueError):
    """An input file is not what it claims: unreadable, truncated, not a jet dataset of
    this schema, or inconsistent inside. Not the caller's fault: the file must be made
    again."""


class OutOfSpaceError(DataToolError):
    """Not enough free space for the output: nothing was written, nothing replaced."""


class ClusterError(DataToolError, RuntimeError):
    """A Dask worker cannot make the same bytes as this machine."""


class MachineError(DataToolError, RuntimeError):
    """This machine cannot do the work: Pythia cannot start, a worker process died, too
    little memory."""
