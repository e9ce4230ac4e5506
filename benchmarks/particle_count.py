"""How many particles does a particle-flow network need? One PFN per P, on the same splits.

Trains a particle-flow network (per-particle network, masked sum, network on the sum and the jet's
log pT) on the first P particles of each jet of data/jet-constituents.h5, for several P and split
seeds, and prints the validation accuracy with its mean and spread: P is a choice, so the
test jets play no part in it. This is the measurement behind the choice of P (README.md, "The
dataset"). Fails nothing. Meant for a GPU: on 2 CPU cores it takes one to two hours (about
15 minutes per seed at P = 128); `--seeds 2026 --epochs 5` gives a rough curve in minutes.

Usage (from the repository root):  python benchmarks/particle_count.py [--p 16 32 64 128]
"""

import argparse
import time

import numpy as np
import torch
from torch import nn

from jetimages import layout, load_dataset
from jetlearn.training import split_rows

BOOK = layout.BOOK


def particle_inputs(particles):
    """(N, P, 5) particle table -> (N, P, 9) network inputs and (N, P) mask of real particles.

    Inputs: log pT share (shifted to order 1), x and y (scaled to order 1), charge, one-hot type.
    """
    share, x, y, charge, kind = (particles[..., k] for k in range(5))
    real = kind > 0
    log_share = np.where(
        real, np.log(np.where(real, np.maximum(share, 1e-6), 1.0)) / 5 + 1, 0
    )
    one_hot = (kind[..., None] == np.arange(1, 6)).astype(np.float32)
    columns = np.stack([log_share, x / 0.4, y / 0.4, charge], axis=-1)
    per_particle = np.concatenate([columns, one_hot], axis=-1).astype(np.float32)
    return torch.from_numpy(per_particle), torch.from_numpy(real.astype(np.float32))


class ParticleFlowNetwork(nn.Module):
    """Phi on every particle, a masked sum, F on the sum and the jet's scaled log pT."""

    def __init__(self, n_inputs=9, latent=128, width=128):
        super().__init__()
        self.phi = nn.Sequential(
            nn.Linear(n_inputs, width),
            nn.ReLU(),
            nn.Linear(width, width),
            nn.ReLU(),
            nn.Linear(width, latent),
            nn.ReLU(),
        )
        self.f = nn.Sequential(
            nn.Linear(latent + 1, width),
            nn.ReLU(),
            nn.Linear(width, width),
            nn.ReLU(),
            nn.Linear(width, 5),
        )

    def forward(self, x, mask, scale):
        summed = (self.phi(x) * mask.unsqueeze(-1)).sum(dim=1)  # (N, latent)
        return self.f(torch.cat([summed, scale.unsqueeze(1)], dim=1))


def validation_accuracy(jets, n_particles, seed, epochs, device):
    """Train on the first n_particles of each jet; the validation accuracy of the best
    validation epoch."""
    x, mask = particle_inputs(jets.particles[:, :n_particles])
    scale = torch.from_numpy(
        ((np.log(jets.jet_pt) - np.log(1000.0)) / 0.1).astype(np.float32)
    )
    y = torch.from_numpy(jets.labels)
    sets = [
        tuple(t[rows].to(device) for t in (x, mask, scale, y))
        for rows in split_rows(jets.labels, seed)
    ]
    (train, val, _), n_train = sets, len(sets[0][3])
    torch.manual_seed(seed)
    model = ParticleFlowNetwork().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    loss_function = nn.CrossEntropyLoss()
    shuffler = torch.Generator().manual_seed(seed)
    best_loss, best_weights = float("inf"), None
    for _ in range(epochs):
        model.train()
        order = torch.randperm(n_train, generator=shuffler).to(device)
        for start in range(0, n_train, 512):
            batch = order[start : start + 512]
            optimizer.zero_grad()
            loss_function(
                model(*(t[batch] for t in train[:3])), train[3][batch]
            ).backward()
            optimizer.step()
        schedule.step()
        model.eval()
        with torch.no_grad():
            val_loss = loss_function(model(*val[:3]), val[3]).item()
        if val_loss < best_loss:
            best_loss = val_loss
            best_weights = {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_weights)
    with torch.no_grad():
        return (model(*val[:3]).argmax(dim=1) == val[3]).float().mean().item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--p", type=int, nargs="+", default=[16, 32, 48, 64, 128])
    parser.add_argument("--seeds", type=int, nargs="+", default=[2026, 1, 7])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--data", default=str(BOOK / "data" / "jet-images.h5"))
    args = parser.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    jets = load_dataset(args.data, constituents=True)
    print(
        f"{len(jets)} jets, up to {jets.particles.shape[1]} particles each; device {device}"
    )
    for n_particles in args.p:
        accuracies = []
        for seed in args.seeds:
            start = time.perf_counter()
            accuracies.append(
                validation_accuracy(jets, n_particles, seed, args.epochs, device)
            )
            print(
                f"P = {n_particles:3d}, seed {seed:4d}: validation accuracy "
                f"{accuracies[-1]:.4f} "
                f"({time.perf_counter() - start:.0f} s)",
                flush=True,
            )
        spread = np.std(accuracies, ddof=1) if len(accuracies) > 1 else float("nan")
        print(
            f"P = {n_particles:3d}: mean {np.mean(accuracies):.4f}, spread {spread:.4f}"
        )


if __name__ == "__main__":
    main()
