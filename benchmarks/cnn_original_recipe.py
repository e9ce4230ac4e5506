"""The CNN recipe of the original course chapter, next to this book's, on the same jets and split.

Prints, for each recipe, its parameter count, test accuracy and training wall time (no pass/fail).

- original: Conv2d(1->5, 5x5), pool, Conv2d(5->10, 5x5), pool, dense 40->30->20->10->5 with ReLU,
  Adam with lr 0.03, 15 epochs, mini-batches of 1000, the weights of the last epoch;
- book: the input scaling, model, split, training loop and recipe of 30-convolutional-neural-networks.md.

The book's side is not copied here: the chapter's code cells tagged `shared-with-benchmark`
are executed, so this script always measures what the chapter teaches.

Usage (from the repository root):  python benchmarks/cnn_original_recipe.py [--seeds 2026 1 7]
"""

import argparse
import time
from pathlib import Path

import jupytext
import numpy as np
import torch
from torch import nn

BOOK = Path(__file__).resolve().parent.parent / "deep-learning-intro-for-hep"
CHAPTER = BOOK / "30-convolutional-neural-networks.md"
TAG = "shared-with-benchmark"


def chapter_namespace() -> dict:
    """Run the chapter's tagged cells (imports, split, model, training loop, recipe) in a fresh namespace."""
    namespace: dict = {}
    cells = [cell for cell in jupytext.read(CHAPTER).cells if TAG in cell.metadata.get("tags", [])]
    if not cells:
        raise RuntimeError(f"no code cell of {CHAPTER.name} is tagged {TAG!r}")
    for cell in cells:
        exec(compile(cell.source, f"{CHAPTER.name}[{TAG}]", "exec"), namespace)
    return namespace


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


def compare(book: dict, jets, seed: int) -> None:
    """Train both recipes on the split of this seed and print one line each."""
    train_rows, val_rows, test_rows = book["split_rows"](jets.labels, seed=seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    labels = torch.from_numpy(jets.labels)
    y_train, y_val, y_test = (labels[rows].to(device) for rows in (train_rows, val_rows, test_rows))
    # the original chapter fed the pixel values as they are; the book feeds their square roots
    raw = torch.from_numpy(jets.images).unsqueeze(1)
    book_input = book["to_network_input"](jets.images)
    print(f"\nseed {seed}: {len(train_rows)}/{len(val_rows)}/{len(test_rows)} training/validation/test jets; "
          f"device {device}; {torch.get_num_threads()} CPU threads")

    results = []
    torch.manual_seed(seed)
    original = OriginalCNN().to(device)
    start = time.perf_counter()
    train_original(original, raw[train_rows].to(device), y_train, seed=seed)
    results.append(("original (1->5->10 conv 5x5, dense 40-30-20-10-5, Adam 0.03, 15 x batch 1000)",
                    original, raw[test_rows].to(device), time.perf_counter() - start))

    torch.manual_seed(seed)
    ours = book["JetCNN"]().to(device)
    recipe = book["RECIPE"]
    start = time.perf_counter()
    x_train, x_val = book_input[train_rows].to(device), book_input[val_rows].to(device)
    book["train"](ours, (x_train, y_train), (x_val, y_val), seed=seed, **recipe)
    results.append((f"book (JetCNN on square roots, {recipe})", ours, book_input[test_rows].to(device),
                    time.perf_counter() - start))

    true = y_test.cpu().numpy()
    print(f"{'recipe':<95} {'parameters':>10} {'test accuracy':>14} {'min AUC':>8} {'train time':>11}")
    for name, model, x_test, seconds in results:
        probabilities = book["predict_probabilities"](model, x_test)
        accuracy = np.mean(probabilities.argmax(axis=1) == true)
        min_auc = book["auc_per_class"](probabilities, true).min()
        n_parameters = sum(p.numel() for p in model.parameters())
        print(f"{name:<95} {n_parameters:>10,} {accuracy:>14.3f} {min_auc:>8.3f} {seconds:>10.0f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[2026],
                        help="one comparison per seed (the seed sets the split, the initial weights and the batches)")
    parser.add_argument("--data", default=str(BOOK / "data" / "jet-images.h5"))
    args = parser.parse_args()

    book = chapter_namespace()
    jets = book["load_dataset"](args.data)
    print(f"{len(jets)} jets from {args.data}")
    for seed in args.seeds:
        compare(book, jets, seed)


if __name__ == "__main__":
    main()
