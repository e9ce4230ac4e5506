"""Sphinx extension for the book: what a code cell printed, shown on the website as it ended.

A Jupyter kernel sends a cell's printed text in pieces, and every redraw of a tqdm progress
bar is a piece of its own that starts with a carriage return. myst-nb draws each piece in its
own box; its `nb_merge_streams` option joins them, but turns every redraw into a line, so a
reader still sees every intermediate state of the bar. This extension instead joins the pieces
of a cell's output into as few boxes as their order allows: a piece joins the box just before
it when that box is of the same stream (stdout, stderr), and a redraw (a piece that starts
with a carriage return) joins the earlier box of its stream whose last line it redraws, even
when printed text came in between. Of every line a box then keeps what a terminal would show
at the end: the text after its last carriage return. A progress bar is one line, in its final
state, and text printed after the bar stays below it. JupyterLab, which draws the bar live,
never sees this extension.

It is listed in the book's _config.yml under `sphinx.extra_extensions`; myst-nb's
`nb_merge_streams` stays off there, because it would erase the carriage returns first.
"""

from docutils import nodes

# the classes myst-nb gives the box of a stdout piece and of a stderr piece
STREAM_CLASSES = ("stream", "stderr")


def final_text(text: str) -> str:
    """What a terminal shows once `text` is printed: of each line, what follows its last \\r."""
    lines = text.split("\n")
    return "\n".join(line.removesuffix("\r").rpartition("\r")[2] for line in lines)


def stream_of(node: nodes.Node) -> str | None:
    """The stream whose printed text this output box holds, or None for any other output."""
    if not isinstance(node, nodes.literal_block) or "output" not in node["classes"]:
        return None
    return next((s for s in STREAM_CLASSES if s in node["classes"]), None)


def merge_streams(doctree: nodes.Node) -> None:
    """Join the printed pieces of every cell's output into boxes in the order they came,
    each holding its final text (a box left blank is removed)."""
    areas = [
        node
        for node in doctree.findall(nodes.container)
        if "cell_output" in node["classes"]
    ]
    for area in areas:
        texts: dict[nodes.literal_block, list[str]] = {}
        previous = None  # the box just before, if it holds printed text
        unfinished = {}  # stream -> its box whose last line has no newline yet
        for child in list(area.children):
            stream = stream_of(child)
            if stream is None:
                previous = None
                continue
            text = child.astext()
            if previous is not None and stream_of(previous) == stream:
                box = previous
            elif text.startswith("\r") and stream in unfinished:
                box = unfinished[stream]
            else:
                box = child
            if box is child:
                texts[box] = [text]
                previous = box
            else:
                texts[box].append(text)
                area.remove(child)
            if text:
                unfinished.pop(stream, None)
                if not "".join(texts[box]).endswith("\n"):
                    unfinished[stream] = box
        for box, pieces in texts.items():
            text = final_text("".join(pieces)).rstrip()
            if text:
                box.rawsource = text
                box[:] = [nodes.Text(text)]
            else:
                area.remove(box)


def on_doctree_read(app, doctree: nodes.document) -> None:
    merge_streams(doctree)


def setup(app):
    app.connect("doctree-read", on_doctree_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
