"""The stored benchmark results still describe the chapters' models.

The chapters quote margins from benchmarks/results/*.json. Those numbers go stale when a
chapter's model or recipe changes without the benchmark being run again; these tests catch
that: the stored recipes must be the chapters' recipes, and every stored model must have the
number of parameters that the chapter's code gives it today."""

import functools
from pathlib import Path

import pytest

from booktools.book import BOOK
from jetlearn.chapters import chapter_namespace
from jetlearn.results import data_record, load_results

RERUN = "rerun `python benchmarks/{name}.py` and commit benchmarks/results/{name}.json"


@pytest.fixture(scope="module")
def cnn_book():
    """Chapter 30's CNN and recipes, with chapter 31's three-channel models."""
    return chapter_namespace(BOOK / "30-convolutional-neural-networks.md") | (
        chapter_namespace(BOOK / "31-what-the-picture-lost.md")
    )


@pytest.fixture(scope="module")
def particle_book():
    return chapter_namespace(BOOK / "40-particle-sets.md")


def stored_parameters(name):
    scores = load_results(name)
    return scores["parameters"].groupby(level="model").first().astype(int).to_dict()


def test_cnn_results_match_the_chapter(cnn_book):
    stored = load_results("cnn_models").attrs["recipes"]
    assert stored == {"cnn": cnn_book["RECIPE"], "mlp": cnn_book["MLP_RECIPE"]}, (
        RERUN.format(name="cnn_models")
    )
    parameters = stored_parameters("cnn_models")
    count = cnn_book["count_parameters"]
    today = {
        "mlp": count(cnn_book["FeatureMLP"]()),
        "mlp_pt_mass": count(cnn_book["FeatureMLP"](n_features=18)),
        "cnn": count(cnn_book["JetCNN"]()),
        "cnn3_pt_mass": count(cnn_book["BranchedCNN"](in_channels=3, n_numbers=2)),
        "everything": count(cnn_book["BranchedCNN"](in_channels=3, n_numbers=18)),
    }
    for model, n in today.items():
        assert parameters[model] == n, f"{model} changed; " + RERUN.format(
            name="cnn_models"
        )


def test_particle_results_match_the_chapter(particle_book):
    stored = load_results("particle_models").attrs["recipes"]
    assert stored["particles"] == particle_book["RECIPE"], RERUN.format(
        name="particle_models"
    )
    assert stored["mlp"] == particle_book["MLP_RECIPE"], RERUN.format(
        name="particle_models"
    )
    parameters = stored_parameters("particle_models")
    count = particle_book["count_parameters"]
    rows = particle_book["MAX_ROWS"]
    today = {
        "pfn": count(particle_book["ParticleFlowNetwork"]()),
        "pfn_long": count(
            particle_book["ParticleFlowNetwork"](width=stored["long width"])
        ),
        "efn": count(particle_book["EnergyFlowNetwork"]()),
        "flat": count(
            particle_book["FlatMLP"](n_inputs=rows * particle_book["N_COLUMNS"] + 1)
        ),
    }
    for model, n in today.items():
        assert parameters[model] == n, f"{model} changed; " + RERUN.format(
            name="particle_models"
        )


def test_attention_results_match_the_chapter():
    book = chapter_namespace(BOOK / "41-attention.md")
    stored = load_results("attention_models")
    recipe = book["ATTENTION_RECIPE"]
    assert stored.attrs["recipes"]["attention"] == recipe, RERUN.format(
        name="attention_models"
    )
    wide_recipe = stored.attrs["recipes"]["transformer_wide"]
    assert {**wide_recipe, "epochs": recipe["epochs"]} == recipe
    parameters = stored_parameters("attention_models")
    count, transformer = book["count_parameters"], book["JetTransformer"]
    today = {
        "transformer": count(transformer()),
        "transformer_no_pairs": count(transformer(pairs=False)),
        "transformer_hardest": count(transformer()),
        "transformer_wide": count(
            transformer(width=stored.attrs["recipes"]["wide width"])
        ),
    }
    for model, n in today.items():
        assert parameters[model] == n, f"{model} changed; " + RERUN.format(
            name="attention_models"
        )


def test_the_trust_chapters_transformer_is_the_attention_benchmarks():
    # the same training (model, inputs, recipe, seed) in both benchmarks: a transformer
    # changed and benchmarked again in attention_models alone would differ here
    attention = load_results("attention_models").xs("transformer", level="model")
    robustness = load_results("robustness").xs("transformer", level="model")
    assert (attention["accuracy"] == robustness["accuracy"]).all(), (
        RERUN.format(name="robustness") + " (--models transformer --update)"
    )


def test_robustness_results_match_the_chapter():
    trust_book = chapter_namespace(BOOK / "50-can-you-trust-it.md")
    stored = load_results("robustness")
    networks = trust_book["MODELS"]
    assert stored.attrs["recipes"] == {
        key: recipe for key, (*_, recipe) in networks.items()
    }, RERUN.format(name="robustness")
    assert stored.attrs["simulations"] == trust_book["SIMULATIONS"]
    assert set(networks) <= set(stored.index.unique("model")), RERUN.format(
        name="robustness"
    )


def test_learning_curve_results_match_the_chapters(cnn_book):
    """The learning curves' models are the chapters' (recipes, sizes) and their data the
    larger dataset whose checksums are committed (it is not: make large-data)."""
    book = {**cnn_book, **chapter_namespace(BOOK / "41-attention.md")}
    stored = load_results("learning_curves")
    rerun = RERUN.format(name="learning_curves")
    particles = book["particle_chapter"]
    assert stored.attrs["recipes"] == {
        "mlp": book["MLP_RECIPE"],
        "mlp_pt_mass": book["MLP_RECIPE"],
        "cnn3_pt_mass": cnn_book["RECIPE"],
        "pfn": particles["RECIPE"],
        "transformer": book["ATTENTION_RECIPE"],
    }, rerun
    count = book["count_parameters"]
    today = {
        "mlp": count(book["FeatureMLP"]()),
        "mlp_pt_mass": count(book["FeatureMLP"](n_features=18)),
        "cnn3_pt_mass": count(cnn_book["BranchedCNN"](in_channels=3, n_numbers=2)),
        "pfn": count(particles["ParticleFlowNetwork"]()),
        "transformer": count(book["JetTransformer"]()),
    }
    for key, n in stored_parameters("learning_curves").items():
        assert n == today[key.rsplit(" ", 1)[0]], f"{key} changed; {rerun}"
    committed = (BOOK.parent / "benchmarks" / "large-dataset.sha256").read_text()
    checksums = dict(line.split()[::-1] for line in committed.splitlines())
    assert stored.attrs["data files"] == {
        Path(name).name: digest for name, digest in checksums.items()
    }, rerun


@pytest.mark.parametrize(
    "name",
    ["cnn_models", "main_project", "particle_models", "attention_models", "robustness"],
)
def test_stored_results_are_of_the_committed_data(name):
    """A benchmark records a SHA-256 of the arrays and their description in every data
    file it read (jetlearn.results.data_record); new data without a new run would leave
    the chapters quoting scores of jets that are no longer there. The same arrays
    written again by newer software (other versions and code digest) are the same
    data."""
    recorded = load_results(name).attrs.get("data")
    assert recorded, RERUN.format(name=name) + " (it records no data files)"
    today = {}
    for file in recorded:
        if "images" in file:
            today.update(data_record_of(file))
    assert recorded == today, "the data changed since; " + RERUN.format(name=name)


@functools.cache
def data_record_of(images_file: str) -> dict:
    """data_record of one committed dataset, read once for all benchmarks."""
    return data_record(BOOK / "data" / images_file)
