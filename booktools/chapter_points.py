"""Sphinx extension for the book: a chapter's objectives and key points, shown on another page.

Every chapter opens with an "## Overview" list (what it sets out to teach) and closes with a
"## Summary" list (what a reader should leave with). The teaching page shows both for every
chapter, under the names a workshop uses, "Objectives" and "Key points", without a copy of its
own: the directive

    ```{chapter-points} 30-convolutional-neural-networks
    ```

reads the chapter's source when the book is built, and parses the two lists with the page's own
MyST parser, so their roles ({doc}, {ref}) and math work as in the chapter. A number that the
Summary takes from its chapter's run ({eval}`f"{key:.3f}"`, or {glue:text}`key:.3f`) is pasted
on the other page from that chapter (`{glue:text}`chapter.md::key:.3f``, myst-nb's glue from
another document). The teaching page is read again when a chapter it shows changes.

The handout (booktools.handout) writes the same Markdown into the teaching page's notebook.
It is listed in the book's _config.yml under `sphinx.extra_extensions`.
"""

import re
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from markdown_it.token import Token
from sphinx.util.docutils import SphinxDirective

from .eval_role import EvalError, glue_reference
from .myst_markdown import MystText

__all__ = ["ChapterPointsError", "chapter_points", "glue_from_chapter", "setup"]

# jupytext's header of a chapter, which the MyST parser of cells does not expect
FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
SECTIONS = {"Objectives": "Overview", "Key points": "Summary"}


class ChapterPointsError(ValueError):
    """A chapter whose objectives or key points cannot be shown; the message says why."""


def glue_from_chapter(role: Token, chapter: str) -> str | None:
    """A role of `chapter` (its file name) that shows a number of the chapter's run, written
    so that another page of the same folder shows the same value: {eval}`f"{key:.3f}"` or
    {glue:text}`key:.3f` -> {glue:text}`chapter::key:.3f`. None for a role that shows no
    number of a run, or one that already names its document."""
    name, content = role.meta["name"], role.content
    if name == "eval":
        try:
            return glue_reference(content, chapter)
        except EvalError as error:
            raise ChapterPointsError(f"{chapter}: {error}") from None
    if not name.startswith("glue") or "::" in content:
        return None
    if name == "glue:text":
        # the format must be written out: myst-nb splits it off at the last colon
        key, _, format_spec = content.partition(":")
        return f"{{glue:text}}`{chapter}::{key}:{format_spec or 's'}`"
    if name in ("glue", "glue:", "glue:any"):
        return f"{{{name}}}`{chapter}::{content}`"
    raise ChapterPointsError(
        f"{chapter}: {{{name}}}`{content}` cannot paste a value on another page "
        "(myst-nb pastes across pages with {glue:text} and {glue:any} only)"
    )


def section_list(text: MystText, heading: str, chapter: str) -> str:
    """The source of the first list under the `## heading` of a chapter."""
    tokens = text.tokens
    starts = [
        index
        for index, token in enumerate(tokens)
        if token.type == "heading_open"
        and token.tag == "h2"
        and tokens[index + 1].content.strip() == heading
    ]
    if not starts:
        raise ChapterPointsError(f"{chapter} has no `## {heading}` section")
    for token in tokens[starts[0] + 3 :]:
        if token.type == "heading_open" and token.tag in ("h1", "h2"):
            break
        if token.type in ("bullet_list_open", "ordered_list_open") and not token.level:
            first, last = token.map
            return "\n".join(text.lines[first:last]).strip("\n")
    raise ChapterPointsError(f"{chapter}: its `## {heading}` section holds no list")


def chapter_points(path: Path) -> str:
    """MyST Markdown of a chapter's objectives (its Overview list) and key points (its
    Summary list), with its glued numbers pasted from the chapter."""
    text = MystText(FRONT_MATTER.sub("", path.read_text(), count=1))
    parts = []
    for title, heading in SECTIONS.items():
        points = MystText(section_list(text, heading, path.name))
        points.replace_roles(lambda role: glue_from_chapter(role, path.name))
        parts.append(f"**{title}**\n\n{points.rewritten()}")
    return "\n\n".join(parts)


class ChapterPoints(SphinxDirective):
    """```{chapter-points} chapter``` (a file name without .md, relative to this page)."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        relative, path = self.env.relfn2path(
            f"{self.arguments[0]}.md", self.env.docname
        )
        self.env.note_dependency(relative)
        try:
            markdown = chapter_points(Path(path))
        except (OSError, ChapterPointsError) as error:
            raise self.error(f"chapter-points: {error}") from None
        box = nodes.container(classes=["chapter-points"])
        self.set_source_info(box)
        self.state.nested_parse(
            StringList(markdown.splitlines()), self.content_offset, box
        )
        return [box]


def setup(app):
    app.add_directive("chapter-points", ChapterPoints)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
