"""The figure-layout check finds what a reader would see collide, and passes clean figures."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

from booktools.figure_layout import PROBLEM_MARK, layout_problems  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def clean_figure():
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3), layout="constrained")
    x = np.linspace(0, 1, 50)
    left.plot(x, x**2, label="rising")
    left.legend(loc="upper left")
    left.set(title="Left", xlabel="x", ylabel="y")
    right.hist(np.random.default_rng(1).normal(size=500), bins=20)
    right.set(title="Right", xlabel="value", ylabel="jets")
    return fig


def test_a_clean_figure_has_no_problems():
    assert layout_problems(clean_figure()) == []


def test_titles_that_run_into_each_other_are_found():
    fig, axes = plt.subplots(1, 3, figsize=(4, 2))
    for ax in axes:
        ax.set_title("a title far too long for its narrow panel")
    found = layout_problems(fig)
    assert any("title" in problem and "runs into" in problem for problem in found)


def test_tick_labels_that_run_together_are_found():
    fig, ax = plt.subplots(figsize=(1.2, 1.2))
    ax.set_xticks(np.linspace(-0.5, 0.5, 11))
    ax.set_xlim(-0.5, 0.5)
    found = layout_problems(fig)
    assert any("x tick labels" in problem for problem in found), found


def test_slanted_tick_labels_are_judged_by_the_distance_between_their_lines():
    names = ["gluon", "light quark", "top quark", "W boson", "Z boson"]
    fig, ax = plt.subplots(figsize=(4, 4), layout="constrained")
    ax.imshow(np.ones((5, 5)))
    ax.set_xticks(range(5), names, rotation=30)
    assert layout_problems(fig) == []  # their boxes overlap, their lines do not
    fig, ax = plt.subplots(figsize=(1.5, 4), layout="constrained")
    ax.imshow(np.ones((5, 5)))
    ax.set_xticks(range(5), names, rotation=10)
    assert any("x tick labels" in problem for problem in layout_problems(fig))


def test_panels_without_axes_have_no_tick_labels_to_collide():
    fig, axes = plt.subplots(1, 3, figsize=(3, 2))
    for ax in axes:
        ax.set_yticks([0, 0.5, 1], ["a long label", "another one", "and a third"])
        ax.axis("off")
    assert layout_problems(fig) == []


def test_a_title_over_a_colour_bar_is_found():
    fig, ax = plt.subplots(figsize=(3, 3))
    image = ax.imshow(np.ones((5, 5)))
    fig.colorbar(image, ax=ax)
    ax.set_title("a very long title that reaches past the panel, over the bar")
    found = layout_problems(fig)
    assert any("runs into" in problem for problem in found), found


def test_a_legend_over_a_line_is_found():
    fig, ax = plt.subplots(figsize=(4, 3))
    x = np.linspace(0, 1, 50)
    ax.plot(x, np.full_like(x, 0.9), label="flat, high")
    ax.set_ylim(0, 1)
    ax.legend(loc="upper right")
    found = layout_problems(fig)
    assert any("legend" in problem and "flat, high" in problem for problem in found)


def test_a_legend_over_bars_is_found():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(range(5), [1, 1, 1, 1, 1], width=1.0, label="bars")
    ax.set_ylim(0, 1)
    ax.legend(loc="center")
    assert any("legend" in problem for problem in layout_problems(fig))


def test_a_legend_outside_its_panel_covers_nothing():
    fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
    x = np.linspace(0, 1, 50)
    ax.plot(x, x, label="diagonal")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))
    assert layout_problems(fig) == []


@pytest.mark.parametrize("show", ["", "plt.show()\n"])
def test_the_kernel_hook_sees_every_figure_the_inline_backend_shows(show):
    """In a real kernel, with the inline backend: a figure shown at the cell's end, or by
    plt.show() within it, is checked."""
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "from booktools.figure_layout import watch\nwatch()"
            ),
            nbformat.v4.new_code_cell(
                "import matplotlib.pyplot as plt\n"
                "fig, axes = plt.subplots(1, 3, figsize=(4, 2))\n"
                "for ax in axes:\n"
                "    ax.set_title('a title far too long for its narrow panel')\n" + show
            ),
        ]
    )
    NotebookClient(notebook, timeout=60, kernel_name="python3").execute()
    outputs = notebook.cells[1].outputs
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert PROBLEM_MARK in printed
    assert any(o.output_type == "display_data" for o in outputs), "the figure is shown"


def test_the_plugin_reads_the_problems_a_cell_printed():
    from booktools.pytest_plugin import figure_problems

    outputs = [
        {"output_type": "stream", "name": "stdout", "text": "accuracy 0.7\n"},
        {"output_type": "stream", "name": "stderr", "text": f"{PROBLEM_MARK} a b\n"},
        {"output_type": "display_data", "data": {}},
    ]
    assert figure_problems(outputs) == ["a b"]
    assert figure_problems(outputs[:1]) == []
