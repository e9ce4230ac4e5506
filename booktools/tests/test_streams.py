"""The Sphinx extension that shows a cell's printed output on the website as it ended."""

from docutils import nodes

from booktools.streams import final_text, merge_streams

# what a kernel sends, piece by piece, while `for x in tqdm(range(3), desc="sim")` runs
BAR_PIECES = [
    "\rsim:   0%|          | 0/3 [00:00<?, ?it/s]",
    "\rsim:  33%|###3      | 1/3 [00:01<00:02,  1.00s/it]",
    "\rsim:  67%|######6   | 2/3 [00:02<00:01,  1.00s/it]",
    "\rsim: 100%|##########| 3/3 [00:03<00:00,  1.00s/it]",
    "\n",
]


def output_box(text: str, stream: str) -> nodes.literal_block:
    return nodes.literal_block(text, text, classes=["output", stream])


def cell(*boxes: nodes.Element) -> nodes.container:
    return nodes.container("", *boxes, classes=["cell_output", "docutils", "container"])


def test_final_text_keeps_what_follows_the_last_carriage_return_of_each_line():
    assert final_text("".join(BAR_PIECES)) == BAR_PIECES[3][1:] + "\n"
    assert final_text("a\rb\nc\r\nd") == "b\nc\nd"
    assert final_text("plain\n  indented\n") == "plain\n  indented\n"


def test_a_progress_bar_becomes_one_box_with_its_final_state():
    area = cell(*(output_box(piece, "stderr") for piece in BAR_PIECES))
    merge_streams(area)
    (box,) = area.children
    assert box.astext() == BAR_PIECES[3][1:]
    assert box.rawsource == box.astext()


def test_boxes_keep_the_order_in_which_the_streams_were_written():
    area = cell(
        output_box("before the bar\n", "stream"),
        output_box(BAR_PIECES[0], "stderr"),
        output_box(BAR_PIECES[1], "stderr"),
        output_box(BAR_PIECES[3] + "\n", "stderr"),
        output_box("after the bar\n", "stream"),
        output_box("and more\n", "stream"),
        nodes.image(uri="figure.png"),
        output_box("below the figure\n", "stream"),
    )
    merge_streams(area)
    assert [child.astext() for child in area.children[:3]] == [
        "before the bar",
        BAR_PIECES[3][1:],
        "after the bar\nand more",
    ]
    assert isinstance(area.children[3], nodes.image)
    assert area.children[4].astext() == "below the figure"


def test_a_redraw_after_printed_text_joins_its_bar():
    area = cell(
        output_box(BAR_PIECES[0], "stderr"),
        output_box("printed while the bar ran\n", "stream"),
        output_box(BAR_PIECES[3], "stderr"),
        output_box("\n", "stderr"),
    )
    merge_streams(area)
    assert [child.astext() for child in area.children] == [
        BAR_PIECES[3][1:],
        "printed while the bar ran",
    ]


def test_a_stream_that_ends_blank_leaves_no_box():
    area = cell(
        output_box("\rwork 1/2", "stderr"), output_box("\r        \r", "stderr")
    )
    merge_streams(area)
    assert area.children == []


def test_boxes_outside_cell_outputs_are_left_alone():
    section = nodes.section("", output_box("a\rb", "stream"), output_box("c", "stream"))
    merge_streams(section)
    assert [child.astext() for child in section.children] == ["a\rb", "c"]
