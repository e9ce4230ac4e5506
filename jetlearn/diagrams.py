"""Diagrams for the CNN chapter, drawn with matplotlib so that no picture has to be copied in.

- `connection_diagrams`: a row of inputs feeding a row of outputs three ways (fully connected,
  locally connected, convolutional), to show what "local connectivity" and "weight sharing" remove;
- `sliding_kernel_diagram`: one step of a 2D convolution, with every number written in its cell.

Both only draw; the chapter explains what they show.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, Rectangle

# one colour per kernel position, for the weight-sharing panel (Okabe-Ito, safe for colour blindness)
KERNEL_COLOURS = ("#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00")


def _nodes(ax, xs, y, label, colour="white"):
    for x in xs:
        ax.add_patch(
            Circle((x, y), 0.25, facecolor=colour, edgecolor="black", lw=1.2, zorder=3)
        )
    ax.text(min(xs) - 0.6, y, label, ha="right", va="center")


def connection_diagrams(n_inputs: int = 8, kernel_size: int = 3, axes=None):
    """Three panels: inputs (bottom row) connected to outputs (top row) by the weights of a layer.

    1. fully connected: every output sees every input, n_inputs**2 weights;
    2. locally connected: each output sees kernel_size neighbours, each line its own weight;
    3. convolution: the same neighbourhoods, with the kernel_size weights shared by every output
       (lines of one colour are one and the same number).

    No padding: there are n_inputs - kernel_size + 1 outputs in panels 2 and 3.
    Returns the figure.
    """
    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(10, 3.2))
    else:
        fig = axes[0].figure
    inputs = np.arange(n_inputs, dtype=float)
    n_local = n_inputs - kernel_size + 1
    local_outputs = (
        np.arange(n_local) + (kernel_size - 1) / 2
    )  # centred above their neighbourhood
    height = 3.0  # vertical distance between the rows, in units of the node spacing
    rng = np.random.default_rng(
        7
    )  # only to give the unshared weights visibly different shades

    titles = [
        f"fully connected\n{n_inputs} × {n_inputs} = {n_inputs * n_inputs} weights",
        f"locally connected\n{n_local} × {kernel_size} = {n_local * kernel_size} weights",
        f"convolution (local + shared)\n{kernel_size} weights",
    ]
    for panel, ax in enumerate(axes):
        outputs = inputs if panel == 0 else local_outputs
        for j, x_out in enumerate(outputs):
            sources = range(n_inputs) if panel == 0 else range(j, j + kernel_size)
            for k, i in enumerate(sources):
                if panel == 2:
                    colour, width = KERNEL_COLOURS[k % len(KERNEL_COLOURS)], 2.2
                else:
                    colour, width = str(rng.uniform(0.15, 0.7)), 1.0
                ax.plot(
                    [inputs[i], x_out], [0, height], color=colour, lw=width, zorder=1
                )
        _nodes(ax, inputs, 0, "input")
        _nodes(ax, outputs, height, "output", colour="0.85")
        ax.set_title(titles[panel])
        ax.set_xlim(-2.4, n_inputs - 0.6)
        ax.set_ylim(-0.4, height + 0.4)
        ax.set_aspect("equal")
        ax.axis("off")
    return fig


def _grid(ax, values, title, frame_rows, highlight=None, colour="#0072B2"):
    """A matrix drawn as labelled cells, row 0 at the top, centred in a frame of `frame_rows` rows
    (so that cells are the same size in every panel), with an optional highlighted block."""
    n_rows, n_cols = values.shape
    top = (frame_rows - n_rows) / 2
    for r in range(n_rows):
        for c in range(n_cols):
            ax.add_patch(
                Rectangle((c, top + r), 1, 1, facecolor="white", edgecolor="0.4", lw=1)
            )
            ax.text(
                c + 0.5, top + r + 0.5, f"{values[r, c]:g}", ha="center", va="center"
            )
    if highlight is not None:
        (r0, c0), (height, width) = highlight
        ax.add_patch(
            Rectangle(
                (c0, top + r0),
                width,
                height,
                facecolor=colour,
                alpha=0.25,
                edgecolor=colour,
                lw=3,
            )
        )
    ax.set_xlim(-0.1, n_cols + 0.1)
    ax.set_ylim(frame_rows + 0.1, -0.1)  # row 0 on top, as in a printed matrix
    ax.set_aspect("equal")
    ax.set_title(title)
    ax.axis("off")


def sliding_kernel_diagram(
    image: np.ndarray, kernel: np.ndarray, row: int, col: int, axes=None
):
    """One output pixel of a convolution (PyTorch's convention: the kernel is not flipped, no padding).

    Panels: the input with the window that the kernel covers, the kernel, and the output with the
    pixel that this window produces; the title of the last panel spells out the sum.
    Returns the figure.
    """
    image = np.asarray(image)
    kernel = np.asarray(kernel)
    k_rows, k_cols = kernel.shape
    out_rows, out_cols = image.shape[0] - k_rows + 1, image.shape[1] - k_cols + 1
    output = np.array(
        [
            [
                np.sum(image[r : r + k_rows, c : c + k_cols] * kernel)
                for c in range(out_cols)
            ]
            for r in range(out_rows)
        ]
    )
    if axes is None:
        fig, axes = plt.subplots(
            1,
            3,
            figsize=(10, 3.8),
            gridspec_kw={"width_ratios": [image.shape[1], k_cols, out_cols]},
        )
    else:
        fig = axes[0].figure
    window = image[row : row + k_rows, col : col + k_cols]
    terms = " + ".join(
        f"{a:g}·{b:g}" if b >= 0 else f"{a:g}·({b:g})"
        for a, b in zip(window.ravel(), kernel.ravel())
        if a * b != 0
    )
    frame = image.shape[0]
    _grid(
        axes[0],
        image,
        f"input ({image.shape[0]}×{image.shape[1]})",
        frame,
        ((row, col), kernel.shape),
    )
    _grid(
        axes[1],
        kernel,
        f"kernel ({k_rows}×{k_cols})",
        frame,
        ((0, 0), kernel.shape),
        colour="#D55E00",
    )
    _grid(
        axes[2],
        output,
        f"output ({out_rows}×{out_cols})",
        frame,
        ((row, col), (1, 1)),
        colour="#009E73",
    )
    fig.suptitle(f"highlighted output pixel: {terms or '0'} = {output[row, col]:g}")
    return fig
