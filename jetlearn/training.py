"""The training utilities that every chapter with a network shares.

They were written in the CNN chapter (30-convolutional-neural-networks.md), which
explains each of them; they live here so that every chapter splits, trains and scores
its models with the very same code. Nothing here is specific to one kind of network:
a model is any `nn.Module` that maps one input tensor of shape (N, ...) to
(N, n_classes) logits.

- split_rows: the stratified 80/10/10 training/validation/test split of a dataset's rows
- train: mini-batch Adam with a cosine learning rate; keeps the best-validation weights;
  takes a function through which every training batch passes (augmentation, for one);
  in workshop mode (JETLEARN_WORKSHOP=1, for slow laptops) it runs half of the epochs it
  is asked for, and says so
- predict_probabilities, auc_per_class, pair_auc: scores on held-out jets
- count_parameters, FeatureMLP and MLP_RECIPE: the reference network on the 16 features
- standardized, jet_pt_and_mass: inputs scaled with the training jets; the two numbers
  in GeV that the image models are given, so that the feature MLP can be given them too
"""

import math
import os

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from torch import nn
from tqdm import tqdm

from jetimages.layout import WORKSHOP_VARIABLE

__all__ = [
    "MLP_RECIPE",
    "FeatureMLP",
    "auc_per_class",
    "count_parameters",
    "JET_NUMBERS",
    "jet_pt_and_mass",
    "pair_auc",
    "predict_probabilities",
    "split_rows",
    "standardized",
    "train",
]

JETS_AT_ONCE = 500
"""Jets per pass when scoring without gradients: memory stays flat for any number of
jets (a particle network's pass over 2 000 jets at once takes 0.2 GB). Each jet's scores
do not depend on the jets it is passed with."""

LOSS_TERM_JETS = 2000
"""Jets per term of the summed validation loss. It sets the rounding of the losses,
which some chapters print in full: not tied to JETS_AT_ONCE."""

WORKSHOP_SHARE = 1 / 2
"""Workshop mode, for a room of slow laptops: with the environment variable
WORKSHOP_VARIABLE set (to anything but 0), every training runs this share of its epochs,
rounded up. Not less: with a third, the chapters' own checks fail in chapter 31 (its
three-channel CNN against the MLP), and with half still in chapter 40 (its PFN)."""

JET_NUMBERS = ["jet pT", "jet mass"]
"""The names of the columns of jet_pt_and_mass."""


def count_parameters(module):
    """The number of trainable and frozen numbers a module owns."""
    return sum(p.numel() for p in module.parameters())


def jet_pt_and_mass(jets):
    """(N, 2): log of the jet's pT and of its (ungroomed) mass, both in GeV.

    Both come from the sum of all the jet's particles. The images are fractions of the
    jet's pT and carry neither; a model that is given them must be compared with a
    feature model that is given them too.
    """
    return np.log(np.stack([jets.jet_pt, jets.jet_mass], axis=1))


def standardized(values, train_rows, training_values=None):
    """(N, k) columns shifted and scaled by the mean and spread of the training rows
    only, as a float32 tensor (the validation and test jets must not shape the
    inputs). training_values: the array whose train_rows set the scale, when `values`
    are other jets (of another simulation, say); by default `values` itself."""
    values = np.asarray(values, dtype=np.float64)
    reference = (
        values
        if training_values is None
        else np.asarray(training_values, dtype=np.float64)
    )
    mean = reference[train_rows].mean(axis=0)
    spread = reference[train_rows].std(axis=0)
    return torch.from_numpy(((values - mean) / spread).astype(np.float32))


def split_rows(labels, seed):
    """Stratified 80/10/10 split of the row numbers 0..N-1 into training, validation
    and test rows."""
    rows = np.arange(len(labels))
    train_rows, other_rows = train_test_split(
        rows, test_size=0.2, stratify=labels, random_state=seed
    )
    val_rows, test_rows = train_test_split(
        other_rows, test_size=0.5, stratify=labels[other_rows], random_state=seed
    )
    return train_rows, val_rows, test_rows


def epochs_to_run(epochs):
    """`epochs`, or in workshop mode its WORKSHOP_SHARE, rounded up. A cut is announced:
    the chapters' numbers, and their prose, are those of the full training."""
    if os.environ.get(WORKSHOP_VARIABLE, "0") in ("", "0"):
        return epochs
    cut = math.ceil(epochs * WORKSHOP_SHARE)
    if cut < epochs:
        print(
            f"workshop mode: {cut} of {epochs} epochs; numbers will differ from the book"
        )
    return cut


def train(
    model,
    train_data,
    val_data,
    epochs,
    batch_size,
    learning_rate,
    seed,
    progress_bar=True,
    batch_transform=None,
):
    """Mini-batch training with Adam and the cross-entropy loss.

    The learning rate falls from `learning_rate` towards zero along a half cosine over
    the epochs. After every epoch the loss on the whole validation set is computed; at
    the end the model is given back the weights of its best validation epoch. Returns
    the per-epoch losses. progress_bar=False hides the bar, for loops that train many
    models under a bar of their own. batch_transform: a function that the inputs of
    every training batch pass through before the model sees them (data augmentation,
    for one); the validation inputs never do. In workshop mode (WORKSHOP_VARIABLE) it
    runs fewer epochs, epochs_to_run(epochs), along the same cosine.
    """
    epochs = epochs_to_run(epochs)
    x, y = train_data
    x_check, y_check = val_data
    loss_function = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    shuffler = torch.Generator().manual_seed(seed)
    history = {"training": [], "validation": []}
    best_loss, best_weights = float("inf"), None

    progress = tqdm(
        range(epochs),
        desc="epochs",
        # without the rate and time left, the final line fits the book's output box
        bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]",
        disable=not progress_bar,
    )
    for _ in progress:
        model.train()
        order = torch.randperm(len(y), generator=shuffler).to(y.device)
        summed_loss = 0.0
        for start in range(0, len(y), batch_size):
            batch = order[start : start + batch_size]
            inputs = x[batch] if batch_transform is None else batch_transform(x[batch])
            optimizer.zero_grad()
            loss = loss_function(model(inputs), y[batch])
            loss.backward()
            optimizer.step()
            summed_loss += loss.item() * len(batch)
        history["training"].append(summed_loss / len(y))
        schedule.step()  # the next epoch takes smaller steps

        model.eval()
        # the mean loss over all validation jets, no gradients needed
        with torch.no_grad():
            val_loss = sum(
                loss_function(_scores(model, x_part), y_part).item() * len(y_part)
                for x_part, y_part in zip(
                    x_check.split(LOSS_TERM_JETS), y_check.split(LOSS_TERM_JETS)
                )
            ) / len(y_check)
        history["validation"].append(val_loss)
        if val_loss < best_loss:
            best_loss = val_loss
            best_weights = {
                name: w.detach().clone() for name, w in model.state_dict().items()
            }
        progress.set_postfix(
            training=f"{history['training'][-1]:.3f}",
            validation=f"{val_loss:.3f}",
            refresh=False,
        )

    model.load_state_dict(best_weights)
    return history


def _scores(model, x):
    """model(x), JETS_AT_ONCE jets per pass (call it without gradients)."""
    return torch.cat([model(part) for part in x.split(JETS_AT_ONCE)])


def predict_probabilities(model, x):
    """Softmax class probabilities, as a NumPy array (N, 5), computed without
    gradients, JETS_AT_ONCE jets at a time."""
    model.eval()
    with torch.no_grad():
        return np.concatenate(
            [
                torch.softmax(model(part), dim=1).cpu().numpy()
                for part in x.split(JETS_AT_ONCE)
            ]
        )


def auc_per_class(probabilities, true):
    """One-vs-rest area under the ROC curve of every class, using that class's
    probability as score."""
    return np.array(
        [
            roc_auc_score(true == k, probabilities[:, k])
            for k in range(probabilities.shape[1])
        ]
    )


def pair_auc(probabilities, true, a, b):
    """AUC for class a against class b, on the jets of those two classes, scored by
    P(a) / (P(a) + P(b))."""
    both = np.isin(true, [a, b])
    score = probabilities[both, a] / (probabilities[both, a] + probabilities[both, b])
    return roc_auc_score(true[both] == a, score)


class FeatureMLP(nn.Module):
    """Three hidden layers of 32 units with ReLU: (N, 16) standardized features ->
    (N, 5) class scores."""

    def __init__(self, n_features=16, width=32, n_classes=5):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(n_features, width),
            nn.ReLU(),  # (N, 32)
            nn.Linear(width, width),
            nn.ReLU(),  # (N, 32)
            nn.Linear(width, width),
            nn.ReLU(),  # (N, 32)
            nn.Linear(width, n_classes),  # (N, 5)
        )

    def forward(self, x):
        return self.layers(x)


MLP_RECIPE = {"epochs": 20, "batch_size": 256, "learning_rate": 3e-3}
