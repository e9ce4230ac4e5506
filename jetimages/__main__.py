"""The data tool's command line: `python -m jetimages generate` and `... merge`.

The only module that knows the options: it passes them to generate and merge as
keyword arguments, and prints the library's errors with the options named again, each
kind with its exit status.
"""

import argparse
import signal
import sys
import textwrap
import threading

from .errors import (
    ClusterError,
    DamagedInputError,
    DataToolError,
    MachineError,
    NotFoundError,
    OutOfSpaceError,
    UsageError,
)
from .physics import SIMULATIONS

REPLACING = (
    "An existing output file is replaced, whole and only once the new one is complete, "
    "if it is a dataset of this tool of the same kind (images, constituents or shard); "
    "anything else, or a read-only file, only with --force; a symbolic link never. A "
    "replaced file keeps its permissions."
)
EXIT_STATUS_HELP = """exit status:
  0    the output was written
  1    the machine or the cluster failed: not enough disk space, an I/O error, a Dask
       worker with other versions, Pythia that cannot start, a worker process that
       died
  2    a usage error: a bad argument, a missing file, an output that is not a dataset of
       this tool (see --force) or that another run is writing, a wrong set of shards
  3    a damaged input: a shard that is unreadable, truncated, not a dataset of this
       schema, or inconsistent in itself; make it again
  130  interrupted by Ctrl-C; 143 stopped by SIGTERM (outputs untouched either way)"""
INTERRUPTED = "outputs are replaced whole or not at all, never left half-written"
# the exit status of each kind of the library's errors, as EXIT_STATUS_HELP lists them
EXIT_STATUSES = {
    UsageError: 2,
    NotFoundError: 2,
    DamagedInputError: 3,
    OutOfSpaceError: 1,
    ClusterError: 1,
    MachineError: 1,
}
# the option of each keyword argument of generate and merge, as error messages name them
OPTIONS = {
    "out": "--out",
    "constituents_out": "--constituents-out",
    "jets_per_class": "--jets-per-class",
    "seed": "--seed",
    "shard": "--shard",
    "shards": "--shards",
    "workers": "--workers",
    "dask": "--dask",
    "simulation": "--simulation",
    "force": "--force",
}


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised as an interrupt: the run stops as on Ctrl-C, tidying up."""


def _terminate(signum, frame):
    raise Terminated


def parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    command_line = argparse.ArgumentParser(
        prog="python -m jetimages",
        description=__doc__,
        epilog=EXIT_STATUS_HELP,
        formatter_class=formatter,
    )
    commands = command_line.add_subparsers(dest="command", required=True)
    force = (
        "replace the outputs even if they are not datasets of this tool or read-only"
    )

    make = commands.add_parser(
        "generate",
        help="simulate jets and write a dataset (or one shard of it)",
        description=textwrap.fill(f"Simulate jets and write a dataset. {REPLACING}"),
        epilog=EXIT_STATUS_HELP,
        formatter_class=formatter,
    )
    make.add_argument(
        "--jets-per-class",
        type=int,
        default=16_000,
        help="jets of each of the 5 classes",
    )
    make.add_argument(
        "--seed", type=int, default=1, help="seed of the whole dataset (default 1)"
    )
    make.add_argument(
        "--out", required=True, help="the .h5 file of images (or the shard) to write"
    )
    make.add_argument(
        "--constituents-out",
        default=None,
        help="the .h5 file of particles (default: beside --out, 'images' in its name "
        "replaced by 'constituents'); shards hold everything in --out",
    )
    make.add_argument(
        "--shard", type=int, default=0, help="which shard to make, 0 .. shards-1"
    )
    make.add_argument(
        "--shards", type=int, default=1, help="into how many shards the dataset is cut"
    )
    make.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes to use on this machine or in --dask local (default: all cores)",
    )
    make.add_argument(
        "--dask",
        metavar="ADDRESS",
        default=None,
        help="run the simulation blocks on the Dask cluster whose scheduler is at "
        "ADDRESS (such as tcp://login1:8786), or on a LocalCluster for 'local'; same "
        "bytes",
    )
    make.add_argument(
        "--simulation",
        choices=list(SIMULATIONS),
        default="nominal",
        help="the shower and tune to simulate with (default: nominal, Pythia's own; "
        "the others are in jetimages/physics.py, SIMULATIONS)",
    )
    make.add_argument("--force", action="store_true", help=force)

    join = commands.add_parser(
        "merge",
        help="join shard files into one shuffled dataset",
        description=textwrap.fill(f"Join shards into one dataset. {REPLACING}"),
        epilog=EXIT_STATUS_HELP,
        formatter_class=formatter,
    )
    join.add_argument("shards", nargs="+", help="the shard files")
    join.add_argument("--out", required=True, help="the .h5 file of images to write")
    join.add_argument(
        "--constituents-out",
        default=None,
        help="the .h5 file of particles (default: beside --out)",
    )
    join.add_argument("--force", action="store_true", help=force)
    return command_line


def run(args: argparse.Namespace):
    # imported here, so that Ctrl-C while Pythia and FastJet load gives one line too
    from .generate import generate, merge

    if args.command == "generate":
        return generate(
            args.out,
            jets_per_class=args.jets_per_class,
            seed=args.seed,
            shard=args.shard,
            shards=args.shards,
            workers=args.workers,
            constituents_out=args.constituents_out,
            dask=args.dask,
            simulation=args.simulation,
            force=args.force,
        )
    return merge(
        args.shards, args.out, constituents_out=args.constituents_out, force=args.force
    )


def exit_status(error: DataToolError) -> int:
    return next(
        status for kind, status in EXIT_STATUSES.items() if isinstance(error, kind)
    )


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # SIGTERM (kill) stops a run as Ctrl-C does: temporaries removed, locks released
    on_main_thread = threading.current_thread() is threading.main_thread()
    catch_kill = on_main_thread and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    if catch_kill:
        signal.signal(signal.SIGTERM, _terminate)
    try:
        path = run(args)
    except DataToolError as error:
        print(f"error: {error.message(OPTIONS)}", file=sys.stderr)
        return exit_status(error)
    except OSError as error:  # the machine failed: an I/O error
        print(f"error: {error}", file=sys.stderr)
        return 1
    except Terminated:
        print(f"terminated: {INTERRUPTED}", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print(f"interrupted: {INTERRUPTED}", file=sys.stderr)
        return 130
    finally:
        if catch_kill:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
