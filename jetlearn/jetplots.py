"""Small plotting helpers shared by the chapters, so that their cells stay about physics, not styling.

Nothing here is needed to understand the book: each function only draws what a chapter computed.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Circle

from jetimages.images import IMAGE_HALF_WIDTH, PIXEL_EDGES

# One colour per jet class, the same in every chapter (Okabe-Ito: distinguishable with colour blindness).
CLASS_COLOURS = {
    "g": "#0072B2",
    "q": "#56B4E9",
    "t": "#D55E00",
    "w": "#009E73",
    "z": "#CC79A7",
}
# The extent to give imshow for a 20x20 jet image, in the image's (x, y) coordinates.
IMAGE_EXTENT = (
    -IMAGE_HALF_WIDTH,
    IMAGE_HALF_WIDTH,
    -IMAGE_HALF_WIDTH,
    IMAGE_HALF_WIDTH,
)


def book_style(font_size: int = 12) -> None:
    """Fonts large enough to read on a projector, figures that keep their labels inside,
    and tables that show every cell whole (pandas cuts text at 50 characters otherwise).

    Figures are drawn at 100 pixels per inch: the website shrinks a 10-inch figure (1000 px)
    into its text column (688 px wide at 1280 px), and its smallest text, the legend's 10 pt
    (14 px), to 9.6 px. A figure wider than 10 inches gets too small to read
    (tests/website/test_figure_text.py): give it fewer panels per row instead.
    """
    plt.rcParams.update(
        {
            "font.size": font_size,
            "axes.titlesize": font_size + 1,
            "axes.labelsize": font_size,
            "legend.fontsize": font_size - 2,
            "figure.dpi": 100,
            "figure.constrained_layout.use": True,
        }
    )
    pd.set_option("display.max_colwidth", None)


def draw_event(
    ax, eta, phi, pt, jets, radius: float, truth_points=None, max_jets: int = 4
) -> None:
    """An event display in (eta, phi): every particle as a dot of area proportional to its pT,
    the particles of the leading jets in colour, and a circle of the jet radius around each of them.

    jets: a list of dicts with keys 'eta', 'phi', 'pt', 'mass' and 'indices' (of its particles).
    truth_points: optional list of (eta, phi, marker, label) to overlay, e.g. the decay quarks.
    """
    colours = plt.get_cmap("tab10").colors
    sizes = 3 + 200 * pt / pt.max()
    ax.scatter(
        eta,
        phi,
        s=sizes,
        color="0.7",
        linewidths=0,
        label="particles of other jets, or none",
    )
    for k, jet in enumerate(jets[:max_jets]):
        colour = colours[k % len(colours)]
        members = jet["indices"]
        ax.scatter(
            eta[members],
            phi[members],
            s=sizes[members],
            color=colour,
            linewidths=0,
            label=f"jet {k + 1}: $p_T$ = {jet['pt']:.0f} GeV, $m$ = {jet['mass']:.0f} GeV",
        )
        # draw the circle again one turn up and down, so that a jet at the phi = +-pi edge shows whole
        for shift in (-2 * np.pi, 0.0, 2 * np.pi):
            ax.add_patch(
                Circle(
                    (jet["eta"], jet["phi"] + shift),
                    radius,
                    fill=False,
                    color=colour,
                    lw=1.5,
                )
            )
    for eta_t, phi_t, marker, label in truth_points or []:
        ax.scatter(
            eta_t,
            phi_t,
            marker=marker,
            s=90,
            color="black",
            facecolor="none",
            linewidths=1.5,
            label=label,
        )
    ax.set_xlim(-5, 5)
    ax.set_ylim(-np.pi, np.pi)
    ax.set_xlabel(r"pseudorapidity $\eta$")
    ax.set_ylabel(r"azimuth $\phi$ [rad]")


def draw_pixel_grid(ax, colour: str = "0.85") -> None:
    """The 20x20 pixel edges of a jet image, as thin lines behind whatever is drawn next."""
    for edge in PIXEL_EDGES:
        ax.axhline(edge, color=colour, lw=0.5, zorder=0)
        ax.axvline(edge, color=colour, lw=0.5, zorder=0)
