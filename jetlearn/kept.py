"""Trained models kept for a later run that asks for the same training.

Chapter 31 needs chapter 30's CNN and MLP, and several benchmarks train the same models: a
training whose outcome is already known need not run again. `train_once` trains as
`jetlearn.training.train` does, keeps the weights, the per-epoch losses and the training time
under a digest of everything the outcome depends on (`training_key`), and loads them when the
same training is asked for again. Anything that changes the outcome (the model's layers, its
initial weights, its code, the inputs, labels, recipe, seed, the training code, workshop mode,
PyTorch, the device) changes the digest, so a changed training runs afresh. A run on another
number of threads may round differently; either run is a correct training.
"""

import hashlib
import inspect
import os
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch

from jetimages.layout import BOOK, WORKSHOP_VARIABLE

from . import training

KEPT = BOOK / "_build" / "trained-models"
"""Where the chapters keep their trained models (inside the build folder, which git
ignores; delete it to train everything again)."""
CHUNK = 4096  # rows hashed at a time: no copy of a whole input at once


def code_digest(code) -> bytes:
    """What a function's code does, without where it was written: its bytecode, constants
    (nested functions included) and names, not its file name or line numbers, which
    differ between a class run in a notebook and the same class run by
    jetlearn.chapters."""
    parts = [
        code.co_code,
        repr(code.co_names).encode(),
        repr(code.co_varnames).encode(),
    ]
    for constant in code.co_consts:
        is_code = hasattr(constant, "co_code")
        parts.append(code_digest(constant) if is_code else repr(constant).encode())
    return hashlib.blake2b(b"\0".join(parts), digest_size=20).digest()


def training_key(model, inputs: Iterable, recipe: dict, seed: int) -> str:
    """A digest of everything a training's outcome depends on: the model's layers, initial
    weights and forward code, every input (arrays or tensors, in order: the training and
    validation inputs and labels), the recipe, workshop mode, the seed, the training code, PyTorch and the device."""
    digest = hashlib.blake2b(digest_size=20)

    def add(value) -> None:
        digest.update(value if isinstance(value, bytes) else repr(value).encode())

    def add_array(values) -> None:
        values = values.detach().cpu() if torch.is_tensor(values) else values
        add((tuple(values.shape), str(values.dtype)))
        for start in range(0, len(values), CHUNK):
            part = values[start : start + CHUNK]
            add(np.ascontiguousarray(part.numpy() if torch.is_tensor(part) else part))

    add(repr(model))
    for name, tensor in model.state_dict().items():
        add(name)
        add_array(tensor.reshape(-1))
    for kind in sorted({type(m) for m in model.modules()}, key=repr):
        if kind.__module__.split(".")[0] != "torch":
            add(code_digest(kind.forward.__code__))
    for values in inputs:
        add_array(values)
    add(sorted(recipe.items()))
    workshop = os.environ.get(WORKSHOP_VARIABLE, "0") not in ("", "0")
    add((workshop, training.WORKSHOP_SHARE))  # workshop mode runs fewer epochs
    device = next(model.parameters()).device.type
    add((seed, torch.__version__, device, inspect.getsource(training)))
    return digest.hexdigest()


def save_whole(contents: dict, path: Path) -> None:
    """torch.save to a temporary file, then a rename: a reader finds the whole file or
    none, also when two runs keep the same training at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    torch.save(contents, partial)
    partial.replace(path)


def train_once(model, train_data, val_data, *, seed, folder: Path = KEPT, **recipe):
    """jetlearn.training.train(model, train_data, val_data, seed=seed, **recipe), or, if
    the same training was kept by an earlier run, its weights loaded into `model`.
    Returns the per-epoch losses and the seconds the training took (when loaded: those
    of the run that trained it)."""
    key = training_key(model, [*train_data, *val_data], recipe, seed)
    path = folder / f"{key}.pt"
    if path.exists():
        device = next(model.parameters()).device
        kept = torch.load(path, map_location=device, weights_only=True)
        model.load_state_dict(kept["weights"])
        print(f"loaded the same training, kept by an earlier run ({path.name[:12]}…)")
        training.epochs_to_run(recipe["epochs"])  # in workshop mode, says it was cut
        return kept["history"], kept["seconds"]
    start = time.perf_counter()
    history = training.train(model, train_data, val_data, seed=seed, **recipe)
    seconds = time.perf_counter() - start
    save_whole(
        {"weights": model.state_dict(), "history": history, "seconds": seconds}, path
    )
    return history, seconds
