"""Sphinx extension for the book: what a code cell printed, shown on the website as it ended.

A Jupyter kernel sends a cell's printed text in pieces, and every redraw of a tqdm progress
bar is a piece of its own that starts with a carriage return. myst-nb draws each piece in its
own box; its `nb_merge_streams` option joins them, but turns every redraw into a line, so a
reader still sees every intermediate state of the bar. This extension instead joins the pieces
of each stream of a cell (stdout, stderr) into the box of the first piece, and keeps of every
line what a terminal would show at the end: the text after its last carriage return. A
progress bar is then one line, in its final state. JupyterLab, which draws the bar live, never
sees this extension.

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


def merge_streams(doctree: nodes.Node) -> None:
    """Give every cell one box per stream, holding the stream's final text (none if blank)."""
    areas = [
        node
        for node in doctree.findall(nodes.container)
        if "cell_output" in node["classes"]
    ]
    for area in areas:
        for stream in STREAM_CLASSES:
            boxes = [
                node
                for node in area.findall(nodes.literal_block)
                if {"output", stream} <= set(node["classes"])
            ]
            if not boxes:
                continue
            text = final_text("".join(box.astext() for box in boxes)).rstrip()
            first, *rest = boxes
            for box in rest:
                box.parent.remove(box)
            if text:
                first.rawsource = text
                first[:] = [nodes.Text(text)]
            else:
                first.parent.remove(first)


def on_doctree_read(app, doctree: nodes.document) -> None:
    merge_streams(doctree)


def setup(app):
    app.connect("doctree-read", on_doctree_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
