"""How fast the dataset is made: the full pipeline against Pythia's bare event rate, per class.

Prints numbers, passes or fails nothing. For each class, on one core:
  - init:     seconds that Pythia's initialisation takes, paid once per block of 500 jets;
  - bare:     pythia.next() alone, with the class's settings (events per second);
  - pipeline: simulate_block (initialisation, generation, particle read-out, FastJet clustering,
              truth matching, images, features, constituents) in accepted jets per second;
  - ratio:    pipeline jets/s over bare events/s; it can never exceed the acceptance (jets per event);
  - events ratio: events through the pipeline per second over bare events/s, that is ratio over
              acceptance: the share of the time that Pythia's event generation takes.
Times per class are this process's CPU time (time.process_time), so that other work on a shared
machine does not count. Then the wall time that the 80 000-jet default needs on all cores,
extrapolated from those rates, or measured with --full (10 to 15 minutes on 2 cores).

Every number is stored, one row per class (index: the Pythia seed and the class), with the
options, the date, the machine and the versions, in benchmarks/results/dataset_generation.json,
from which chapter 10 quotes its rates and times (never typed by hand); --no-store only prints.

With --stages, one more run of each class under cProfile splits the pipeline's time into its
stages (Pythia's initialisation, event generation and read-out, clustering and truth matching,
the 16 features, images and particle tables) and prints the ratio that the pipeline would reach
if the features cost nothing: a ceiling for any speed-up of the features alone.

    python benchmarks/dataset_generation.py [--jets 400] [--repeat 1] [--full] [--stages] [--no-store]

On a shared machine, --repeat 3 keeps the best of three runs of each measurement.
"""

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

import jetimages
from jetimages import features, physics, simulation
from jetimages.generate import generate
from jetimages.schema import software_versions
from jetimages.simulation import make_pythia, simulate_block
from jetlearn.results import write_results

SEED = 12345


def bare_rate(label: str, events: int) -> tuple[float, float]:
    """Pythia's initialisation time (s) and its event rate (events/s) without anything else."""
    start = time.process_time()
    pythia = make_pythia(label, SEED)
    init = time.process_time() - start
    start = time.process_time()
    for _ in range(events):
        pythia.next()
    return init, events / (time.process_time() - start)


def pipeline_rate(label: str, jets: int) -> tuple[float, float]:
    """Accepted jets per second (Pythia initialisation included) and the acceptance per event."""
    start = time.process_time()
    block = simulate_block(label, SEED, block=0, n_jets=jets)
    return jets / (time.process_time() - start), jets / block.events_generated


# (label, the function whose cumulative time is the stage); the rest of simulate_block is "other"
STAGES = (
    ("init", simulation.make_pythia),
    ("events", simulation.read_events),
    ("jets", simulation.select_jets),
    ("features", features.jet_features),
)


def stage_seconds(label: str, jets: int) -> dict[str, float]:
    """CPU seconds per stage of simulate_block for one class, from a cProfile run."""
    profile = cProfile.Profile()
    profile.runcall(simulate_block, label, SEED, 0, jets)
    stats = pstats.Stats(
        profile
    ).stats  # (file, line, name) -> (calls, primitive, tottime, cumtime, callers)
    by_code = {(key[0], key[2]): value[3] for key, value in stats.items()}
    total = by_code[(simulation.__file__, "simulate_block")]
    seconds = {
        name: by_code[(function.__code__.co_filename, function.__name__)]
        for name, function in STAGES
    }
    # jet_arrays calls jet_features: what is left of it is images, channels and particle tables
    seconds["images etc."] = (
        by_code[(simulation.__file__, "jet_arrays")] - seconds["features"]
    )
    seconds["total"] = total
    return seconds


def print_stages(
    jets: int, bare_rates: dict[str, float]
) -> dict[str, dict[str, float]]:
    """Print and return, per class, each stage's share of the CPU time and the ceiling."""
    names = [name for name, _ in STAGES] + ["images etc."]
    print(
        f"\nshare of the pipeline's CPU time per stage (cProfile, {jets} jets per class)"
    )
    print(
        f"{'class':<6}" + "".join(f"{name:>13}" for name in names) + f"{'ceiling':>10}"
    )
    rows = {}
    for label in physics.LABELS:
        seconds = stage_seconds(label, jets)
        shares = {f"share {name}": seconds[name] / seconds["total"] for name in names}
        ceiling = jets / (seconds["total"] - seconds["features"]) / bare_rates[label]
        rows[label] = {**shares, "ceiling": ceiling}
        print(
            f"{label:<6}"
            + "".join(f"{share:>13.0%}" for share in shares.values())
            + f"{ceiling:>10.2f}",
            flush=True,
        )
    print(
        "ceiling: the ratio with the features for free (profiling slows Python code, so a little low)"
    )
    return rows


COLUMNS = {  # what each stored column holds
    "init s": "CPU seconds of Pythia's initialisation (the fastest run)",
    "bare events/s": "pythia.next() alone, events per CPU second (the fastest run)",
    "pipeline jets/s": "simulate_block, accepted jets per CPU second, initialisation included "
    "(the fastest run)",
    "acceptance": "accepted jets per generated event",
    "ratio": "pipeline jets/s over bare events/s",
    "events ratio": "ratio over acceptance: the share of the pipeline's time that is Pythia's event generation",
    "share STAGE": "with --stages: the stage's share of simulate_block's CPU time (cProfile)",
    "ceiling": "with --stages: the ratio if the features cost nothing",
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--jets", type=int, default=400, help="jets per class to time (default 400)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="keep the fastest of this many runs (default 1)",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="also time the 80 000-jet default on all cores",
    )
    parser.add_argument(
        "--stages",
        action="store_true",
        help="also split each class's time into its stages",
    )
    parser.add_argument(
        "--no-store",
        action="store_true",
        help="print only; leave benchmarks/results/ as it is",
    )
    args = parser.parse_args()

    begin = time.perf_counter()
    cores = os.cpu_count() or 1
    print(
        f"{args.jets} jets per class; jetimages from {Path(jetimages.__file__).parent}"
    )
    print(
        f"{'class':<6}{'init s':>8}{'bare events/s':>15}{'pipeline jets/s':>17}{'acceptance':>12}{'ratio':>8}"
        f"{'events ratio':>14}"
    )
    seconds_per_jet, bare_rates, rows = [], {}, {}
    for label in physics.LABELS:
        bare_runs = [bare_rate(label, args.jets) for _ in range(args.repeat)]
        init, bare = min(run[0] for run in bare_runs), max(run[1] for run in bare_runs)
        # the same events every time, so the same acceptance: the fastest run is kept
        pipeline, acceptance = max(
            pipeline_rate(label, args.jets) for _ in range(args.repeat)
        )
        seconds_per_jet.append(1 / pipeline)
        bare_rates[label] = bare
        rows[label] = {
            "init s": init,
            "bare events/s": bare,
            "pipeline jets/s": pipeline,
            "acceptance": acceptance,
            "ratio": pipeline / bare,
            "events ratio": pipeline / acceptance / bare,
        }
        print(
            f"{label:<6}{init:>8.2f}{bare:>15.1f}{pipeline:>17.1f}{acceptance:>12.2f}{pipeline / bare:>8.2f}"
            f"{pipeline / acceptance / bare:>14.2f}",
            flush=True,
        )

    if args.stages:
        for label, stages in print_stages(args.jets, bare_rates).items():
            rows[label].update(stages)

    per_class = 16_000
    estimate = per_class * sum(seconds_per_jet) / cores
    print(
        f"\nextrapolated wall time for 5 x {per_class} jets on {cores} cores: {estimate / 60:.1f} min"
    )
    default = {
        "jets per class": per_class,
        "seed": 1,
        "cores": cores,
        "extrapolated wall s": estimate,
        "extrapolated": "simulation only, no file writing: jets per class x the sum over the "
        "classes of CPU seconds per jet, divided by the cores",
    }
    if args.full:
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            generate(os.path.join(folder, "jets.h5"), jets_per_class=per_class, seed=1)
            measured = time.perf_counter() - start
            print(
                f"measured wall time for 5 x {per_class} jets on {cores} cores: {measured / 60:.1f} min"
            )
            default["measured wall s"] = measured

    seconds = time.perf_counter() - begin
    print(f"\ntotal time {seconds:.0f} s")
    if not args.no_store:
        table = pd.DataFrame.from_dict(rows, orient="index")
        table.index = pd.MultiIndex.from_product(
            [[SEED], table.index], names=["seed", "model"]
        )
        about = {
            "command": " ".join(["python", *sys.argv]),
            "options": {
                "jets": args.jets,
                "repeat": args.repeat,
                "full": args.full,
                "stages": args.stages,
            },
            "total seconds": round(seconds),
            "rows are": "one per jet class (model: the class label, seed: the Pythia seed); CPU time "
            "of one process (time.process_time), so other work on the machine counts little",
            "columns": COLUMNS,
            "default dataset": default,
            "software": software_versions(),
        }
        print(f"stored in {write_results('dataset_generation', table, about)}")


if __name__ == "__main__":
    main()
