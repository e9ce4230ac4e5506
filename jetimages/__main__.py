"""Command line: `python -m jetimages generate ...` and `python -m jetimages merge ...`."""

import argparse
import sys

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
    make.add_argument("--workers", type=int, default=None, help="processes to use (default: all cores)")

    join = commands.add_parser("merge", help="join shard files into one shuffled dataset")
    join.add_argument("shards", nargs="+", help="the shard files")
    join.add_argument("--out", required=True, help="the .h5 file of images to write")
    join.add_argument("--constituents-out", default=None, help="the .h5 file of particles (default: beside --out)")

    args = parser.parse_args(argv)
    try:
        if args.command == "generate":
            path = generate(
                args.out, args.jets_per_class, args.seed, args.shard, args.shards, args.workers, args.constituents_out
            )
        else:
            path = merge(args.shards, args.out, args.constituents_out)
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
