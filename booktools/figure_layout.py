"""Figures whose text collides, or whose legend hides data, found where they are drawn.

On the website a figure is a picture: a browser test cannot tell a title from the panel it runs
into. So every figure is checked as the kernel draws it. `layout_problems` reads where
matplotlib put each title, axis label, tick label, colour bar and legend, and names

- text of one panel that runs into text or the plotting area of another (titles that touch,
  a title over a colour bar),
- tick labels of one axis that run into each other ("-0.50.00.5"),
- a legend drawn over the data of its own panel (lines, markers, bars, bands, text).

`watch()` runs it on every figure that a kernel turns into a picture (what the inline backend
shows, at `plt.show()` or at the end of a cell), and prints each problem to stderr after
PROBLEM_MARK; the book's pytest plugin calls it in every chapter's kernel, and fails the cell
that printed one (booktools/pytest_plugin.py).
"""

import functools
import sys
from itertools import combinations

import numpy as np
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Bbox

PROBLEM_MARK = "figure layout:"
# boxes closer than this (display pixels, at the figure's dpi) run into each other on the page
GAP_PX = 1.0


def _touch(a: Bbox, b: Bbox, gap: float = GAP_PX) -> bool:
    return a.padded(gap / 2).overlaps(b.padded(gap / 2))


def _shown_text(text) -> bool:
    return text is not None and text.get_visible() and text.get_text().strip() != ""


def _name(ax) -> str:
    title = ax.get_title() or ax.get_ylabel() or ax.get_xlabel()
    return repr(title) if title else f"panel {ax.get_figure().axes.index(ax) + 1}"


def _drawn_tick_labels(axis) -> list:
    """The major tick labels that the axis draws: visible, with text, inside the view."""
    if not (axis.axes.axison and axis.get_visible()):
        return []  # ax.axis("off") draws no tick labels
    low, high = sorted(axis.get_view_interval())
    margin = 1e-9 * max(abs(low), abs(high), 1.0)
    return [
        label
        for tick in axis.get_major_ticks()
        if low - margin <= tick.get_loc() <= high + margin
        for label in (tick.label1, tick.label2)
        if _shown_text(label)
    ]


def _text_boxes(ax, renderer) -> list[tuple[str, Bbox]]:
    """(what, box) of every piece of text that belongs to a panel, its legend included."""
    pieces = [("title", ax.title)]
    if ax.axison:
        pieces += [("x label", ax.xaxis.label), ("y label", ax.yaxis.label)]
    for which, axis in [("x", ax.xaxis), ("y", ax.yaxis)]:
        pieces += [(f"{which} tick label", label) for label in _drawn_tick_labels(axis)]
    boxes = [
        (f"{what} {text.get_text()!r}", text.get_window_extent(renderer))
        for what, text in pieces
        if _shown_text(text)
    ]
    legend = ax.get_legend()
    if legend is not None and legend.get_visible():
        boxes.append(("legend", legend.get_window_extent(renderer)))
    return boxes


def _labels_collide(a, b, renderer) -> bool:
    """Two tick labels of one axis run into each other. Upright (or upended) labels do when
    their boxes touch; slanted ones are parallel strips, which do when the distance between
    their lines is less than the text's height."""
    angle = np.deg2rad(a.get_rotation())
    if np.isclose(np.sin(2 * angle), 0):
        return _touch(a.get_window_extent(renderer), b.get_window_extent(renderer))
    (xa, ya), (xb, yb) = a.get_transform().transform(
        [a.get_position(), b.get_position()]
    )
    between_lines = abs((xb - xa) * np.sin(angle) - (yb - ya) * np.cos(angle))
    height = renderer.points_to_pixels(a.get_fontsize())
    return between_lines < height


def _tick_label_collisions(ax, renderer) -> list[str]:
    found = []
    for which, axis in [("x", ax.xaxis), ("y", ax.yaxis)]:
        labels = _drawn_tick_labels(axis)
        for a, b in combinations(labels, 2):
            if _labels_collide(a, b, renderer):
                found.append(
                    f"{_name(ax)}: {which} tick labels {a.get_text()!r} and "
                    f"{b.get_text()!r} run into each other (fewer ticks, or a wider figure)"
                )
    return found


def _nested(a: Bbox, b: Bbox) -> bool:
    """One plotting area inside the other: an inset, or a twin axes."""
    return all(a.contains(*corner) for corner in b.corners()) or all(
        b.contains(*corner) for corner in a.corners()
    )


def _panel_collisions(fig, renderer) -> list[str]:
    panels = [ax for ax in fig.axes if ax.get_visible()]
    texts = {ax: _text_boxes(ax, renderer) for ax in panels}
    areas = {ax: ax.get_window_extent(renderer) for ax in panels}
    suptitle = getattr(fig, "_suptitle", None)
    found = []
    if _shown_text(suptitle):
        top = suptitle.get_window_extent(renderer)
        found += [
            f"the figure's title {suptitle.get_text()!r} runs into {what} of {_name(ax)}"
            for ax in panels
            for what, box in texts[ax] + [("the plotting area", areas[ax])]
            if _touch(top, box)
        ]
    for a, b in combinations(panels, 2):
        if _nested(areas[a], areas[b]):
            continue
        pairs = [
            (f"{what} of {_name(a)}", box, f"{other} of {_name(b)}", other_box)
            for what, box in texts[a]
            for other, other_box in texts[b]
        ]
        for first, second in [(a, b), (b, a)]:
            pairs += [
                (
                    f"{what} of {_name(first)}",
                    box,
                    f"the plotting area of {_name(second)}",
                    areas[second],
                )
                for what, box in texts[first]
            ]
        found += [
            f"{one} runs into {other}"
            for one, box, other, other_box in pairs
            if _touch(box, other_box)
        ]
    return found


def _covers(box: Bbox, artist, renderer) -> bool:
    """Whether the legend's box lies over this artist of its panel."""
    if isinstance(artist, Line2D):
        path = artist.get_transform().transform_path(artist.get_path())
        if artist.get_linestyle() in ("None", "", " ", "none"):  # markers only
            return box.count_contains(path.vertices) > 0
        return path.intersects_bbox(box, filled=False)
    if isinstance(artist, (Rectangle, Text)):
        return box.overlaps(artist.get_window_extent(renderer))
    if isinstance(artist, Patch):
        path = artist.get_transform().transform_path(artist.get_path())
        return path.intersects_bbox(box, filled=artist.get_fill())
    if isinstance(artist, PathCollection):
        offsets = artist.get_offset_transform().transform(artist.get_offsets())
        return box.count_contains(offsets) > 0
    if isinstance(artist, (PolyCollection, LineCollection)):
        filled = isinstance(artist, PolyCollection)
        return any(
            artist.get_transform().transform_path(path).intersects_bbox(box, filled)
            for path in artist.get_paths()
        )
    return False  # an image or mesh fills the panel: a legend on it is a choice


def _data_under(legend_box: Bbox, ax, renderer) -> list[str]:
    """The artists of the panel that the legend's box covers."""
    drawn = [*ax.get_lines(), *ax.patches, *ax.collections]
    drawn += [text for text in ax.texts if _shown_text(text)]
    return [
        f"text {artist.get_text()!r}"
        if isinstance(artist, Text)
        else f"{type(artist).__name__} {artist.get_label()!r}"
        for artist in drawn
        if artist.get_visible() and _covers(legend_box, artist, renderer)
    ]


def _legends_over_data(fig, renderer) -> list[str]:
    found = []
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None or not legend.get_visible():
            continue
        box = Bbox.intersection(
            legend.get_window_extent(renderer), ax.get_window_extent(renderer)
        )
        if box is None or box.width <= 2 or box.height <= 2:
            continue  # a legend outside its panel covers none of its data
        covered = _data_under(box.padded(-1), ax, renderer)
        if covered:
            found.append(
                f"the legend of {_name(ax)} covers {', '.join(covered)} (another `loc`, "
                "room made with the axis limits, or the legend outside the panel)"
            )
    return found


def layout_problems(fig) -> list[str]:
    """What collides in this figure, as drawn: one sentence per problem, none if clean."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    found = []
    for ax in fig.axes:
        if ax.get_visible():
            found += _tick_label_collisions(ax, renderer)
    found += _panel_collisions(fig, renderer)
    found += _legends_over_data(fig, renderer)
    return found


def watch() -> None:
    """From now on, check every figure as it is turned into a picture (the inline backend's
    display, `plt.show()` included), and print its problems to stderr after PROBLEM_MARK."""
    from matplotlib.backend_bases import FigureCanvasBase

    picture = FigureCanvasBase.print_figure
    if getattr(picture, "checks_layout", False):
        return  # watched already

    @functools.wraps(picture)
    def checked_picture(canvas, *args, **kwargs):
        for problem in layout_problems(canvas.figure):
            print(PROBLEM_MARK, problem, file=sys.stderr)
        return picture(canvas, *args, **kwargs)

    checked_picture.checks_layout = True
    FigureCanvasBase.print_figure = checked_picture
