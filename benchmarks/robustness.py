"""The book's taggers, trained on the nominal jets and judged on other simulations.

For each split seed it trains, on the nominal jets and with the recipes of their chapters,
every network of the chapter on trust (its MODELS: the feature MLPs, the CNNs, the PFNs,
the EFN and the particle transformer), and computes the classic taggers (groomed mass,
N-subjettiness, both together, particle multiplicity). Every tagger is scored on the nominal test jets and on every jet of each
variation (jetlearn.robustness.SIMULATIONS): accuracy, the AUC of each question of
TAGGING_PAIRS with its bootstrap error (on a variation, every seed shares its jets, so this
error does not shrink with more seeds), the background rejection of W and top jets
against quarks and gluons at the signal efficiency jetlearn.robustness.WORKING_POINT with
its bootstrap error, the background jets behind it and their Clopper-Pearson interval, and
the expected calibration error before and after temperature scaling fitted on the nominal
validation jets, beside the floor a calibrated network shows on as many jets. Scores on a
variation are stored as "SCORE [NAME]". Results go to benchmarks/results/robustness.json,
from which the chapter on trust and the book's table quote. No pass/fail.

The models and their inputs are not copied here: the chapter's code cells tagged
`shared-with-benchmark` are executed (and they run those of the CNN and particle-set
chapters).

One task per (network, seed), and one per seed for the classic taggers, which train nothing
and are scored together (over_seeds.Task); each can run on its own Dask worker (--dask). A
process computes the classic taggers' scores of every simulation once, for all its seeds.

Usage (from the repository root):
    python benchmarks/robustness.py [--seeds 2026 1 7 42 99]
    python benchmarks/robustness.py --models transformer --update   # one model's rows anew
"""

import functools
import sys

import numpy as np

from jetimages import load_dataset
from jetimages.layout import BOOK
from jetlearn.chapters import chapter_namespace
from jetlearn.results import data_record
from jetlearn.robustness import (
    SIMULATIONS,
    classic_scores,
    fit_temperature,
    network_scores,
    simulation_file,
    tagger_scores,
)

from over_seeds import (
    add_model_options,
    check_model_options,
    held,
    jets_in,
    run_benchmark,
    seed_benchmark_parser,
    trained,
)

CHAPTER = BOOK / "50-can-you-trust-it.md"
READS = {
    "mlp": "16 features",
    "mlp_pt_mass": "16 features, log jet pT, log jet mass",
    "cnn": "pT image",
    "cnn3_pt_mass": "pT, count and charged images, log jet pT, log jet mass",
    "pfn": "128 hardest particles, log jet pT",
    "efn": "pT shares and positions of the 128 hardest particles, log jet pT",
    "pfn_visible": "128 hardest particles above 0.1 GeV, log jet pT",
    "transformer": "128 hardest particles (the hardest 24 attend), their pairs, log jet pT",
    "groomed mass": "the groomed (mMDT) jet mass",
    "N-subjettiness": "tau21 (W), tau32 (top) of the 128 hardest particles",
    "mass window + N-subjettiness": "groomed mass, then tau21 (W) or tau32 (top)",
    "multiplicity": "the number of particles",
}
CLASSIC = (
    "groomed mass",
    "N-subjettiness",
    "mass window + N-subjettiness",
    "multiplicity",
)
"""The classic taggers of jetlearn.robustness.classic_scores, scored in one task per seed."""


def marked(scores: dict, simulation: str) -> dict:
    """The nominal scores keep their plain names; the others are marked [simulation]."""
    if simulation == "nominal":
        return scores
    return {f"{name} [{simulation}]": value for name, value in scores.items()}


@functools.cache
def chapter() -> dict:
    """The chapter's tagged cells, run once per process."""
    return chapter_namespace(CHAPTER)


def simulations(data: tuple) -> dict:
    """{simulation: its jets} of the files `data` (in the order of SIMULATIONS), loaded
    once per process (over_seeds.held)."""

    def load():
        return {
            name: load_dataset(path, constituents=True)
            for name, path in zip(SIMULATIONS, data, strict=True)
        }

    return held("simulations", data, load)


def judged(datasets: dict, test_rows) -> dict:
    """The rows each simulation is judged on: the nominal test jets, every other jet."""
    rows = {name: np.arange(len(jets)) for name, jets in datasets.items()}
    rows["nominal"] = test_rows
    return rows


def network_row(book: dict, datasets: dict, seed: int, key: str) -> dict:
    """Train network `key` on the nominal jets of this seed's split; its scores on
    every simulation."""
    if key not in book["MODELS"]:
        raise KeyError(f"robustness has no network {key!r}")
    _, make_model, recipe = book["MODELS"][key]
    nominal = datasets["nominal"]
    split = book["split_rows"](nominal.labels, seed=seed)
    _, val_rows, test_rows = split
    judged_rows = judged(datasets, test_rows)
    x = book["network_input"](key, nominal, nominal, split[0])
    model, seconds = trained(book, x, make_model, recipe, split, nominal.labels, seed)
    device = next(model.parameters()).device
    row = {"training (s)": seconds}
    validation = book["predict_probabilities"](model, x[val_rows].to(device))
    row["temperature"] = fit_temperature(validation, nominal.labels[val_rows])
    for name, jets in datasets.items():
        if name != "nominal":
            x = book["network_input"](key, jets, nominal, split[0])
        judged_x = x[judged_rows[name]].to(device)
        probabilities = book["predict_probabilities"](model, judged_x)
        true = jets.labels[judged_rows[name]]
        row |= marked(network_scores(probabilities, true, row["temperature"]), name)
    return row


def classic_rows(book: dict, datasets: dict, data: tuple, seed: int) -> dict:
    """{classic tagger: its scores on every simulation} for this seed's test jets."""
    classic = held(
        "classic scores",
        data,
        lambda: {name: classic_scores(jets) for name, jets in datasets.items()},
    )
    if tuple(classic["nominal"]) != CLASSIC:
        raise RuntimeError(
            f"jetlearn.robustness.classic_scores now gives {list(classic['nominal'])}; "
            f"update CLASSIC"
        )
    split = book["split_rows"](datasets["nominal"].labels, seed=seed)
    judged_rows = judged(datasets, split[2])
    rows = {}
    for tagger in CLASSIC:
        rows[tagger] = {}
        for name, jets in datasets.items():
            true = jets.labels[judged_rows[name]]
            scores = {
                pair: score[judged_rows[name]]
                for pair, score in classic[name][tagger].items()
            }
            rows[tagger] |= marked(tagger_scores(scores, true), name)
    return rows


def one_task(task) -> dict:
    """The networks of an over_seeds.Task, or the classic taggers (CLASSIC), on the
    simulations of task.data."""
    book = chapter()
    datasets = simulations(task.data)
    if task.models == CLASSIC:
        return classic_rows(book, datasets, task.data, task.seed)
    return {key: network_row(book, datasets, task.seed, key) for key in task.models}


def main(argv=None) -> int:
    parser = seed_benchmark_parser(__doc__.split("\n\n")[0])
    add_model_options(parser, [key for key in READS if key not in CLASSIC])
    args = parser.parse_args(argv)
    check_model_options(parser, args)

    book = chapter()
    data = (
        args.data,
        *(simulation_file(name, BOOK / "data") for name in SIMULATIONS[1:]),
    )
    for name, path in zip(SIMULATIONS, data, strict=True):
        print(f"{jets_in(path)} jets of the simulation {name!r}")
    models = {key: {"label": label} for key, (label, *_) in book["MODELS"].items()}
    models |= {tagger: {"label": tagger} for tagger in CLASSIC}
    for key, reads in READS.items():
        models[key]["reads"] = reads
    about = {
        "data": data_record(*data),
        "simulations": SIMULATIONS,
        "recipes": {key: recipe for key, (*_, recipe) in book["MODELS"].items()},
    }
    keys = [*book["MODELS"], CLASSIC] if args.models is None else args.models
    return run_benchmark(
        "robustness",
        one_task,
        args,
        keys,
        models,
        about,
        baseline="mlp_pt_mass",
        data=data,
    )


if __name__ == "__main__":
    sys.exit(main())
