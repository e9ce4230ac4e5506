"""The main project's MLP, its variations, and the later chapters' MLP, over split seeds.

For each seed it trains, on the 16 standardized features of the same jets and split:
- the main project's recipe, run with the code of 21-main-project-solutions.md (its cells
  tagged `shared-with-benchmark`: `make_mlp` and `train_mlp`, Adam at 1e-3, batches of 256,
  40 epochs, best validation epoch kept), the seed setting the split, the initial weights
  and the order of the batches, as the chapter's SEED does;
- the variations of that chapter's table, one change at a time (learning rate 3e-3 or 3e-4,
  batches of 1024, 100 epochs);
- the MLP that the later chapters compare with: `jetlearn.training.FeatureMLP` trained with
  `MLP_RECIPE` by `jetlearn.training.train` (cosine learning rate) on `split_rows`.

The split is `jetlearn.training.split_rows`, which makes the very same two
`train_test_split` calls as the chapter's task 2, and the main project's models see the
features scaled by scikit-learn's `StandardScaler`, as in its task 3; at seed 42 the first
row is therefore the chapter's own run. It prints a table per seed and the mean and sample
standard deviation over the seeds, and stores every row in
benchmarks/results/main_project.json, from which chapter 21 (and chapter 30, across pages)
quote their numbers. No pass/fail.

One task per (model, seed) (over_seeds.Task): each model's training depends on nothing but
its seed and the features, so each one can run on its own Dask worker (--dask).

Usage (from the repository root):  python benchmarks/main_project.py [--seeds 2026 1 7 42 99]
"""

import functools
import inspect
import sys
import time

import numpy as np
import torch

from jetimages.layout import BOOK
from jetlearn import training
from jetlearn.chapters import chapter_namespace
from jetlearn.results import data_record

from over_seeds import (
    exit_status,
    jets_in,
    loaded,
    run_over_seeds,
    score_row,
    seed_benchmark_parser,
    train_and_score,
)

CHAPTER = BOOK / "21-main-project-solutions.md"

VARIATIONS = {  # key: (what the chapter's table calls the change, arguments of train_mlp)
    "main_project": ("none: the main project's recipe", {}),
    "lr_3e-3": ("learning rate 3e-3", {"learning_rate": 3e-3}),
    "lr_3e-4": ("learning rate 3e-4", {"learning_rate": 3e-4}),
    "batch_1024": ("batches of 1024", {"batch_size": 1024}),
    "epochs_100": ("100 epochs instead of 40", {"epochs": 100}),
}

MODELS = {  # key: what the chapter's table calls the model, and what the model reads
    **{
        key: {"label": label, "reads": "16 features (StandardScaler)"}
        for key, (label, _) in VARIATIONS.items()
    },
    "shared_mlp": {
        "label": "later chapters' MLP (FeatureMLP, MLP_RECIPE)",
        "reads": "16 features (standardized)",
    },
}

# what jetlearn.training offers under the names that over_seeds' helpers look up
LIBRARY = {
    name: getattr(training, name)
    for name in ("train", "predict_probabilities", "auc_per_class", "pair_auc")
}


@functools.cache
def chapter() -> dict:
    """Chapter 21's tagged cells, run once per process (they set PyTorch to one
    thread)."""
    book = chapter_namespace(CHAPTER)
    # its train_mlp draws a bar per model; here each task prints one line. (An
    # environment variable would come too late where tqdm is already imported, as on a
    # Dask worker.)
    book["tqdm"] = functools.partial(book["tqdm"], disable=True)
    return book


def one_model(book: dict, jets, seed: int, key: str) -> dict:
    """Train model `key` on the split of this seed; its test-set scores."""
    split = training.split_rows(jets.labels, seed=seed)
    train_rows, val_rows, test_rows = split
    if key == "shared_mlp":
        features = training.standardized(jets.features, train_rows)
        return train_and_score(
            LIBRARY,
            features,
            training.FeatureMLP,
            training.MLP_RECIPE,
            split,
            jets.labels,
            seed,
        )
    if key not in VARIATIONS:
        raise KeyError(f"main_project has no model {key!r}")
    device = book["device"]
    scaler = book["StandardScaler"]().fit(jets.features[train_rows])
    x_train, x_val, x_test = (
        scaler.transform(jets.features[r]).astype(np.float32)
        for r in (train_rows, val_rows, test_rows)
    )
    y_train, y_val, y_test = (jets.labels[r] for r in split)
    torch.manual_seed(seed)
    model = book["make_mlp"]().to(device)
    start = time.perf_counter()
    book["train_mlp"](
        model,
        book["as_tensors"](x_train, y_train),
        book["as_tensors"](x_val, y_val),
        seed=seed,
        **VARIATIONS[key][1],
    )
    seconds = time.perf_counter() - start
    probabilities = training.predict_probabilities(
        model, torch.tensor(x_test, device=device)
    )
    return score_row(LIBRARY, model, probabilities, y_test, seconds)


def one_task(task) -> dict:
    """The models of an over_seeds.Task, on the features it reads from task.data[0]."""
    book = chapter()
    jets = loaded(task.data[0], channels=False)  # the features alone are read
    return {key: one_model(book, jets, task.seed, key) for key in task.models}


def main(argv=None) -> int:
    parser = seed_benchmark_parser(__doc__.split("\n\n")[0])
    args = parser.parse_args(argv)

    book = chapter()
    print(f"{jets_in(args.data)} jets from {args.data}")
    recipe = {  # the main project's recipe: the defaults of the chapter's train_mlp
        name: parameter.default
        for name, parameter in inspect.signature(book["train_mlp"]).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }
    about = {
        "data": data_record(args.data),
        "recipes": {
            "main_project": recipe,
            "variations": {key: changes for key, (_, changes) in VARIATIONS.items()},
            "shared_mlp": training.MLP_RECIPE,
        },
    }
    scores = run_over_seeds(
        "main_project",
        one_task,
        args,
        list(MODELS),
        MODELS,
        about,
        baseline="main_project",
        store=not args.no_store,
    )
    return exit_status(scores)


if __name__ == "__main__":
    sys.exit(main())
