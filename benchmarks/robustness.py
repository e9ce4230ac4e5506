"""The book's taggers, trained on the nominal jets and judged on other simulations.

For each split seed it trains, on the nominal jets and with the recipes of their chapters,
every network of the chapter on trust (its MODELS: the feature MLPs, the CNNs, the PFN and
the EFN), and computes the classic taggers (groomed mass, N-subjettiness, both together,
particle multiplicity). Every tagger is scored on the nominal test jets and on every jet of each
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

Usage (from the repository root):  python benchmarks/robustness.py [--seeds 2026 1 7 42 99]
"""

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

from over_seeds import run_over_seeds, seed_benchmark_parser, trained

CHAPTER = BOOK / "50-can-you-trust-it.md"
READS = {
    "mlp": "16 features",
    "mlp_pt_mass": "16 features, log jet pT, log jet mass",
    "cnn": "pT image",
    "cnn3_pt_mass": "pT, count and charged images, log jet pT, log jet mass",
    "pfn": "128 hardest particles, log jet pT",
    "efn": "pT shares and positions of the 128 hardest particles, log jet pT",
    "pfn_visible": "128 hardest particles above 0.1 GeV, log jet pT",
    "groomed mass": "the groomed (mMDT) jet mass",
    "N-subjettiness": "tau21 (W), tau32 (top) of the 128 hardest particles",
    "mass window + N-subjettiness": "groomed mass, then tau21 (W) or tau32 (top)",
    "multiplicity": "the number of particles",
}


def marked(scores: dict, simulation: str) -> dict:
    """The nominal scores keep their plain names; the others are marked [simulation]."""
    if simulation == "nominal":
        return scores
    return {f"{name} [{simulation}]": value for name, value in scores.items()}


def one_seed(book: dict, datasets: dict, classic: dict, seed: int) -> dict:
    """Train the networks on this seed's split; {tagger: scores on every simulation}."""
    nominal = datasets["nominal"]
    split = book["split_rows"](nominal.labels, seed=seed)
    _, val_rows, test_rows = split
    judged_rows = {name: np.arange(len(jets)) for name, jets in datasets.items()}
    judged_rows["nominal"] = test_rows
    rows = {}
    for key, (_, make_model, recipe) in book["MODELS"].items():
        x = book["network_input"](key, nominal, nominal, split[0])
        model, seconds = trained(
            book, x, make_model, recipe, split, nominal.labels, seed
        )
        device = next(model.parameters()).device
        row = {"training (s)": seconds}
        validation = book["predict_probabilities"](model, x[val_rows].to(device))
        row["temperature"] = fit_temperature(validation, nominal.labels[val_rows])
        for name, jets in datasets.items():
            if name != "nominal":
                x = book["network_input"](key, jets, nominal, split[0])
            judged = x[judged_rows[name]].to(device)
            probabilities = book["predict_probabilities"](model, judged)
            true = jets.labels[judged_rows[name]]
            row |= marked(network_scores(probabilities, true, row["temperature"]), name)
        rows[key] = row
    for tagger in classic["nominal"]:
        rows[tagger] = {}
        for name, jets in datasets.items():
            true = jets.labels[judged_rows[name]]
            scores = {
                pair: score[judged_rows[name]]
                for pair, score in classic[name][tagger].items()
            }
            rows[tagger] |= marked(tagger_scores(scores, true), name)
    return rows


def main() -> None:
    parser = seed_benchmark_parser(__doc__.split("\n\n")[0])
    args = parser.parse_args()

    book = chapter_namespace(CHAPTER)
    datasets = {
        name: load_dataset(
            args.data if name == "nominal" else simulation_file(name, BOOK / "data"),
            constituents=True,
        )
        for name in SIMULATIONS
    }
    for name, jets in datasets.items():
        print(f"{len(jets)} jets of the simulation {name!r}")
    classic = {name: classic_scores(jets) for name, jets in datasets.items()}
    models = {key: {"label": label} for key, (label, *_) in book["MODELS"].items()}
    models |= {tagger: {"label": tagger} for tagger in classic["nominal"]}
    for key, reads in READS.items():
        models[key]["reads"] = reads
    about = {
        "data": data_record(
            args.data,
            *(simulation_file(name, BOOK / "data") for name in SIMULATIONS[1:]),
        ),
        "simulations": SIMULATIONS,
        "recipes": {key: recipe for key, (*_, recipe) in book["MODELS"].items()},
    }
    run_over_seeds(
        "robustness",
        lambda seed: one_seed(book, datasets, classic, seed),
        args.seeds,
        models,
        about,
        baseline="mlp_pt_mass",
        store=not args.no_store,
    )


if __name__ == "__main__":
    main()
