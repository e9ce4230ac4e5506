"""Training on more jets than memory holds: batches read from a dataset's HDF5 files.

The data tool writes every array in compressed chunks of the same number of rows (1 000),
and shuffles the jets before writing them, so any set of whole chunks is a random sample
of the dataset. Here a **block** is one such chunk: the rows a training reads are given as
block numbers, and a read decompresses each chunk once.

- BlockStream: a torch IterableDataset of (inputs, labels) batches. Every epoch it visits
  its blocks in a new random order, reads `blocks_per_read` of them at a time, turns their
  arrays into the model's input (a function the caller gives), shuffles those rows and
  cuts them into batches. Memory holds one read, never the whole training set.
- read_blocks: the named arrays of some blocks, in memory (validation and test jets).
- train_streaming: jetlearn.training.train's recipe (Adam, a half-cosine learning rate,
  the best validation epoch kept) on a BlockStream instead of tensors in memory. Its
  batches are shuffled within a read, not across the whole training set.
"""

import math
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import h5py
import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from jetimages.errors import DamagedInputError, UsageError
from jetimages.schema import arrays_of, constituents_path

from .training import JETS_AT_ONCE, LOSS_TERM_JETS, epochs_to_run

__all__ = ["BlockStream", "block_rows", "read_blocks", "train_streaming"]

HINT = "make the dataset again (README.md, 'A larger dataset')"


def block_rows(images_path: str | Path) -> tuple[int, int]:
    """(rows per block, number of blocks) of a dataset: its HDF5 chunk length, and its
    jets divided by it (a last, shorter block counts)."""
    with _opened(Path(images_path)) as file:
        labels = file["labels"]
        rows = labels.chunks[0] if labels.chunks else len(labels)
        return rows, math.ceil(len(labels) / rows)


def _opened(path: Path) -> h5py.File:
    if not path.is_file():
        raise UsageError("no dataset at {path}; {hint}", path=path, hint=HINT)
    try:
        return h5py.File(path, "r")
    except OSError as error:
        raise DamagedInputError(
            "{path} is not a readable HDF5 file ({error}); {hint}",
            path=path,
            error=error,
            hint=HINT,
        ) from None


def _file_of(name: str) -> str:
    if name in arrays_of("images"):
        return "images"
    if name in arrays_of("constituents"):
        return "constituents"
    raise UsageError("a jet dataset has no array {name!r}", name=name)


def read_blocks(
    images_path: str | Path, names: Sequence[str], blocks: Sequence[int]
) -> dict[str, np.ndarray]:
    """{name: the rows of these blocks, in this order} of each named array (of the
    images file or of the constituents file beside it), with "labels" always among
    them. A block number outside the dataset, or a file that cannot be read, is a
    clear error."""
    images_path = Path(images_path)
    rows, count = block_rows(images_path)
    blocks = [int(block) for block in blocks]
    outside = [block for block in blocks if not 0 <= block < count]
    if outside:
        raise UsageError(
            "{path} has blocks 0 to {last} of {rows} jets each; asked for {outside}",
            path=images_path,
            last=count - 1,
            rows=rows,
            outside=outside[:3],
        )
    wanted = list(dict.fromkeys(names))
    paths = {"images": images_path, "constituents": constituents_path(images_path)}
    arrays, labels = {}, {}
    for kind, path in paths.items():
        these = [name for name in wanted if _file_of(name) == kind]
        if not these and kind == "constituents":
            continue
        with _opened(path) as file:
            try:
                for name in ["labels", *these]:
                    data = file[name]
                    values = np.concatenate(
                        [data[block * rows : (block + 1) * rows] for block in blocks]
                    )
                    (labels if name == "labels" else arrays)[kind, name] = values
            except (KeyError, OSError, ValueError) as error:
                raise DamagedInputError(
                    "{path} cannot be read ({name}: {error}); {hint}",
                    path=path,
                    name=name,
                    error=error,
                    hint=HINT,
                ) from None
    if len(labels) == 2 and not np.array_equal(*labels.values()):
        raise DamagedInputError(
            "{other} holds other jets than {path}; {hint}",
            other=paths["constituents"],
            path=images_path,
            hint=HINT,
        )
    arrays = {name: values for (_, name), values in arrays.items()}
    arrays["labels"] = labels["images", "labels"]
    return arrays


class BlockStream(torch.utils.data.IterableDataset):
    """(inputs, labels) batches of `batch_size` jets from the blocks of a dataset.

    make_input: {array name: rows} -> (rows, ...) float tensor, the model's input.
    names: the arrays it reads. seed: with the epoch (set_epoch), it fixes the order
    of the blocks and of the rows within each read, so the same stream gives the same
    batches in every run. Rows left over at the end of a read open the next read's
    first batch; only the epoch's last batch may be short.
    """

    def __init__(
        self,
        images_path: str | Path,
        blocks: Sequence[int],
        make_input: Callable[[dict], torch.Tensor],
        names: Sequence[str],
        batch_size: int,
        seed: int,
        blocks_per_read: int = 32,
    ):
        super().__init__()
        if not blocks:
            raise UsageError("a BlockStream needs at least one block")
        self.images_path = Path(images_path)
        self.blocks = np.asarray(blocks, dtype=np.int64)
        self.make_input, self.names = make_input, list(names)
        self.batch_size, self.seed = batch_size, seed
        self.blocks_per_read = blocks_per_read
        self.epoch = 0
        block_rows(self.images_path)  # a missing or unreadable file fails here

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        shuffle = np.random.default_rng([self.seed, self.epoch])
        order = shuffle.permutation(self.blocks)
        left_x = left_y = None
        for start in range(0, len(order), self.blocks_per_read):
            # sorted, so that the files are read front to back
            read = np.sort(order[start : start + self.blocks_per_read])
            arrays = read_blocks(self.images_path, self.names, read)
            x = self.make_input(arrays)
            y = torch.from_numpy(arrays["labels"].astype(np.int64))
            rows = torch.from_numpy(shuffle.permutation(len(y)))
            x, y = x[rows], y[rows]
            if left_x is not None:
                x, y = torch.cat([left_x, x]), torch.cat([left_y, y])
            whole = len(y) - len(y) % self.batch_size
            for first in range(0, whole, self.batch_size):
                yield (
                    x[first : first + self.batch_size],
                    y[first : first + self.batch_size],
                )
            left_x, left_y = x[whole:], y[whole:]
        if len(left_y):
            yield left_x, left_y


def train_streaming(
    model: nn.Module,
    stream: BlockStream,
    val_data: tuple[torch.Tensor, torch.Tensor],
    epochs: int,
    learning_rate: float,
    progress_bar: bool = True,
) -> dict:
    """jetlearn.training.train's recipe with the training batches read from `stream`
    (its batch size and seed): Adam, the learning rate falling along a half cosine, the
    mean validation loss after every epoch, and the weights of the best validation epoch
    given back to the model at the end. Returns the per-epoch losses."""
    epochs = epochs_to_run(epochs)
    device = next(model.parameters()).device
    loss_function = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    # batch_size=None: the stream makes the batches itself
    loader = torch.utils.data.DataLoader(stream, batch_size=None)
    x_val, y_val = val_data
    history = {"training": [], "validation": []}
    best_loss, best_weights = float("inf"), None
    for epoch in tqdm(range(epochs), desc="epochs", disable=not progress_bar):
        stream.set_epoch(epoch)
        model.train()
        summed_loss, jets = 0.0, 0
        for inputs, labels in loader:
            inputs, labels = inputs.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_function(model(inputs), labels)
            loss.backward()
            optimizer.step()
            summed_loss += loss.item() * len(labels)
            jets += len(labels)
        history["training"].append(summed_loss / jets)
        schedule.step()
        val_loss = validation_loss(model, x_val, y_val, loss_function)
        history["validation"].append(val_loss)
        if val_loss < best_loss:
            best_loss = val_loss
            best_weights = {
                name: w.detach().clone() for name, w in model.state_dict().items()
            }
    model.load_state_dict(best_weights)
    return history


def validation_loss(model, x, y, loss_function) -> float:
    """The mean loss over all (x, y), summed LOSS_TERM_JETS jets per term as
    training.train sums it, JETS_AT_ONCE jets per pass."""
    model.eval()
    with torch.no_grad():
        return sum(
            loss_function(
                torch.cat([model(part) for part in x_part.split(JETS_AT_ONCE)]), y_part
            ).item()
            * len(y_part)
            for x_part, y_part in zip(x.split(LOSS_TERM_JETS), y.split(LOSS_TERM_JETS))
        ) / len(y)
