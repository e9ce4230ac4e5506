"""MyST Markdown, parsed as the book's website parses it, and rewritten in place.

The parser is myst-parser's (markdown-it-py with the MyST plugins). A directive, a cross-reference
target, a comment or a role is replaced by other text at the place where the parser found it, and
every other character of the text stays as it was: what looks like markup inside code is code.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

# the MyST extensions that the book enables (_config.yml, parse: myst_enable_extensions)
MYST_EXTENSIONS = ("amsmath", "colon_fence", "dollarmath", "linkify")
# a directive's option, on a line of its own at the top of its body
OPTION = re.compile(r":(?P<key>[\w-]+):[ \t]*(?P<value>.*?)\s*")


class MystMarkupError(ValueError):
    """MyST markup that cannot be rewritten as it stands; the message says which."""


def make_parser() -> MarkdownIt:
    parser = create_md_parser(
        MdParserConfig(enable_extensions=MYST_EXTENSIONS), RendererHTML
    )
    # a cell has no front matter (jupytext keeps the chapter's in the notebook's metadata): a cell
    # that starts with `---` starts with a horizontal rule
    parser.disable("front_matter")
    # note where each role starts and ends in its inline text, which the plugin's tokens do not
    # say, around the plugin's rule (found by its name, as its module does not export it)
    names = parser.inline.ruler.get_active_rules()
    find_role = parser.inline.ruler.getRules("")[names.index("myst_role")]

    def find_role_and_its_place(state: StateInline, silent: bool) -> bool:
        start = state.pos
        if not find_role(state, silent):
            return False
        if not silent:
            state.tokens[-1].meta["span"] = (start, state.pos)
        return True

    parser.inline.ruler.at("myst_role", find_role_and_its_place)
    return parser


PARSER = make_parser()


@dataclass(frozen=True)
class Directive:
    """A MyST directive: a fence (``` or :::) whose info is `{name} argument`."""

    opening: str  # its first line, to name it in messages
    name: str
    argument: str
    options: dict[str, str]
    body: str


class MystText:
    """A MyST Markdown text, its tokens, and the replacements to make in it."""

    def __init__(self, text: str):
        # line ends and NUL as the parser normalizes them, so that its line numbers fit
        self.text = (
            text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")
        )
        self.lines = self.text.split("\n")
        self.starts = list(
            accumulate((len(line) + 1 for line in self.lines), initial=0)
        )
        self.tokens = PARSER.parse(self.text)
        self.replacements: list[tuple[int, int, str]] = []  # (start, end, new text)

    def directive(self, token: Token) -> Directive | None:
        """The directive that token is, if it is one."""
        if token.type not in ("fence", "colon_fence"):
            return None
        name, _, argument = token.info.strip().partition(" ")
        if not (name.startswith("{") and name.endswith("}")):
            return None
        opening = f"{token.markup}{token.info}".strip()
        first, last = token.map
        closing = self.lines[last - 1].lstrip(" \t>").rstrip()
        if (
            last - first < 2
            or len(closing) < len(token.markup)
            or closing.strip(token.markup[0])
        ):
            raise MystMarkupError(
                f"the MyST directive `{opening}` is never closed by a line `{token.markup}`"
            )
        body = token.content.split("\n")
        options = {}
        while body and (option := OPTION.fullmatch(body[0])):
            options[option["key"]] = option["value"]
            body.pop(0)
        return Directive(
            opening, name[1:-1], argument.strip(), options, "\n".join(body)
        )

    def replace_block(self, token: Token, text: str) -> None:
        """Replace the lines of a block (a directive, a target) by text, which gets the marks of
        the containers that the block is in (a list item's indentation, a blockquote's `>`)."""
        first, last = token.map
        opening = self.lines[first]
        # the block starts after its containers' marks, a list item's marker included
        if token.markup:
            column = opening.find(token.markup)
        else:
            column = len(opening) - len(opening.lstrip(" \t>"))
        margin = "".join(mark if mark in ">\t" else " " for mark in opening[:column])
        head, *tail = text.split("\n")
        text = "\n".join(
            [head, *(margin + line if line else margin.rstrip() for line in tail)]
        )
        end = self.starts[last - 1] + len(self.lines[last - 1])
        self.replacements.append((self.starts[first] + column, end, text))

    def replace_roles(self, replace: Callable[[Token], str | None]) -> None:
        """Replace every role by replace(role), or leave it where that is None."""
        # on each line, where the text that no inline token was found in yet ends
        unplaced = [len(line.rstrip()) for line in self.lines]
        inlines = [token for token in self.tokens if token.type == "inline"]
        # from the last, so that each cell of a table row is found in its own place
        for inline in reversed(inlines):
            origins = self.place(inline, unplaced)
            for role in inline.children:
                if role.type == "myst_role" and (text := replace(role)) is not None:
                    start, end = (
                        self.offset(inline, origins, position)
                        for position in role.meta["span"]
                    )
                    self.replacements.append((start, end, text))

    def place(self, inline: Token, unplaced: list[int]) -> list[tuple[int, bool]]:
        """Where in the text each line of inline's content starts, and whether its `|` are
        escaped there.

        The parser makes a block's inline content of its lines without what comes before it on
        each (indentation, a blockquote's `>`, a list marker, a heading's `#`), and without
        spaces and a table row's or heading's marks after it; in a table cell, it unescapes `\\|`.
        So each line, stripped (and escaped), is the last copy of itself in its line of the text,
        left of what the inline tokens after it took."""
        origins = []
        for number, line in enumerate(inline.content.split("\n"), inline.map[0]):
            text, end = line.strip(), unplaced[number]
            column = self.lines[number].rfind(text, 0, end)
            escaped = column < 0
            if escaped:
                column = self.lines[number].rfind(text.replace("|", "\\|"), 0, end)
            if column < 0:
                raise MystMarkupError(
                    f"line {number + 1}: `{text}` is not where the parser saw it"
                )
            unplaced[number] = column
            lead = len(line) - len(line.lstrip())
            origins.append((self.starts[number] + column - lead, escaped))
        return origins

    def offset(
        self, inline: Token, origins: list[tuple[int, bool]], position: int
    ) -> int:
        """Where in the text a position in inline's content is."""
        number = inline.content.count("\n", 0, position)
        origin, escaped = origins[number]
        before = inline.content[inline.content.rfind("\n", 0, position) + 1 : position]
        return origin + len(before) + (before.count("|") if escaped else 0)

    def rewritten(self) -> str:
        """The text with every replacement made."""
        pieces, end = [], len(self.text)
        for start, stop, text in sorted(self.replacements, reverse=True):
            pieces += [self.text[stop:end], text]
            end = start
        pieces.append(self.text[:end])
        return "".join(reversed(pieces))
