"""MyST Markdown parsed as the website parses it, and rewritten in place."""

import pytest
import yaml

from booktools.book import BOOK, toc_chapters
from booktools.myst_markdown import (
    MYST_EXTENSIONS,
    Directive,
    MystMarkupError,
    MystText,
)


def test_the_parser_has_the_extensions_that_the_book_enables():
    config = yaml.safe_load((BOOK / "_config.yml").read_text())
    assert sorted(MYST_EXTENSIONS) == sorted(config["parse"]["myst_enable_extensions"])


@pytest.mark.parametrize("stem", toc_chapters(BOOK))
def test_every_role_of_a_chapter_is_found_in_its_place(stem):
    """Each role written back as its own markup, at the place the parser found it, gives
    the chapter back (up to line breaks inside a role, which the parser reads as spaces):
    a role found at the wrong offset, or text lost around it, changes the words."""
    source = (BOOK / f"{stem}.md").read_text()
    text = MystText(source)
    found = []

    def as_written(role):
        found.append(role)
        return "{" + role.meta["name"] + "}`" + role.content + "`"

    text.replace_roles(as_written)
    assert found, f"{stem}.md: no role found, though every chapter has some"
    assert text.rewritten().split() == source.split()


def test_roles_left_alone_leave_the_text_as_it_was():
    text = MystText("A {doc}`page`, a {eval}`x` and `code`.\n")
    text.replace_roles(lambda role: None)
    assert text.rewritten() == text.text


def rewrite_roles(markdown: str) -> str:
    text = MystText(markdown)
    text.replace_roles(lambda role: role.content.upper())
    return text.rewritten()


def test_roles_are_replaced_where_the_parser_finds_them():
    markdown = """\
## Heading {r}`a` ##

   Indented {r}`b`, ``{r}`code` `` and {r}`c
over two lines`.

| {r}`d` | {r}`d` |
|---|---|
| x \\| {r}`e` | {r}`d` |

- item {r}`f`
  > quote {r}`g`
  lazy {r}`h`

$$ {r}`math` $$

    {r}`indented code`
"""
    assert (
        rewrite_roles(markdown)
        == """\
## Heading A ##

   Indented B, ``{r}`code` `` and C OVER TWO LINES.

| D | D |
|---|---|
| x \\| E | D |

- item F
  > quote G
  lazy H

$$ {r}`math` $$

    {r}`indented code`
"""
    )


def test_line_ends_are_normalized_as_the_parser_does():
    assert rewrite_roles("a\r\nb {r}`x`\rc {r}`y`") == "a\nb X\nc Y"


def test_a_fence_with_a_name_in_braces_is_a_directive():
    text = MystText(
        "::::{note} A title\n:class: dropdown\n:name: a-note\n\nThe body.\n::::\n\n"
        "````{admonition} Code\n```python\nx = 1\n```\n````\n\n"
        "```python\nnot = 'a directive'\n```\n"
    )
    directives = [text.directive(token) for token in text.tokens]
    assert directives == [
        Directive(
            "::::{note} A title",
            "note",
            "A title",
            {"class": "dropdown", "name": "a-note"},
            "\nThe body.\n",
        ),
        Directive(
            "````{admonition} Code", "admonition", "Code", {}, "```python\nx = 1\n```\n"
        ),
        None,
    ]


@pytest.mark.parametrize(
    "markdown",
    [
        ":::{note}\nThe body.\n",
        "- :::{note}\n  The body.\n- The next item.\n",
        "::::{note}\nThe body.\n:::\n",
    ],
)
def test_an_unclosed_directive_is_a_clear_error(markdown):
    text = MystText(markdown)
    with pytest.raises(
        MystMarkupError, match="`:+{note}` is never closed by a line `:+`"
    ):
        [text.directive(token) for token in text.tokens]


def test_a_block_s_replacement_keeps_the_marks_of_its_containers():
    text = MystText(
        "> :::{note}\n> The body.\n> :::\n\n"
        "1. :::{note}\n   The body.\n   :::\n\n"
        "(label)=\n"
        "% a comment\n"
        "# Heading\n"
    )
    for token in text.tokens:
        if text.directive(token):
            text.replace_block(token, "A note\n\nits body")
        elif token.type in ("myst_target", "myst_line_comment"):
            text.replace_block(token, "")
    assert text.rewritten() == (
        "> A note\n>\n> its body\n\n1. A note\n\n   its body\n\n\n\n# Heading\n"
    )
