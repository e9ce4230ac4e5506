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

Usage (from the repository root):
    python benchmarks/particle_models.py [--seeds 2026 1 7 42 99] [--models pfn efn]
"""

import torch

from jetimages.layout import BOOK
from jetlearn.chapters import chapter_namespace
from jetlearn.results import data_record

from over_seeds import (
    run_over_seeds,
    seed_benchmark_parser,
    train_and_score,
    update_results,
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


def model_inputs(book: dict, jets, train_rows) -> dict:
    """key: (network input for every jet, a function that makes the model, its recipe)."""
    kept = jets.particles[
        :, : book["MAX_ROWS"]
    ]  # the hardest particles, as the chapter
    statistics = book["input_statistics"](kept, jets.jet_pt, train_rows)
    particles = book["network_input"](kept, jets.jet_pt, statistics)
    visible = book["visible_only"](kept, jets.jet_pt)
    visible_statistics = book["input_statistics"](visible, jets.jet_pt, train_rows)
    visible_particles = book["network_input"](visible, jets.jet_pt, visible_statistics)
    del visible
    features = book["standardized"](jets.features, train_rows)
    pt_and_mass = book["standardized"](book["jet_pt_and_mass"](jets), train_rows)
    recipe = book["RECIPE"]
    return {
        "mlp": (features, book["FeatureMLP"], book["MLP_RECIPE"]),
        "mlp_pt_mass": (
            torch.cat([features, pt_and_mass], dim=1),
            lambda: book["FeatureMLP"](n_features=18),
            book["MLP_RECIPE"],
        ),
        "flat": (
            particles,
            lambda: book["FlatMLP"](n_inputs=particles.shape[1]),
            recipe,
        ),
        "pfn": (particles, book["ParticleFlowNetwork"], recipe),
        "efn": (particles, book["EnergyFlowNetwork"], recipe),
        "pfn_visible": (visible_particles, book["ParticleFlowNetwork"], recipe),
        "pfn_long": (
            particles,
            lambda: book["ParticleFlowNetwork"](width=LONG_WIDTH),
            {**recipe, "epochs": LONG_EPOCHS},
        ),
    }


def one_seed(book: dict, jets, seed: int, only=None) -> dict:
    """Train the models on the split of this seed; {model key: test-set scores}."""
    split = book["split_rows"](jets.labels, seed=seed)
    rows = {}
    for key, (x, make_model, recipe) in model_inputs(book, jets, split[0]).items():
        if only is None or key in only:
            rows[key] = train_and_score(
                book, x, make_model, recipe, split, jets.labels, seed
            )
    return rows


def main() -> None:
    parser = seed_benchmark_parser(__doc__.split("\n\n")[0])
    parser.add_argument(
        "--models",
        nargs="+",
        choices=list(MODELS),
        help="train only these (the baseline mlp_pt_mass is always trained)",
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="with --models: put these models' new rows into the stored results, "
        "keeping the other models' rows (the stored seeds must be the same)",
    )
    args = parser.parse_args()
    if args.update and (args.models is None or args.no_store):
        parser.error("--update needs --models, and cannot go with --no-store")

    book = chapter_namespace(CHAPTER)
    jets = book["load_dataset"](args.data, constituents=True)
    rows = min(jets.particles.shape[1], book["MAX_ROWS"])
    print(f"{len(jets)} jets, the {rows} hardest particles of each, from {args.data}")
    only = None if args.models is None else {"mlp_pt_mass", *args.models}
    store = (
        not args.no_store and only is None
    )  # a partial run never replaces the results
    about = {
        "data": data_record(args.data),
        "recipes": {
            "particles": book["RECIPE"],
            "mlp": book["MLP_RECIPE"],
            "long epochs": LONG_EPOCHS,
            "long width": LONG_WIDTH,
        },
    }
    scores = run_over_seeds(
        "particle_models",
        lambda seed: one_seed(book, jets, seed, only),
        args.seeds,
        MODELS,
        about,
        baseline="mlp_pt_mass",
        store=store,
    )
    if args.update:
        described = {key: MODELS[key] for key in args.models}
        print(f"stored in {update_results('particle_models', scores, described)}")


if __name__ == "__main__":
    main()
