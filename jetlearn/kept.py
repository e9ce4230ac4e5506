"""Trained models kept for a later run that asks for the same training.

Chapter 31 needs chapter 30's CNN and MLP, chapter 50 the networks of chapters 30, 31 and
40, and several benchmarks train the same models: a training whose outcome is already
known need not run again. `train_once` trains as `jetlearn.training.train` does, keeps the
weights, the per-epoch losses and the training time under a digest of everything the
outcome depends on (`training_key`), and loads them when the same training is asked for
again. Anything that changes the outcome (the model's layers, its initial weights, its
code, every byte of the inputs and labels, the recipe, seed, the training code, PyTorch's
release) changes the digest, so a changed training runs afresh. This computer's own
trainings are also keyed to its PyTorch build, its device and workshop mode; the book's are
not, so that any computer loads them (training_keys). A run on another number of threads
or another device may round differently; either run is a correct training.

Two places hold kept trainings. STORED ships with the book: every training of one clean
run of all chapters (`make models`), so that a chapter that needs a network it does not
teach the training of loads it in a second, on a laptop as in the tests. KEPT, in the
build folder, holds what this computer trained itself. A student who wants to watch a
network learn asks for `always_train=True`, which trains in any case (keeping the result in
KEPT for the chapters after it).
"""

import hashlib
import inspect
import os
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch

from jetimages.layout import BOOK, DATA, WORKSHOP_VARIABLE

from . import training

KEPT = BOOK / "_build" / "trained-models"
"""Where the chapters keep their trained models (inside the build folder, which git
ignores; delete it to train everything again)."""
STORED = DATA / "trained-models"
"""The trainings that ship with the book (`make models` writes them; see the module's
docstring). Beside the data, so that the workshop handout carries them too."""
USE_STORED_VARIABLE = "JETLEARN_USE_STORED"
"""Set to 0 to ignore STORED and train everything (what `make models` does)."""
CHUNK = 4096  # rows hashed at a time: no copy of a whole input at once
# what train_once prints when a training is not the book's: the chapter trains it, or loads
# it from this computer's earlier runs (tests/website fails a page that shows either)
NOT_STORED = "not among the book's trained models"
FROM_THIS_COMPUTER = "an earlier run on this computer"


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


def settings(module) -> list:
    """A module's own attributes (say, how many particles attend), which neither its
    repr nor its weights show: (name, value) pairs, each value as it decides the
    outcome (a tensor by its bytes, a function by its name, never by its address)."""
    return [
        (name, plain(value))
        for name, value in sorted(vars(module).items())
        if not name.startswith("_") and name != "training"
    ]


def plain(value):
    """A value that prints the same in every process."""
    if torch.is_tensor(value):
        return value.detach().cpu().numpy().tobytes()
    if isinstance(value, (tuple, list)):
        return tuple(plain(item) for item in value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    kind = value if callable(value) and hasattr(value, "__qualname__") else type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def book_classes(model) -> set:
    """The classes of the model's modules and their bases, but PyTorch's own and
    `object`: the code that the book wrote (a chapter's or a student's, defined in a
    notebook or by jetlearn.chapters, whose classes say they come from `builtins`)."""
    return {
        kind
        for module in model.modules()
        for kind in type(module).__mro__
        if kind is not object and kind.__module__.split(".")[0] != "torch"
    }


def methods(kind) -> list:
    """(name, code) of every function a class defines itself, static ones included:
    forward and all that it calls on the model, so that a subclass that changes a
    helper (which particles attend, say) is another training."""
    found = []
    for name, member in sorted(vars(kind).items()):
        function = getattr(member, "__func__", member)  # staticmethod, classmethod
        if hasattr(function, "__code__"):
            found.append((name, function.__code__))
    return found


def workshop_mode() -> bool:
    return os.environ.get(WORKSHOP_VARIABLE, "0") not in ("", "0")


def training_keys(model, inputs: Iterable, recipe: dict, seed: int) -> dict:
    """Two digests of everything a training's outcome depends on: the model's layers,
    initial weights, settings and code (every method of its own classes), every input (arrays or tensors, in order: the
    training and validation inputs and labels, every byte of them), the recipe, the
    seed, the training code and PyTorch's version, from one pass over the inputs.

    "book": the key of the book's own training (STORED): PyTorch's release without its
    build label (the CPU, CUDA and macOS builds of one release print 2.13.0+cpu,
    2.13.0+cu128, 2.13.0) and no device, so that any computer loads the book's
    weights, and the full recipe, never workshop mode's share of it.
    "here": the key of this computer's own training (KEPT): the exact build, the
    device it trains on and whether workshop mode cuts the epochs, which all change the
    outcome of a training run here."""
    digest = hashlib.blake2b(digest_size=20)

    def add(value) -> None:
        digest.update(value if isinstance(value, bytes) else repr(value).encode())

    def add_array(values) -> None:
        values = values.detach().cpu() if torch.is_tensor(values) else values
        add((tuple(values.shape), str(values.dtype)))
        for start in range(0, len(values), CHUNK):
            part = values[start : start + CHUNK]
            part = part.numpy() if torch.is_tensor(part) else part
            add(
                np.ascontiguousarray(part).tobytes()
            )  # a repr would show only the edges

    add(repr(model))
    for name, tensor in model.state_dict().items():
        add(name)
        add_array(tensor.reshape(-1))
    for module in model.modules():
        add(settings(module))
    for kind in sorted(book_classes(model), key=repr):
        for name, code in methods(kind):
            add(name)
            add(code_digest(code))
    for values in inputs:
        add_array(values)
    add(sorted(recipe.items()))
    add((seed, inspect.getsource(training), torch.__version__.split("+")[0]))
    book, here = digest.copy(), digest
    book.update(b"book's full training")
    device = next(model.parameters()).device.type
    add((torch.__version__, device, workshop_mode(), training.WORKSHOP_SHARE))
    return {"book": book.hexdigest(), "here": here.hexdigest()}


def training_key(model, inputs: Iterable, recipe: dict, seed: int) -> str:
    """The digest of a training on this computer (training_keys' "here")."""
    return training_keys(model, inputs, recipe, seed)["here"]


def save_whole(contents: dict, path: Path) -> None:
    """torch.save to a temporary file, then a rename: a reader finds the whole file or
    none, also when two runs keep the same training at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    torch.save(contents, partial)
    partial.replace(path)


def load_kept(model, path: Path, source: str):
    """The weights of `path` loaded into `model`; its per-epoch losses and seconds."""
    device = next(model.parameters()).device
    kept = torch.load(path, map_location=device, weights_only=True)
    model.load_state_dict(kept["weights"])
    print(f"loaded the same training from {source} ({path.name[:12]}…)")
    return kept["history"], kept["seconds"]


def train_once(
    model,
    train_data,
    val_data,
    *,
    seed,
    folder: Path = KEPT,
    stored: Path = STORED,
    always_train: bool = False,
    progress_bar: bool = True,
    **recipe,
):
    """jetlearn.training.train(model, train_data, val_data, seed=seed, **recipe), or, if
    the same training was kept, its weights loaded into `model`: first from `stored` (the
    book's, unless USE_STORED_VARIABLE is 0; in workshop mode too, as the full training
    is the book's), then from `folder` (this computer's earlier runs). always_train=True
    trains in any case, for a chapter whose point is to watch the network learn, and
    keeps the result in `folder` for the chapters after it.
    progress_bar=False hides the training's bar (it is no part of the outcome). Returns
    the per-epoch losses and the seconds the training took (when loaded: those of the
    run that trained it)."""
    keys = training_keys(model, [*train_data, *val_data], recipe, seed)
    use_stored = not always_train and os.environ.get(USE_STORED_VARIABLE, "1") != "0"
    if use_stored:
        path = stored / f"{keys['book']}.pt"
        if path.exists():
            return load_kept(
                model, path, "the book's trained models, data/trained-models"
            )
    path = folder / f"{keys['here']}.pt"
    if path.exists() and not always_train:
        training.epochs_to_run(recipe["epochs"])  # in workshop mode, says it was cut
        return load_kept(model, path, FROM_THIS_COMPUTER)
    if use_stored:  # say why a page that should take seconds takes minutes
        print(
            f"{NOT_STORED} (made by today's code and PyTorch "
            "release; `make models` remakes them): training now"
        )
    start = time.perf_counter()
    history = training.train(
        model, train_data, val_data, seed=seed, progress_bar=progress_bar, **recipe
    )
    seconds = time.perf_counter() - start
    kept = {"weights": model.state_dict(), "history": history, "seconds": seconds}
    save_whole({**kept, "book_key": keys["book"]}, path)  # make models names it so
    return history, seconds
