"""What the benchmarks share: running a chapter's tagged cells, training and scoring models
over split seeds, and storing the results for the chapters.

The benchmarks measure what the chapters teach: they execute the chapters' code cells tagged
`shared-with-benchmark` rather than copies of them. Their results go to
benchmarks/results/NAME.json (jetlearn.results), from which the chapters quote means and
spreads.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import log_loss

from jetimages.layout import BOOK
from jetlearn.kept import save_whole, training_key
from jetlearn.results import gain, load_results, summary, write_results

SEEDS = [2026, 1, 7, 42, 99]
"""The split seeds of every benchmark; 2026 is the one the chapters train on."""

TRAINED = Path(__file__).parent / ".trained"
"""Models trained by earlier runs (git ignores it): several benchmarks train the same
model on the same inputs, split and seed, and the second one loads it (see trained)."""
RETRAIN_VARIABLE = "BENCHMARKS_RETRAIN"
"""Set (to anything but 0) by --retrain: every model is trained again."""


def seed_benchmark_parser(description: str) -> argparse.ArgumentParser:
    """The options every benchmark over split seeds shares: --seeds, --data, --no-store."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=SEEDS,
        help="one comparison per seed (the seed sets the split, the initial weights and "
        "the batches)",
    )
    parser.add_argument("--data", default=str(BOOK / "data" / "jet-images.h5"))
    parser.add_argument(
        "--no-store",
        action="store_true",
        help="print only; leave benchmarks/results/ as it is",
    )
    parser.add_argument(
        "--retrain",
        nargs=0,
        action=_Retrain,
        help=f"train every model again instead of loading the same training from "
        f"{TRAINED.name}/",
    )
    return parser


class _Retrain(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        os.environ[RETRAIN_VARIABLE] = "1"


def score_row(
    book: dict, model, probabilities: np.ndarray, true: np.ndarray, seconds: float
) -> dict:
    """Accuracy, cross-entropy, per-class and pair AUCs, training time and size of one model."""
    g, q, _, w, z = range(5)
    return {
        "accuracy": np.mean(probabilities.argmax(axis=1) == true),
        "cross-entropy": log_loss(true, probabilities, labels=range(5)),
        **{
            f"AUC {s}": a
            for s, a in zip("gqtwz", book["auc_per_class"](probabilities, true))
        },
        "W vs Z": book["pair_auc"](probabilities, true, w, z),
        "g vs q": book["pair_auc"](probabilities, true, g, q),
        "training (s)": seconds,
        "parameters": sum(p.numel() for p in model.parameters()),
    }


def trained(book: dict, x, make_model, recipe: dict, split, labels, seed: int):
    """A model trained with the book's loop on the training rows of `split` (its best
    validation epoch kept), and the seconds its training took.

    The weights are kept in TRAINED under training_key; the same training asked for
    again, by this benchmark or another, is loaded from there (with the seconds of the
    run that trained it) unless RETRAIN_VARIABLE is set."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_rows, val_rows, _ = split
    y = torch.from_numpy(labels)
    torch.manual_seed(seed)
    model = make_model().to(device)
    train_data = (x[train_rows].to(device), y[train_rows].to(device))
    val_data = (x[val_rows].to(device), y[val_rows].to(device))
    key = training_key(model, [*train_data, *val_data], recipe, seed)
    path = TRAINED / f"{key}.pt"
    if path.exists() and os.environ.get(RETRAIN_VARIABLE, "0") in ("", "0"):
        stored = torch.load(path, map_location=device, weights_only=True)
        model.load_state_dict(stored["weights"])
        return model, stored["seconds"]
    start = time.perf_counter()
    book["train"](model, train_data, val_data, seed=seed, progress_bar=False, **recipe)
    seconds = time.perf_counter() - start
    save_whole({"weights": model.state_dict(), "seconds": seconds}, path)
    return model, seconds


def train_and_score(
    book: dict, x, make_model, recipe: dict, split, labels, seed: int
) -> dict:
    """Train one model (see trained) and score it on the test rows of `split`."""
    model, seconds = trained(book, x, make_model, recipe, split, labels, seed)
    test_rows = split[2]
    device = next(model.parameters()).device
    probabilities = book["predict_probabilities"](model, x[test_rows].to(device))
    return score_row(book, model, probabilities, labels[test_rows], seconds)


def device_line() -> str:
    if torch.cuda.is_available():
        return f"cuda ({torch.cuda.get_device_name()})"
    return f"cpu, {torch.get_num_threads()} threads"


def run_over_seeds(
    name: str,
    one_seed,
    seeds: list[int],
    models: dict,
    about: dict,
    baseline: str,
    store: bool = True,
) -> pd.DataFrame:
    """Call one_seed(seed) -> {model key: score row} for every seed, print each seed's table,
    the mean and spread, and every model's accuracy gain over `baseline`; store the results
    (with `models`, key -> {"label", "reads"}, and `about`) unless store is False."""
    print(f"device: {device_line()}", flush=True)
    start = time.perf_counter()
    tables = {}
    for seed in seeds:
        rows = one_seed(seed)
        tables[seed] = pd.DataFrame(rows).T
        print(f"\nseed {seed}\n{tables[seed].round(3).to_string()}", flush=True)
    scores = pd.concat(tables, names=["seed", "model"])
    means = summary(scores)
    print(f"\nmean and sample standard deviation over seeds {seeds}")
    print(means.round(4).to_string())
    print()
    for model in scores.index.unique("model"):
        if model != baseline:
            points = 100 * gain(scores, model, baseline)
            print(
                f"{model:>14} minus {baseline}, accuracy: {points.mean():+.2f} points "
                f"(per seed {np.round(points.to_numpy(), 2).tolist()})"
            )
    seconds = time.perf_counter() - start
    print(f"\ntotal time {seconds:.0f} s")
    if store:
        about = {
            "command": " ".join(["python", *sys.argv]),
            "total seconds": round(seconds),
            "models": models,
            **about,
        }
        print(f"stored in {write_results(name, scores, about)}")
    return scores


def update_results(name: str, scores: pd.DataFrame, models: dict) -> Path:
    """Replace the stored rows of `models` (key -> {"label", "reads"}) in benchmark NAME's
    results by those of `scores` (a run of the same script over the same seeds), keeping
    every other row."""
    stored = load_results(name)
    seeds = stored.index.unique("seed").tolist()
    if scores.index.unique("seed").tolist() != seeds:
        raise SystemExit(f"the stored results of {name} are for the seeds {seeds}")
    kept = stored.drop(index=list(models), level="model", errors="ignore")
    new = scores.loc[(slice(None), list(models)), :]
    merged = pd.concat([kept, new]).loc[
        seeds
    ]  # grouped by seed again, stored order first
    about = dict(stored.attrs)
    for key in ("date", "machine", "versions"):
        about.pop(key, None)  # written anew
    about["command"] += f"; then python {' '.join(sys.argv)}"
    about["models"] = {**about["models"], **models}
    return write_results(name, merged, about)
