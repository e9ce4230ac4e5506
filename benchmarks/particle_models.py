"""The models of the particle-set chapter over split seeds, on the same jets and splits as the
CNN chapter's benchmark.

For each seed (which sets the split, the initial weights and the batches) it trains every model
of the chapter's table (MODELS below says what each one reads), including one that the chapter
does not train itself: its PFN made wider (LONG_WIDTH units in the hidden layers instead of
the chapter's default) and trained for LONG_EPOCHS epochs instead of the chapter's recipe.
It prints a table per seed and the mean and sample standard deviation over the seeds of test
accuracy, cross-entropy, per-class AUC, the W-vs-Z and g-vs-q pair AUCs and training time, and
stores every row in benchmarks/results/particle_models.json, from which the chapter quotes
its means, spreads and margins (the CNNs come from cnn_models.json, same seeds). No pass/fail.

The chapter is not copied here: its code cells tagged `shared-with-benchmark` are executed, so
this script always measures what the chapter teaches.

One task per (model, seed) (over_seeds.Task): a task makes only its own model's input, and
each can run on its own Dask worker (--dask).

Usage (from the repository root):
    python benchmarks/particle_models.py [--seeds 2026 1 7 42 99] [--models pfn efn]
"""

import functools
import sys

import torch

from jetimages.layout import BOOK
from jetlearn.chapters import chapter_namespace
from jetlearn.results import data_record

from over_seeds import (
    add_model_options,
    check_model_options,
    jets_in,
    loaded,
    run_benchmark,
    seed_benchmark_parser,
    train_and_score,
)

CHAPTER = BOOK / "40-particle-sets.md"
LONG_EPOCHS = 30
LONG_WIDTH = 64

MODELS = {  # key: what the chapter's table calls the model, and what the model reads
    "mlp": {"label": "MLP, 16 features", "reads": "16 features"},
    "mlp_pt_mass": {
        "label": "MLP, 16 features + jet pT and mass",
        "reads": "16 features, log jet pT, log jet mass",
    },
    "flat": {
        "label": "FlatMLP, particle list",
        "reads": "128 hardest particles in pT order, log jet pT",
    },
    "pfn": {"label": "PFN", "reads": "128 hardest particles, log jet pT"},
    "efn": {
        "label": "EFN",
        "reads": "pT shares and positions of the 128 hardest particles, log jet pT",
    },
    "pfn_visible": {
        "label": "PFN, particles above 0.1 GeV",
        "reads": "128 hardest particles above 0.1 GeV, log jet pT",
    },
    "pfn_long": {
        "label": f"PFN, width {LONG_WIDTH}, {LONG_EPOCHS} epochs",
        "reads": "128 hardest particles, log jet pT",
    },
}


@functools.cache
def chapter() -> dict:
    """The chapter's tagged cells, run once per process."""
    return chapter_namespace(CHAPTER)


def model_input(book: dict, jets, key: str, train_rows):
    """(network input for every jet, a function that makes the model, its recipe) of
    model `key`, scaled on `train_rows`; only what this model reads is made."""
    if key not in MODELS:
        raise KeyError(f"particle_models has no model {key!r}")
    if key.startswith("mlp"):
        features = book["standardized"](jets.features, train_rows)
        if key == "mlp":
            return features, book["FeatureMLP"], book["MLP_RECIPE"]
        pt_and_mass = book["standardized"](book["jet_pt_and_mass"](jets), train_rows)
        return (
            torch.cat([features, pt_and_mass], dim=1),
            lambda: book["FeatureMLP"](n_features=18),
            book["MLP_RECIPE"],
        )
    recipe = book["RECIPE"]
    # the hardest particles, as the chapter
    kept = jets.particles[:, : book["MAX_ROWS"]]
    if key == "pfn_visible":
        kept = book["visible_only"](kept, jets.jet_pt)
    statistics = book["input_statistics"](kept, jets.jet_pt, train_rows)
    particles = book["network_input"](kept, jets.jet_pt, statistics)
    del kept
    if key == "flat":
        return (
            particles,
            lambda: book["FlatMLP"](n_inputs=particles.shape[1]),
            recipe,
        )
    if key == "efn":
        return particles, book["EnergyFlowNetwork"], recipe
    if key == "pfn_long":
        return (
            particles,
            lambda: book["ParticleFlowNetwork"](width=LONG_WIDTH),
            {**recipe, "epochs": LONG_EPOCHS},
        )
    return particles, book["ParticleFlowNetwork"], recipe  # pfn, pfn_visible


def one_task(task) -> dict:
    """The models of an over_seeds.Task, on the jets of task.data[0] and their
    particles."""
    book = chapter()
    jets = loaded(task.data[0], constituents=True)
    split = book["split_rows"](jets.labels, seed=task.seed)
    rows = {}
    for key in task.models:
        x, make_model, recipe = model_input(book, jets, key, split[0])
        rows[key] = train_and_score(
            book, x, make_model, recipe, split, jets.labels, task.seed
        )
    return rows


def main(argv=None) -> int:
    parser = seed_benchmark_parser(__doc__.split("\n\n")[0])
    add_model_options(parser, list(MODELS), always=["mlp_pt_mass"])
    args = parser.parse_args(argv)
    check_model_options(parser, args)

    book = chapter()
    print(
        f"{jets_in(args.data)} jets, the {book['MAX_ROWS']} hardest particles of "
        f"each at most, from {args.data}"
    )
    only = None if args.models is None else {"mlp_pt_mass", *args.models}
    about = {
        "data": data_record(args.data),
        "recipes": {
            "particles": book["RECIPE"],
            "mlp": book["MLP_RECIPE"],
            "long epochs": LONG_EPOCHS,
            "long width": LONG_WIDTH,
        },
    }
    return run_benchmark(
        "particle_models",
        one_task,
        args,
        [key for key in MODELS if only is None or key in only],
        MODELS,
        about,
        baseline="mlp_pt_mass",
    )


if __name__ == "__main__":
    sys.exit(main())
