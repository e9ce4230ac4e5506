"""Command line: `python -m jetimages generate ...` and `python -m jetimages merge ...`."""

import argparse
import sys

from .cluster import ClusterError
from .generate import generate, merge


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jetimages", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    make = commands.add_parser("generate", help="simulate jets and write a dataset (or one shard of it)")
    make.add_argument("--jets-per-class", type=int, default=16_000, help="jets of each of the 5 classes")
    make.add_argument("--seed", type=int, default=1, help="seed of the whole dataset (default 1)")
    make.add_argument("--out", required=True, help="the .h5 file of images (or the shard) to write")
    make.add_argument("--constituents-out", default=None,
                      help="the .h5 file of particles (default: beside --out, 'images' in its name "
                           "replaced by 'constituents'); shards hold everything in --out")
    make.add_argument("--shard", type=int, default=0, help="which shard to make, 0 .. shards-1")
    make.add_argument("--shards", type=int, default=1, help="into how many shards the dataset is cut")
    make.add_argument("--workers", type=int, default=None,
                      help="processes to use on this machine or in --dask local (default: all cores)")
    make.add_argument("--dask", metavar="ADDRESS", default=None,
                      help="run the simulation blocks on the Dask cluster whose scheduler is at ADDRESS "
                           "(such as tcp://login1:8786), or on a LocalCluster for 'local'; same bytes")

    join = commands.add_parser("merge", help="join shard files into one shuffled dataset")
    join.add_argument("shards", nargs="+", help="the shard files")
    join.add_argument("--out", required=True, help="the .h5 file of images to write")
    join.add_argument("--constituents-out", default=None, help="the .h5 file of particles (default: beside --out)")

    args = parser.parse_args(argv)
    try:
        if args.command == "generate":
            path = generate(
                args.out, args.jets_per_class, args.seed, args.shard, args.shards, args.workers,
                args.constituents_out, args.dask,
            )
        else:
            path = merge(args.shards, args.out, args.constituents_out)
    except (ValueError, FileNotFoundError, PermissionError) as error:  # the command asks for something impossible
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (OSError, ClusterError) as error:  # the machine or the cluster failed
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: outputs are replaced whole or not at all, never left half-written", file=sys.stderr)
        return 130
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
