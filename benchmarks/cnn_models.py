"""The models of the CNN chapter, and the original course's CNN recipe, over several split seeds.

For each seed (which sets the split, the initial weights and the batches) it trains, on the same
jets and split:
- original: the original course's CNN recipe, Conv2d(1->5, 5x5), pool, Conv2d(5->10, 5x5), pool,
  dense 40->30->20->10->5 with ReLU, Adam with lr 0.03, 15 epochs, batches of 1000, last epoch kept;
- mlp: the chapter's FeatureMLP on the 16 standardized features;
- cnn: the chapter's JetCNN on the square root of the pT image;
- scaled: BranchedCNN on the three channels plus the energy scale (log jet pT and mass);
- everything: BranchedCNN on the three channels plus the 16 features and the energy scale.
and prints a table per seed and then the mean and sample standard deviation over the seeds of
test accuracy, cross-entropy, per-class AUC, the W-vs-Z and g-vs-q pair AUCs and training time.
No pass/fail: the chapter's assertions take their margins from the spread printed here.

The book's side is not copied here: the chapter's code cells tagged `shared-with-benchmark`
are executed, so this script always measures what the chapter teaches.

Usage (from the repository root):  python benchmarks/cnn_models.py [--seeds 2026 1 7]
"""

import argparse
import time

import numpy as np
import pandas as pd
import torch
from torch import nn

from book_cells import BOOK, chapter_namespace, score_row

CHAPTER = BOOK / "30-convolutional-neural-networks.md"


class OriginalCNN(nn.Module):
    """The original chapter's model: (N, 1, 20, 20) -> (N, 5)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 5, kernel_size=5)  # (N, 5, 16, 16), pooled to (N, 5, 8, 8)
        self.conv2 = nn.Conv2d(5, 10, kernel_size=5)  # (N, 10, 4, 4), pooled to (N, 10, 2, 2)
        self.pool = nn.MaxPool2d(2)
        self.dense = nn.Sequential(
            nn.Linear(40, 30), nn.ReLU(),
            nn.Linear(30, 20), nn.ReLU(),
            nn.Linear(20, 10), nn.ReLU(),
            nn.Linear(10, 5),
        )

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        return self.dense(torch.flatten(x, 1))


def train_original(model, x, y, epochs=15, batch_size=1000, learning_rate=0.03, seed=0):
    """The original recipe: shuffled mini-batches, Adam, cross-entropy, no validation; last epoch kept."""
    loss_function = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    shuffler = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(y), generator=shuffler).to(y.device)
        for start in range(0, len(y), batch_size):
            batch = order[start:start + batch_size]
            optimizer.zero_grad()
            loss_function(model(x[batch]), y[batch]).backward()
            optimizer.step()


def standardized(values: np.ndarray, train_rows: np.ndarray) -> torch.Tensor:
    """Columns scaled to mean 0 and spread 1 on the training rows, as the chapter does."""
    mean, spread = values[train_rows].mean(axis=0), values[train_rows].std(axis=0)
    return torch.from_numpy(((values - mean) / spread).astype(np.float32))


def one_seed(book: dict, jets, seed: int) -> pd.DataFrame:
    """Train every model on the split of this seed; one row of test-set scores per model."""
    train_rows, val_rows, test_rows = book["split_rows"](jets.labels, seed=seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    labels = torch.from_numpy(jets.labels)
    y_train, y_val, y_test = (labels[rows].to(device) for rows in (train_rows, val_rows, test_rows))
    features = standardized(jets.features, train_rows)
    scale = standardized(book["energy_scale"](jets), train_rows)
    multichannel = book["to_multichannel_input"](jets.images, jets.channels).flatten(1)
    inputs = {  # name: (glued network input, model, recipe)
        "mlp": (features, book["FeatureMLP"], book["MLP_RECIPE"]),
        "cnn": (book["to_network_input"](jets.images), book["JetCNN"], book["RECIPE"]),
        "scaled": (
            torch.cat([multichannel, scale], dim=1),
            lambda: book["BranchedCNN"](in_channels=3, n_numbers=2),
            book["RECIPE"],
        ),
        "everything": (
            torch.cat([multichannel, features, scale], dim=1),
            lambda: book["BranchedCNN"](in_channels=3, n_numbers=18),
            book["RECIPE"],
        ),
    }
    true = y_test.cpu().numpy()
    rows = {}

    def score(name, model, x_test, seconds):
        probabilities = book["predict_probabilities"](model, x_test)
        rows[name] = score_row(book, model, probabilities, true, seconds)

    # the original chapter fed the pixel values as they are
    raw = torch.from_numpy(jets.images).unsqueeze(1)
    torch.manual_seed(seed)
    original = OriginalCNN().to(device)
    start = time.perf_counter()
    train_original(original, raw[train_rows].to(device), y_train, seed=seed)
    score("original recipe", original, raw[test_rows].to(device), time.perf_counter() - start)

    for name, (x, make_model, recipe) in inputs.items():
        torch.manual_seed(seed)
        model = make_model().to(device)
        start = time.perf_counter()
        book["train"](model, (x[train_rows].to(device), y_train), (x[val_rows].to(device), y_val),
                      seed=seed, **recipe)
        score(name, model, x[test_rows].to(device), time.perf_counter() - start)
    table = pd.DataFrame(rows).T
    print(f"\nseed {seed} (device {device}, {torch.get_num_threads()} CPU threads)")
    print(table.round(3).to_string())
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[2026, 1, 7],
                        help="one comparison per seed (the seed sets the split, the initial weights and the batches)")
    parser.add_argument("--data", default=str(BOOK / "data" / "jet-images.h5"))
    args = parser.parse_args()

    book = chapter_namespace(CHAPTER)
    jets = book["load_dataset"](args.data)
    print(f"{len(jets)} jets from {args.data}")
    tables = [one_seed(book, jets, seed) for seed in args.seeds]
    stacked = pd.concat(tables, keys=args.seeds)
    mean = stacked.groupby(level=1, sort=False).mean()
    spread = stacked.groupby(level=1, sort=False).std(ddof=1)
    print(f"\nmean over seeds {args.seeds}")
    print(mean.round(3).to_string())
    print("\nsample standard deviation over the seeds")
    print(spread.round(4).to_string())
    mlp = stacked.xs("mlp", level=1)["accuracy"].to_numpy()
    for name in ("cnn", "scaled", "everything"):
        gain = 100 * (stacked.xs(name, level=1)["accuracy"].to_numpy() - mlp)
        print(f"{name:>10} minus mlp, accuracy: {gain.mean():+.2f} points "
              f"(per seed {np.round(gain, 2).tolist()})")


if __name__ == "__main__":
    main()
