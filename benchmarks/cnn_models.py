"""The models of the CNN chapters, and the original course's CNN recipe, over split seeds.

For each seed (which sets the split, the initial weights and the batches) it trains, on the same
jets and split, every model of chapter 31's table (MODELS below says what each one reads),
prints a table per seed and the mean and sample standard deviation over the seeds of test
accuracy, cross-entropy, per-class AUC, the W-vs-Z and g-vs-q pair AUCs and training time,
and stores every row in benchmarks/results/cnn_models.json, from which the chapters quote its
means, spreads and margins. No pass/fail.

The book's side is not copied here: the code cells of chapters 30 and 31 tagged
`shared-with-benchmark` are executed, so this script always measures what they teach.

One task per (model, seed) (over_seeds.Task): a task makes only its own model's input, and
each can run on its own Dask worker (--dask).

Usage (from the repository root):  python benchmarks/cnn_models.py [--seeds 2026 1 7 42 99]
"""

import functools
import sys
import time

import torch
from torch import nn

from jetimages.layout import BOOK
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

CHAPTERS = ("30-convolutional-neural-networks.md", "31-what-the-picture-lost.md")


class OriginalCNN(nn.Module):
    """The original chapter's model: (N, 1, 20, 20) -> (N, 5)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(
            1, 5, kernel_size=5
        )  # (N, 5, 16, 16), pooled to (N, 5, 8, 8)
        self.conv2 = nn.Conv2d(
            5, 10, kernel_size=5
        )  # (N, 10, 4, 4), pooled to (N, 10, 2, 2)
        self.pool = nn.MaxPool2d(2)
        self.dense = nn.Sequential(
            nn.Linear(40, 30),
            nn.ReLU(),
            nn.Linear(30, 20),
            nn.ReLU(),
            nn.Linear(20, 10),
            nn.ReLU(),
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
            batch = order[start : start + batch_size]
            optimizer.zero_grad()
            loss_function(model(x[batch]), y[batch]).backward()
            optimizer.step()


MODELS = {  # key: what the chapter's table calls the model, and what the model reads
    "original": {
        "label": "original recipe",
        "reads": "pT image as stored",
    },
    "mlp": {"label": "MLP, 16 features", "reads": "16 features"},
    "mlp_pt_mass": {
        "label": "MLP, 16 features + jet pT and mass",
        "reads": "16 features, log jet pT, log jet mass",
    },
    "cnn": {"label": "CNN, pT image", "reads": "pT image"},
    "cnn3_pt_mass": {
        "label": "CNN, 3 channels + jet pT and mass",
        "reads": "pT, count and charged images, log jet pT, log jet mass",
    },
    "everything": {
        "label": "everything",
        "reads": "3 images, 16 features, log jet pT, log jet mass",
    },
}


@functools.cache
def chapters() -> dict:
    """Chapter 30's CNN and recipes, chapter 31's three-channel models; run once per
    process."""
    return chapter_namespace(BOOK / CHAPTERS[0]) | chapter_namespace(BOOK / CHAPTERS[1])


def model_input(book: dict, jets, key: str, train_rows):
    """(glued network input, a function that makes the model, its recipe) of model
    `key`, the inputs scaled on `train_rows`; only what this model reads is made."""
    if key not in MODELS or key == "original":
        raise KeyError(f"cnn_models has no model {key!r} of the book's training")
    if key in ("mlp", "mlp_pt_mass", "everything"):
        features = book["standardized"](jets.features, train_rows)
        if key == "mlp":
            return features, book["FeatureMLP"], book["MLP_RECIPE"]
    if key == "cnn":
        return book["to_network_input"](jets.images), book["JetCNN"], book["RECIPE"]
    pt_and_mass = book["standardized"](book["jet_pt_and_mass"](jets), train_rows)
    if key == "mlp_pt_mass":
        return (
            torch.cat([features, pt_and_mass], dim=1),
            lambda: book["FeatureMLP"](n_features=18),
            book["MLP_RECIPE"],
        )
    multichannel = book["to_multichannel_input"](jets.images, jets.channels).flatten(1)
    if key == "cnn3_pt_mass":
        return (
            torch.cat([multichannel, pt_and_mass], dim=1),
            lambda: book["BranchedCNN"](in_channels=3, n_numbers=2),
            book["RECIPE"],
        )
    return (
        torch.cat([multichannel, features, pt_and_mass], dim=1),
        lambda: book["BranchedCNN"](in_channels=3, n_numbers=18),
        book["RECIPE"],
    )


def one_model(book: dict, jets, seed: int, key: str) -> dict:
    """Train model `key` on the split of this seed; its test-set scores."""
    split = book["split_rows"](jets.labels, seed=seed)
    if key != "original":
        x, make_model, recipe = model_input(book, jets, key, split[0])
        return train_and_score(book, x, make_model, recipe, split, jets.labels, seed)
    # the original chapter fed the pixel values as they are, and kept its last epoch
    train_rows, _, test_rows = split
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    raw = torch.from_numpy(jets.images).unsqueeze(1)
    torch.manual_seed(seed)
    original = OriginalCNN().to(device)
    start = time.perf_counter()
    y_train = torch.from_numpy(jets.labels[train_rows]).to(device)
    train_original(original, raw[train_rows].to(device), y_train, seed=seed)
    seconds = time.perf_counter() - start
    probabilities = book["predict_probabilities"](original, raw[test_rows].to(device))
    return score_row(book, original, probabilities, jets.labels[test_rows], seconds)


def one_task(task) -> dict:
    """The models of an over_seeds.Task, on the jets of task.data[0]."""
    book = chapters()
    jets = loaded(task.data[0])
    return {key: one_model(book, jets, task.seed, key) for key in task.models}


def main(argv=None) -> int:
    parser = seed_benchmark_parser(__doc__.split("\n\n")[0])
    args = parser.parse_args(argv)

    book = chapters()
    print(f"{jets_in(args.data)} jets from {args.data}")
    about = {
        "recipes": {"cnn": book["RECIPE"], "mlp": book["MLP_RECIPE"]},
        "data": data_record(args.data),
    }
    scores = run_over_seeds(
        "cnn_models",
        one_task,
        args,
        list(MODELS),
        MODELS,
        about,
        baseline="mlp_pt_mass",
        store=not args.no_store,
    )
    return exit_status(scores)


if __name__ == "__main__":
    sys.exit(main())
