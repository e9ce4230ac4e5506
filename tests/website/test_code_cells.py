"""The code cells and their printed output on each page, in headless Chromium: at the default
width (1280 px), with every dropdown opened, no code or output box is wider than its space (a
reader would have to scroll sideways) and no line of code wraps (it would start again at column
0 and read as broken Python); each cell's printed output shows its streams in the order they
were written, a progress bar shows its final state only, on one line that fits its box, and no
library prints its start-up banner."""

import json
import re
from pathlib import Path

import pytest

from booktools.streams import final_text
from jetlearn.kept import FROM_THIS_COMPUTER, NOT_STORED

pytestmark = pytest.mark.browser

# one line of a tqdm progress bar: "training:  40%|####      | 2/5 [00:01<00:01, 2.0epoch/s]"
PROGRESS_BAR = re.compile(r"^(?P<name>.*?)\s*\d+%\|.*\|\s*\d+/(?P<total>\d+)\b")
# the start-up banners of libraries the chapters use: silenced, the software is cited instead
BANNERS = {"FastJet": "FastJet release", "Pythia 8": "Welcome to the Lund Monte Carlo"}


def test_code_and_outputs_fit_their_boxes(visit, stem):
    seen = visit(stem)
    wide = [
        f"{'output' if box['output'] else 'code'} box, {box['hidden']} px hidden: {box['line']!r}"
        for box in seen.overwide
    ]
    assert not wide, (
        f"{seen.url} at 1280 px has {len(wide)} boxes wider than the page gives them, so a reader "
        "must scroll sideways (run `make format` for chapter code; shorten printed lines):\n"
        + "\n".join(wide)
    )


def test_no_line_of_code_wraps(visit, stem):
    seen = visit(stem)
    wrapped = [
        f"{'source shown by a cell' if box['output'] else 'code'}: {box['line']!r}"
        for box in seen.wrapped
    ]
    assert not wrapped, (
        f"{seen.url} at 1280 px wraps lines of {len(wrapped)} code boxes (shorten the line: in "
        "the package, for source that a chapter shows with getsource):\n"
        + "\n".join(wrapped)
    )


def progress_bars(text: str) -> list[tuple[str, str]]:
    """The (name, total) of every progress-bar line of a printed text."""
    return [
        (m["name"], m["total"])
        for line in text.splitlines()
        if (m := PROGRESS_BAR.match(line))
    ]


def stream_problems(cell: list[dict]) -> list[str]:
    """How one code cell's printed output, as read from the page, differs from as few boxes as
    the order of its streams allows, with each progress bar in its final state only."""
    problems = [
        f"two {box['stream']} boxes one after the other, not one: {box['text'][:60]!r}"
        for before, box in zip(cell, cell[1:])
        if before["stream"] == box["stream"]
    ]
    bars = [bar for box in cell for bar in progress_bars(box["text"])]
    problems += [
        f"the progress bar {name!r} of {total} shows {bars.count((name, total))} states, not "
        f"its final one only"
        for name, total in sorted(set(bars))
        if bars.count((name, total)) > 1
    ]
    return problems


def test_printed_output_shows_each_progress_bar_in_its_final_state(visit, stem):
    seen = visit(stem)
    problems = [
        f"output {number}: {problem}"
        for number, cell in enumerate(seen.outputs, 1)
        for problem in stream_problems(cell)
    ]
    assert not problems, (
        f"{seen.url} (screenshot {seen.screenshot}); the book's Sphinx extension booktools.streams "
        "should merge a cell's printed output (is it in _config.yml, with nb_merge_streams off?):\n"
        + "\n".join(problems)
    )


def test_progress_bars_fit_on_one_line(visit, stem):
    seen = visit(stem)
    long = [
        f"{bar['line']!r}: {bar['width']:.0f} px in {bar['room']:.0f} px"
        for cell in seen.outputs
        for box in cell
        for bar in box["bars"]
        if bar["width"] > bar["room"]
    ]
    assert not long, (
        f"{seen.url} at 1280 px wraps progress bars onto a second line (shorten tqdm's "
        "bar_format, as jetlearn.training.train does):\n" + "\n".join(long)
    )


def stream_pieces(notebook: Path) -> list[list[tuple[str, str]]]:
    """Every code cell's printed pieces, as (stream, text), in the order the kernel sent them."""
    cells = json.loads(notebook.read_text())["cells"]
    return [
        [
            (output["name"], "".join(output["text"]))
            for output in cell.get("outputs", [])
            if output["output_type"] == "stream"
        ]
        for cell in cells
        if cell["cell_type"] == "code"
    ]


def printed_after_the_bar(pieces: list[tuple[str, str]], bar: str) -> list[str]:
    """The stdout lines that a cell printed after its progress bar reached `bar`."""
    last = max(
        i
        for i, (stream, text) in enumerate(pieces)
        if stream == "stderr" and bar in final_text(text)
    )
    return [
        line
        for stream, text in pieces[last + 1 :]
        if stream == "stdout"
        for line in final_text(text).splitlines()
        if line.strip()
    ]


def shows_all_of(cell: list[dict], pieces: list[tuple[str, str]]) -> bool:
    """Whether every line of a page cell's boxes is among what a notebook cell printed."""
    printed = {
        stream: final_text("".join(text for name, text in pieces if name == stream))
        for stream in ("stdout", "stderr")
    }
    return all(
        line in printed["stderr" if box["stream"] == "stderr" else "stdout"]
        for box in cell
        for line in box["text"].splitlines()
    )


def test_text_printed_after_a_progress_bar_is_below_it(visit, executed_notebooks, stem):
    seen = visit(stem)
    cells = stream_pieces(executed_notebooks / f"{stem}.ipynb")
    misplaced = []
    for cell in seen.outputs:
        for position, box in enumerate(cell):
            for line in box["text"].splitlines():
                if box["stream"] != "stderr" or not PROGRESS_BAR.match(line):
                    continue
                # the notebook cell that printed everything this page cell shows: two
                # trainings of the same length and speed draw the very same bar line
                pieces = next(
                    (pieces for pieces in cells if shows_all_of(cell, pieces)), None
                )
                if pieces is None:
                    misplaced.append(
                        f"the cell of the bar {line!r} is not in the notebook"
                    )
                    continue
                below = "\n".join(b["text"] for b in cell[position + 1 :])
                misplaced += [
                    f"{printed!r} is above the bar {line!r}"
                    for printed in printed_after_the_bar(pieces, line)
                    if printed not in below
                ]
    assert not misplaced, (
        f"{seen.url}: text that the cell printed after its progress bar shows above it "
        "(booktools.streams keeps the order of the streams):\n" + "\n".join(misplaced)
    )


def test_no_library_banner_in_outputs(visit, stem):
    seen = visit(stem)
    printed = "\n".join(box["text"] for cell in seen.outputs for box in cell)
    shown = [library for library, signature in BANNERS.items() if signature in printed]
    assert not shown, (
        f"{seen.url} shows the start-up banner of {shown}; silence it in the chapter (FastJet: "
        "fastjet._swig.ClusterSequence.set_fastjet_banner_stream(None); Pythia: "
        "pythia8mc.Pythia('', False)) and cite the software in the chapter's references"
    )


def test_every_training_on_the_page_is_the_books(executed_notebooks, stem):
    # a training that data/trained-models/ does not hold makes the page train for minutes,
    # for students and for the build alike, and shows its progress bar to readers
    not_stored = [
        line
        for cell in stream_pieces(executed_notebooks / f"{stem}.ipynb")
        for stream, text in cell
        for line in final_text(text).splitlines()
        if stream == "stdout" and (NOT_STORED in line or FROM_THIS_COMPUTER in line)
    ]
    assert not not_stored, (
        f"{stem} trained or loaded from this computer {len(not_stored)} training(s) "
        f"that the book's store should hold: run `make models` and commit "
        f"data/trained-models/. First: {not_stored[0]!r}"
    )
