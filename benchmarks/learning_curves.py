"""How much more jets buy: the book's networks trained on 5 000 to 280 000 jets of a
larger dataset, scored on the same test jets at every size.

The models are those the book compares on the same information (MODELS): chapter 31's fair
MLP (16 features, jet pT and mass) and three-channel CNN (with jet pT and mass), chapter
40's PFN and chapter 41's particle transformer, each with its chapter's code and recipe
(the chapters' cells tagged `shared-with-benchmark` are executed, not copied); and the
MLP on the 16 features alone, which reads what the hls4ml reference network reads.

The data are a dataset made for this benchmark (README.md, 'A larger dataset': 400 000
jets, not committed). Its jets are split by block, a block being the 1 000 rows of one
HDF5 chunk (jetlearn.streaming): the first TEST_JETS are the test jets and the next
VALIDATION_JETS the validation jets of every size and seed; the seed orders the remaining
blocks, and a training of N jets reads the first N / 1 000 of them, so that the sizes of
one seed are nested. The seed also sets the initial weights and the batches. The inputs
are scaled with at most STATISTICS_JETS of the training jets.

A training holds at most one read of its training jets in memory (32 blocks of 1 000 jets):
its batches stream from the HDF5 files (jetlearn.streaming.BlockStream), so the largest size
needs no more memory than 32 000 jets; every row records the process's peak memory so far. Small trainings get more epochs
(epochs_for): up to FLOOR_JETS jets every training takes the steps of its recipe on FLOOR_JETS
jets (fewer than the recipe takes on the book's 64 000), so that the smallest sets are not
cut short by their few batches per epoch; from there on the epochs are the recipe's.
Trainings are kept in benchmarks/.trained/ like the other benchmarks' (an interrupted run
starts again where it stopped). No pass/fail.

Usage (from the repository root):
    python benchmarks/learning_curves.py --data large-data/jet-images.h5
        [--sizes 5000 10000 ... 280000] [--seeds 2026 1 7] [--repeat-up-to 20000]
        [--dask local --workers 2]
"""

import functools
import hashlib
import math
import os
import resource
import sys
import time
import types
from pathlib import Path

import numpy as np
import torch

from jetimages.schema import constituents_path
from jetlearn import streaming
from jetlearn.kept import code_digest, save_whole, training_key
from jetlearn.results import data_record

import over_seeds
from over_seeds import held, jets_in, run_benchmark, score_row, seed_benchmark_parser

SIZES = [5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 280_000]
SEEDS = [2026, 1, 7]
REPEAT_UP_TO = 20_000
"""Sizes up to this one are trained with every seed; larger ones with the first only."""
TEST_JETS, VALIDATION_JETS = 40_000, 10_000
STATISTICS_JETS = 40_000
FLOOR_JETS = 20_000
"""epochs_for: a training sees at least its recipe's epochs times this many jets..."""
MOST_EPOCHS = 4
"""...in at most this many times its recipe's epochs."""
DEFAULT_DATA = "large-data/jet-images.h5"

MODELS = {  # key: the model's label and what it reads
    "mlp": {
        "label": "MLP, 16 features",
        "reads": "16 features",
    },
    "mlp_pt_mass": {
        "label": "fair MLP (16 features, jet pT and mass)",
        "reads": "16 features, log jet pT, log jet mass",
    },
    "cnn3_pt_mass": {
        "label": "three-channel CNN, jet pT and mass",
        "reads": "3-channel 20x20 image, log jet pT, log jet mass",
    },
    "pfn": {"label": "PFN", "reads": "128 hardest particles, log jet pT"},
    "transformer": {
        "label": "particle transformer",
        "reads": "128 hardest particles (the hardest 24 attend), their pairs, log jet pT",
    },
}


@functools.cache
def chapters() -> dict:
    """The CNN chapters' names, and the attention chapter's over the particle
    chapter's (their RECIPEs differ: each model takes its own below)."""
    import attention_models
    import cnn_models

    return {"cnn": cnn_models.chapters(), "particles": attention_models.chapter()}


def epochs_for(recipe_epochs: int, jets: int) -> int:
    """The recipe's epochs, or more for a small training set: enough to pass over
    recipe_epochs * FLOOR_JETS jets, but at most MOST_EPOCHS times the recipe's."""
    wanted = math.ceil(recipe_epochs * FLOOR_JETS / jets)
    return min(MOST_EPOCHS * recipe_epochs, max(recipe_epochs, wanted))


def _jets(arrays: dict) -> types.SimpleNamespace:
    """What jet_pt_and_mass reads, from a dict of arrays."""
    return types.SimpleNamespace(jet_pt=arrays["jet_pt"], jet_mass=arrays["jet_mass"])


def model_recipe(key: str) -> tuple:
    """(arrays read, fit, a function that makes the model, recipe) of model `key`.
    fit(arrays of training jets) -> make_input(arrays) -> input tensor: the input
    scaled with those training jets, as the model's chapter scales it."""
    if key not in MODELS:
        raise KeyError(f"learning_curves has no model {key!r}")
    cnn, particles = chapters()["cnn"], chapters()["particles"]
    pt_and_mass = cnn["jet_pt_and_mass"]
    everything = slice(None)
    if key.startswith("mlp"):
        extra = key == "mlp_pt_mass"

        def numbers(arrays):
            if not extra:
                return arrays["features"]
            return np.concatenate([arrays["features"], pt_and_mass(_jets(arrays))], 1)

        def fit(training):
            scale = numbers(training)
            return lambda arrays: cnn["standardized"](
                numbers(arrays), everything, scale
            )

        make = functools.partial(cnn["FeatureMLP"], n_features=18 if extra else 16)
        names = ["features", "jet_pt", "jet_mass"] if extra else ["features"]
        return names, fit, make, cnn["MLP_RECIPE"]
    if key == "cnn3_pt_mass":

        def fit(training):
            scale = pt_and_mass(_jets(training))

            def make_input(arrays):
                image = cnn["to_multichannel_input"](
                    arrays["images"], arrays["channels"]
                )
                numbers = cnn["standardized"](
                    pt_and_mass(_jets(arrays)), everything, scale
                )
                return torch.cat([image.flatten(1), numbers], dim=1)

            return make_input

        make = functools.partial(cnn["BranchedCNN"], in_channels=3, n_numbers=2)
        return ["images", "channels", "jet_pt", "jet_mass"], fit, make, cnn["RECIPE"]
    hardest = particles["MAX_ROWS"]

    def fit(training):
        statistics = particles["input_statistics"](
            training["particles"][:, :hardest], training["jet_pt"], everything
        )
        return lambda arrays: particles["network_input"](
            arrays["particles"][:, :hardest], arrays["jet_pt"], statistics
        )

    if key == "pfn":
        return (
            ["particles", "jet_pt"],
            fit,
            particles["ParticleFlowNetwork"],
            {**particles["RECIPE"]},
        )
    return (
        ["particles", "jet_pt"],
        fit,
        particles["JetTransformer"],
        particles["ATTENTION_RECIPE"],
    )


def split_blocks(path: str, seed: int) -> tuple[list, list, list]:
    """(test blocks, validation blocks, every other block in the seed's order)."""
    rows, count = streaming.block_rows(path)
    test, validation = TEST_JETS // rows, VALIDATION_JETS // rows
    if count <= test + validation:
        raise SystemExit(
            f"error: {path} has {count * rows} jets; this benchmark needs more than "
            f"{TEST_JETS + VALIDATION_JETS} (make the dataset of README.md, 'A larger "
            f"dataset')"
        )
    pool = np.arange(test + validation, count)
    order = np.random.default_rng(seed).permutation(pool)
    return (
        list(range(test)),
        list(range(test, test + validation)),
        order.tolist(),
    )


def held_arrays(path: str, names: list, blocks: list) -> dict:
    """The arrays of these blocks, kept in this process for the next point (the test
    and validation jets are the same at every size)."""
    key = (path, tuple(names), tuple(blocks))
    return held(
        f"blocks {blocks[0]}", key, lambda: streaming.read_blocks(path, names, blocks)
    )


def file_checksums(images_path: str) -> dict[str, str]:
    """{file name: SHA-256 of its bytes} of both files of a dataset, as `sha256sum`
    prints them (make large-data checks them against benchmarks/large-dataset.sha256)."""
    checksums = {}
    for path in (Path(images_path), constituents_path(images_path)):
        with open(path, "rb") as file:
            checksums[path.name] = hashlib.file_digest(file, "sha256").hexdigest()
    return checksums


@functools.cache
def data_digest(path: str) -> str:
    """One digest of both files of the dataset (their contents, not their bytes)."""
    return str(sorted(data_record(path).items()))


def _training_key(model, path: str, key: str, blocks: list, recipe: dict, seed: int):
    """Everything a training depends on: the model (its layers, initial weights and
    code), the dataset's digest, the blocks it reads, the recipe, the seed, the code
    of the streaming loop and of this model's inputs."""
    code = [streaming.train_streaming, streaming.BlockStream.__iter__, model_recipe]
    about = {
        **recipe,
        "data": data_digest(path),
        "inputs": key,
        "code": [code_digest(function.__code__).hex() for function in code],
    }
    return training_key(model, [np.asarray(blocks, dtype=np.int64)], about, seed)


def peak_memory_gb() -> float:
    """The most memory this process has held so far (its peak resident set), in GB."""
    kilobytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kilobytes * 1024 / 1e9


def one_point(path: str, key: str, size: int, seed: int) -> dict:
    """Model `key` trained on `size` jets of the split of `seed`; its test scores."""
    names, fit, make_model, recipe = model_recipe(key)
    test_blocks, val_blocks, order = split_blocks(path, seed)
    rows, _ = streaming.block_rows(path)
    if size % rows or size // rows > len(order):
        raise SystemExit(
            f"error: a training size must be a multiple of {rows} jets, at most "
            f"{len(order) * rows} for {path}; not {size}"
        )
    training = order[: size // rows]
    make_input = fit(
        streaming.read_blocks(path, names, training[: STATISTICS_JETS // rows])
    )
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    val = held_arrays(path, names, val_blocks)
    x_val = make_input(val).to(device)
    y_val = torch.from_numpy(val["labels"].astype(np.int64)).to(device)
    recipe = {**recipe, "epochs": epochs_for(recipe["epochs"], size)}

    torch.manual_seed(seed)
    model = make_model().to(device)
    stored = over_seeds.TRAINED / "learning-curves"
    file = stored / f"{_training_key(model, path, key, training, recipe, seed)}.pt"
    retrain = os.environ.get(over_seeds.RETRAIN_VARIABLE, "0") not in ("", "0")
    if file.exists() and not retrain:
        kept = torch.load(file, map_location=device, weights_only=True)
        model.load_state_dict(kept["weights"])
        seconds = kept["seconds"]
    else:
        stream = streaming.BlockStream(
            path, training, make_input, names, recipe["batch_size"], seed
        )
        start = time.perf_counter()
        streaming.train_streaming(
            model,
            stream,
            (x_val, y_val),
            recipe["epochs"],
            recipe["learning_rate"],
            progress_bar=False,
        )
        seconds = time.perf_counter() - start
        save_whole({"weights": model.state_dict(), "seconds": seconds}, file)
    del x_val
    test = held_arrays(path, names, test_blocks)
    book = chapters()["cnn"]
    probabilities = book["predict_probabilities"](model, make_input(test).to(device))
    return {
        **score_row(book, model, probabilities, test["labels"], seconds),
        "training jets": size,
        "epochs": recipe["epochs"],
        "peak memory (GB)": peak_memory_gb(),
    }


def key_of(model: str, size: int) -> str:
    return f"{model} {size}"


def one_task(task) -> dict:
    """The points of an over_seeds.Task: keys "MODEL SIZE" (key_of), on task.data[0]."""
    rows = {}
    for key in task.models:
        model, size = key.rsplit(" ", 1)
        rows[key] = one_point(task.data[0], model, int(size), task.seed)
    return rows


def main(argv=None) -> int:
    parser = seed_benchmark_parser(__doc__.split("\n\n")[0])
    parser.set_defaults(data=DEFAULT_DATA, seeds=SEEDS)
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=SIZES,
        help="training sizes in jets (multiples of 1 000)",
    )
    parser.add_argument(
        "--repeat-up-to",
        type=int,
        default=REPEAT_UP_TO,
        help="sizes up to this one run with every seed, larger ones with the first",
    )
    parser.add_argument(
        "--models", nargs="+", choices=list(MODELS), help="only these (not stored)"
    )
    args = parser.parse_args(argv)
    print(f"{jets_in(args.data)} jets from {args.data}")
    first, models = args.seeds[0], args.models or list(MODELS)

    def keys(seed: int) -> list[str]:
        # the largest first: on a cluster, the long trainings start early
        return [
            key_of(model, size)
            for size in sorted(args.sizes, reverse=True)
            if seed == first or size <= args.repeat_up_to
            for model in models
        ]

    about = {
        "data": data_record(args.data),
        "data files": file_checksums(args.data),
        "split": {"test jets": TEST_JETS, "validation jets": VALIDATION_JETS},
        "recipes": {key: model_recipe(key)[3] for key in models},
        "epochs": {
            "floor jets": FLOOR_JETS,
            "most epochs (times the recipe's)": MOST_EPOCHS,
        },
        "sizes": sorted(args.sizes),
        "repeated up to": args.repeat_up_to,
    }
    described = {
        key_of(model, size): MODELS[model] for model in models for size in args.sizes
    }
    return run_benchmark(
        "learning_curves", one_task, args, keys, described, about, baseline=None
    )


if __name__ == "__main__":
    sys.exit(main())
