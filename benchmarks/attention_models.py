"""The attention chapter's particle transformer over split seeds, on the same jets and splits
as the particle-set chapter's benchmark, with its ablation and the reference implementation.

For each seed (which sets the split, the initial weights and the batches) it trains:

- transformer: the chapter's JetTransformer with the chapter's recipe (the hardest particles
  attend to each other, with the four pairwise features as a bias; the class token reads
  every particle);
- transformer_no_pairs: the same without the pairwise features (plain attention);
- transformer_wide: the chapter's model one and a half times as wide (48), trained for 12
  epochs instead of 10, the larger variant that lowered the validation loss most when the
  chapter's settings were chosen: what a bigger budget buys, over seeds;
- transformer_hardest: the same model reading only the `hardest` particles of each jet, which
  is what the reference below reads;
- part_reference: the ParT authors' own ParticleTransformer (weaver-core, the `reference`
  extra: `pip install -e '.[reference]'`) at the size of ours, on the same hardest particles,
  pairwise features and jet pT, with the same loop and recipe. Without weaver-core this task
  fails with that instruction and the others are stored.

Every row also records the model's scoring time: milliseconds per 1 000 test jets for a
forward pass in batches, on the benchmark's device (the median of three passes). The
particle-set chapter's models (the fair MLP, the PFN, the EFN) are timed the same way, from
untrained copies, since a forward pass takes as long whatever the weights, and stored under
"scoring times". No pass/fail.

The chapters are not copied here: their code cells tagged `shared-with-benchmark` are
executed, so this script measures what they teach.

Usage (from the repository root):
    python benchmarks/attention_models.py [--seeds 2026 1 7 42 99] [--models transformer]
"""

import functools
import statistics
import sys
import time

import torch
from torch import nn

from jetimages.layout import BOOK
from jetlearn.chapters import chapter_namespace
from jetlearn.results import data_record

from over_seeds import (
    add_model_options,
    check_model_options,
    jets_in,
    loaded,
    run_benchmark,
    score_row,
    seed_benchmark_parser,
    trained,
)

CHAPTER = BOOK / "41-attention.md"
REFERENCE_INSTALL = "pip install -e '.[reference]' -c requirements.lock"
WIDE_WIDTH, WIDE_EPOCHS = 48, 12  # transformer_wide

MODELS = {  # key: what the chapter's table calls the model, and what the model reads
    "transformer": {
        "label": "particle transformer",
        "reads": "128 hardest particles (the hardest 24 attend), their pairs, log jet pT",
    },
    "transformer_no_pairs": {
        "label": "particle transformer, no pair features",
        "reads": "128 hardest particles (the hardest 24 attend), log jet pT",
    },
    "transformer_wide": {
        "label": "particle transformer, width 48, 12 epochs",
        "reads": "128 hardest particles (the hardest 24 attend), their pairs, log jet pT",
    },
    "transformer_hardest": {
        "label": "particle transformer, 24 particles",
        "reads": "24 hardest particles, their pairs, log jet pT",
    },
    "part_reference": {
        "label": "ParT (weaver-core), 24 particles",
        "reads": "24 hardest particles, their pairs, log jet pT",
    },
}


@functools.cache
def chapter() -> dict:
    """The attention chapter's tagged cells (which run the particle chapter's), once per
    process, with the particle chapter's names beneath its own."""
    book = chapter_namespace(CHAPTER)
    return {**book["particle_chapter"], **book}


class ReferenceTransformer(nn.Module):
    """weaver-core's ParticleTransformer on the particle chapter's input, at the size of
    the chapter's JetTransformer: the same nine numbers per particle plus the jet's log pT
    (repeated on every particle: ParT has no input for a jet-level number), massless
    four-vectors at eta = x, phi = y with the pT share as pT (its pairwise features are
    then ours), and the type flags as mask."""

    def __init__(self, width=32, heads=4, blocks=2):
        super().__init__()
        try:
            from weaver.nn.model.ParticleTransformer import ParticleTransformer
        except ImportError as error:
            raise ImportError(
                f"the reference needs weaver-core: {REFERENCE_INSTALL}"
            ) from error
        no_dropout = {"dropout": 0, "attn_dropout": 0, "activation_dropout": 0}
        self.part = ParticleTransformer(
            input_dim=10,
            num_classes=5,
            embed_dims=(width, width),
            pair_embed_dims=(8,),
            num_heads=heads,
            num_layers=blocks,
            num_cls_layers=1,
            block_params={"ffn_ratio": 2, **no_dropout},
            cls_block_params={"ffn_ratio": 2, **no_dropout},
            trim=False,
        )

    def forward(self, x):
        particles, jet_scale = chapter()["JetTransformer"].split(
            x
        )  # (N, P, 10), (N, 1)
        real = particles[..., 5:].sum(dim=-1) > 0  # (N, P)
        scale = jet_scale.unsqueeze(1).expand(-1, particles.shape[1], -1)
        features = torch.cat([particles[..., 1:], scale], dim=-1) * real.unsqueeze(-1)
        share, eta, phi = particles[..., 0], particles[..., 2], particles[..., 3]
        vectors = torch.stack(
            [
                share * torch.cos(phi),
                share * torch.sin(phi),
                share * torch.sinh(eta),
                share * torch.cosh(eta),
            ],
            dim=1,
        )  # (N, 4, P): px, py, pz, E in units of the jet's pT
        return self.part(
            features.transpose(1, 2), v=vectors, mask=real.unsqueeze(1).float()
        )


def scoring_milliseconds(model, x, batch=1024, repeats=3) -> float:
    """Milliseconds per 1 000 jets of a forward pass over x, in batches, without gradients
    (the median of `repeats` passes after one to warm up)."""
    model.eval()
    device = next(model.parameters()).device
    times = []
    with torch.no_grad():
        for _ in range(repeats + 1):
            start = time.perf_counter()
            for part in x.split(batch):
                model(part.to(device))
            if device.type == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
    return 1e6 * statistics.median(times[1:]) / len(x)


def model_input(book: dict, jets, key: str, train_rows):
    """(network input for every jet, a function that makes the model, its recipe) of
    model `key`, scaled on `train_rows`."""
    if key not in MODELS:
        raise KeyError(f"attention_models has no model {key!r}")
    hardest = book["JetTransformer"]().hardest
    rows = hardest if key in ("transformer_hardest", "part_reference") else None
    kept = jets.particles[:, : rows or book["MAX_ROWS"]]
    statistics_ = book["input_statistics"](kept, jets.jet_pt, train_rows)
    x = book["network_input"](kept, jets.jet_pt, statistics_)
    makers = {
        "transformer": book["JetTransformer"],
        "transformer_no_pairs": lambda: book["JetTransformer"](pairs=False),
        "transformer_hardest": book["JetTransformer"],
        "transformer_wide": lambda: book["JetTransformer"](width=WIDE_WIDTH),
        "part_reference": ReferenceTransformer,
    }
    return x, makers[key], recipes(book)[key]


def recipes(book: dict) -> dict:
    """Each model's recipe: the chapter's, but for the wide model's longer training."""
    recipe = book["ATTENTION_RECIPE"]
    return {
        **dict.fromkeys(MODELS, recipe),
        "transformer_wide": {**recipe, "epochs": WIDE_EPOCHS},
    }


def one_task(task) -> dict:
    """The models of an over_seeds.Task, on the jets of task.data[0] and their
    particles."""
    book = chapter()
    jets = loaded(task.data[0], constituents=True)
    split = book["split_rows"](jets.labels, seed=task.seed)
    rows = {}
    for key in task.models:
        x, make_model, recipe = model_input(book, jets, key, split[0])
        model, seconds = trained(
            book, x, make_model, recipe, split, jets.labels, task.seed
        )
        test = x[split[2]]
        device = next(model.parameters()).device
        probabilities = book["predict_probabilities"](model, test.to(device))
        rows[key] = {
            **score_row(book, model, probabilities, jets.labels[split[2]], seconds),
            "scoring (ms per 1000 jets)": scoring_milliseconds(model, test),
        }
    return rows


def particle_chapter_scoring(book: dict, data: str) -> dict:
    """Scoring times of the particle chapter's fair MLP, PFN and EFN (untrained copies)
    on the test jets of the first seed's split, as one_task times its own models."""
    jets = loaded(data, constituents=True)
    train_rows, _, test_rows = book["split_rows"](jets.labels, seed=2026)
    kept = jets.particles[:, : book["MAX_ROWS"]]
    statistics_ = book["input_statistics"](kept, jets.jet_pt, train_rows)
    particles = book["network_input"](
        kept[test_rows], jets.jet_pt[test_rows], statistics_
    )
    features = torch.zeros(len(test_rows), 18)  # the fair MLP's 18 standardized inputs
    torch.manual_seed(0)
    models = {
        "mlp_pt_mass": (book["FeatureMLP"](n_features=18), features),
        "pfn": (book["ParticleFlowNetwork"](), particles),
        "efn": (book["EnergyFlowNetwork"](), particles),
    }
    return {
        key: {
            "parameters": sum(p.numel() for p in model.parameters()),
            "scoring (ms per 1000 jets)": scoring_milliseconds(model, x),
        }
        for key, (model, x) in models.items()
    }


def main(argv=None) -> int:
    parser = seed_benchmark_parser(__doc__.split("\n\n")[0])
    add_model_options(parser, list(MODELS), always=["transformer"])
    args = parser.parse_args(argv)
    check_model_options(parser, args)

    book = chapter()
    print(f"{jets_in(args.data)} jets from {args.data}")
    only = None if args.models is None else {"transformer", *args.models}
    about = {
        "data": data_record(args.data),
        "recipes": {
            "attention": book["ATTENTION_RECIPE"],
            "transformer_wide": recipes(book)["transformer_wide"],
            "wide width": WIDE_WIDTH,
        },
        "scoring times": particle_chapter_scoring(book, args.data),
    }
    return run_benchmark(
        "attention_models",
        one_task,
        args,
        [key for key in MODELS if only is None or key in only],
        MODELS,
        about,
        baseline="transformer",
    )


if __name__ == "__main__":
    sys.exit(main())
