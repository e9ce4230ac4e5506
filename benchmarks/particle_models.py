"""The models of the particle-set chapter, and the CNNs of the CNN chapter, over split seeds.

For each seed (which sets the split, the initial weights and the batches) it trains, on the
same jets and split:
- mlp: FeatureMLP on the 16 standardized features (jetimages.training);
- flat: the particle chapter's FlatMLP on the flattened, pT-sorted particle list;
- pfn: its ParticleFlowNetwork; efn: its EnergyFlowNetwork (particles plus the jet's log pT);
- cnn: the CNN chapter's JetCNN on the square root of the pT image;
- scaled: its BranchedCNN on three image channels plus the energy scale (log jet pT and mass);
and prints a table per seed, then the mean and the sample standard deviation over the seeds of
test accuracy, cross-entropy, per-class AUC, the W-vs-Z and g-vs-q pair AUCs and training
time, and the per-seed differences that the particle chapter's conclusions rest on. No
pass/fail: the chapter's assertions take their margins from the spread printed here.

Neither chapter is copied here: the code cells that the chapters tag `shared-with-benchmark`
are executed, so this script always measures what the chapters teach. `--no-cnn` leaves out
the two CNNs (most of the time on a CPU).

Usage (from the repository root):
    python benchmarks/particle_models.py [--seeds 2026 1 7] [--no-cnn]
"""

import argparse
import time

import numpy as np
import pandas as pd
import torch
from sklearn.preprocessing import StandardScaler

from book_cells import BOOK, chapter_namespace, score_row

PARTICLE_CHAPTER = BOOK / "40-particle-sets.md"
CNN_CHAPTER = BOOK / "30-convolutional-neural-networks.md"


def standardized(values: np.ndarray, train_rows: np.ndarray) -> torch.Tensor:
    """Columns scaled with the mean and spread of the training rows, as the chapters do."""
    scaled = StandardScaler().fit(values[train_rows]).transform(values)
    return torch.from_numpy(scaled.astype(np.float32))


def model_inputs(book: dict, cnn_book: dict | None, jets, train_rows) -> dict:
    """name: (network input for every jet, a function that makes the model, its recipe)."""
    kept = jets.particles[:, : book["MAX_ROWS"]]  # the hardest particles, as the chapter
    statistics = book["input_statistics"](kept, jets.jet_pt, train_rows)
    particles = book["network_input"](kept, jets.jet_pt, statistics)
    inputs = {
        "mlp": (standardized(jets.features, train_rows), book["FeatureMLP"], book["MLP_RECIPE"]),
        "flat": (
            particles,
            lambda: book["FlatMLP"](n_inputs=particles.shape[1]),
            book["RECIPE"],
        ),
        "pfn": (particles, book["ParticleFlowNetwork"], book["RECIPE"]),
        "efn": (particles, book["EnergyFlowNetwork"], book["RECIPE"]),
    }
    if cnn_book is not None:
        scale = standardized(cnn_book["energy_scale"](jets), train_rows)
        multichannel = cnn_book["to_multichannel_input"](jets.images, jets.channels)
        inputs["cnn"] = (
            cnn_book["to_network_input"](jets.images),
            cnn_book["JetCNN"],
            cnn_book["RECIPE"],
        )
        inputs["scaled"] = (
            torch.cat([multichannel.flatten(1), scale], dim=1),
            lambda: cnn_book["BranchedCNN"](in_channels=3, n_numbers=2),
            cnn_book["RECIPE"],
        )
    return inputs


def one_seed(book: dict, cnn_book: dict | None, jets, seed: int, only=None) -> pd.DataFrame:
    """Train every model on the split of this seed; one row of test-set scores per model."""
    train_rows, val_rows, test_rows = book["split_rows"](jets.labels, seed=seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    labels = torch.from_numpy(jets.labels)
    y_train, y_val, y_test = (labels[r].to(device) for r in (train_rows, val_rows, test_rows))
    true = y_test.cpu().numpy()
    rows = {}
    for name, (x, make_model, recipe) in model_inputs(book, cnn_book, jets, train_rows).items():
        if only and name not in only:
            continue
        torch.manual_seed(seed)
        model = make_model().to(device)
        start = time.perf_counter()
        book["train"](
            model,
            (x[train_rows].to(device), y_train),
            (x[val_rows].to(device), y_val),
            seed=seed,
            **recipe,
        )
        seconds = time.perf_counter() - start
        probabilities = book["predict_probabilities"](model, x[test_rows].to(device))
        rows[name] = score_row(book, model, probabilities, true, seconds)
    table = pd.DataFrame(rows).T
    print(f"\nseed {seed} (device {device}, {torch.get_num_threads()} CPU threads)")
    print(table.round(3).to_string(), flush=True)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[2026, 1, 7],
        help="one comparison per seed (split, initial weights, batches)",
    )
    parser.add_argument("--data", default=str(BOOK / "data" / "jet-images.h5"))
    parser.add_argument("--no-cnn", action="store_true", help="leave out the two CNNs")
    parser.add_argument(
        "--models", nargs="+", help="train only these (mlp flat pfn efn cnn scaled)"
    )
    args = parser.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    name = torch.cuda.get_device_name() if device.type == "cuda" else "CPU"
    print(f"device: {device} ({name}), {torch.get_num_threads()} CPU threads")
    book = chapter_namespace(PARTICLE_CHAPTER)
    cnn_book = None if args.no_cnn else chapter_namespace(CNN_CHAPTER)
    jets = book["load_dataset"](args.data, constituents=True)
    rows = min(jets.particles.shape[1], book["MAX_ROWS"])
    print(f"{len(jets)} jets, the {rows} hardest particles of each, from {args.data}")
    start = time.perf_counter()
    tables = [one_seed(book, cnn_book, jets, seed, args.models) for seed in args.seeds]
    stacked = pd.concat(tables, keys=args.seeds)
    mean = stacked.groupby(level=1, sort=False).mean()
    spread = stacked.groupby(level=1, sort=False).std(ddof=1)
    print(f"\nmean over seeds {args.seeds}")
    print(mean.round(3).to_string())
    print("\nsample standard deviation over the seeds")
    print(spread.round(4).to_string())
    accuracy = stacked["accuracy"].unstack()
    pairs = [("pfn", "mlp"), ("pfn", "flat"), ("efn", "mlp"), ("pfn", "efn")]
    if cnn_book is not None:
        pairs += [("pfn", "cnn"), ("pfn", "scaled"), ("efn", "cnn")]
    print()
    for a, b in pairs:
        if a not in accuracy or b not in accuracy:
            continue
        gain = 100 * (accuracy[a] - accuracy[b]).to_numpy()
        print(
            f"{a:>4} minus {b:<6} accuracy: {gain.mean():+.2f} points "
            f"(per seed {np.round(gain, 2).tolist()})"
        )
    print(f"\ntotal time {time.perf_counter() - start:.0f} s on {device}")


if __name__ == "__main__":
    main()
