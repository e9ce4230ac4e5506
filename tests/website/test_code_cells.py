"""The code cells and their printed output on each page, in headless Chromium: at the default
width (1280 px), with every dropdown opened, no code or output box is wider than its space (a
reader would have to scroll sideways); each cell's printed output is one box per stream, a
progress bar shows its final state only, and no library prints its start-up banner."""

import re

import pytest

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


def stream_problems(cell: dict) -> list[str]:
    """How one code cell's printed output, as read from the page, differs from one box per
    stream with each progress bar in its final state only."""
    problems = []
    for stream in ("stdout", "stderr"):
        boxes = cell[stream]
        if len(boxes) > 1:
            problems.append(
                f"{len(boxes)} {stream} boxes, not one: {[box[:60] for box in boxes]}"
            )
        for box in boxes:
            bars = [
                (m["name"], m["total"])
                for line in box.splitlines()
                if (m := PROGRESS_BAR.match(line))
            ]
            problems += [
                f"the progress bar {name!r} of {total} shows {bars.count((name, total))} states, not "
                f"its final one only"
                for name, total in sorted(set(bars))
                if bars.count((name, total)) > 1
            ]
    return problems


def test_printed_output_is_one_box_per_stream_with_final_progress_bars(visit, stem):
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


def test_no_library_banner_in_outputs(visit, stem):
    seen = visit(stem)
    printed = "\n".join(
        box
        for cell in seen.outputs
        for stream in ("stdout", "stderr")
        for box in cell[stream]
    )
    shown = [library for library, signature in BANNERS.items() if signature in printed]
    assert not shown, (
        f"{seen.url} shows the start-up banner of {shown}; silence it in the chapter (FastJet: "
        "fastjet._swig.ClusterSequence.set_fastjet_banner_stream(None); Pythia: "
        "pythia8mc.Pythia('', False)) and cite the software in the chapter's references"
    )
