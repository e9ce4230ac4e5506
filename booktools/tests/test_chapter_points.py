"""A chapter's Overview and Summary lists, read for another page (booktools.chapter_points)."""

import re

import pytest

from booktools.chapter_points import (
    ChapterPointsError,
    chapter_points,
    glue_from_chapter,
)
from booktools.myst_markdown import MystText

CHAPTER = """\
---
jupytext:
  formats: md:myst
---

# A chapter

Its opening words, with a list that is neither:

- not an objective

## Overview

1. What a convolution is, with $k \\times k$ weights.
2. How {doc}`20-main-project` compares.

## Prerequisites

- nothing

## Summary

The summary's own opening sentence.

- The CNN reaches {glue:text}`accuracy:.3f`, over {eval}`n_seeds` seeds
  ({glue}`table`), or {glue:text}`21-main-project-solutions.md::mean:.3f` for the MLP.
- See {ref}`a-label`; `{glue:text}` in code stays.

```{code-cell} ipython3
print("not a point")
```

## What's next
"""


@pytest.fixture
def chapter(tmp_path):
    path = tmp_path / "30-cnn.md"
    path.write_text(CHAPTER)
    return path


def test_the_overview_and_summary_lists_become_objectives_and_key_points(chapter):
    assert chapter_points(chapter) == (
        "**Objectives**\n\n"
        "1. What a convolution is, with $k \\times k$ weights.\n"
        "2. How {doc}`20-main-project` compares.\n\n"
        "**Key points**\n\n"
        "- The CNN reaches {glue:text}`30-cnn.md::accuracy:.3f`, over "
        "{glue:text}`30-cnn.md::n_seeds:s` seeds\n"
        "  ({glue}`30-cnn.md::table`), or "
        "{glue:text}`21-main-project-solutions.md::mean:.3f` for the MLP.\n"
        "- See {ref}`a-label`; `{glue:text}` in code stays."
    )


def roles(markdown: str) -> list:
    return [
        child
        for token in MystText(markdown).tokens
        if token.type == "inline"
        for child in token.children
        if child.type == "myst_role"
    ]


@pytest.mark.parametrize(
    ("role", "elsewhere"),
    [
        ("{glue:text}`x:.2f`", "{glue:text}`ch.md::x:.2f`"),
        ("{glue:text}`x:+z.1f`", "{glue:text}`ch.md::x:+z.1f`"),
        # myst-nb reads a format after the last colon: without one, `ch.md:` would be the key
        ("{glue:text}`x`", "{glue:text}`ch.md::x:s`"),
        ("{glue}`x`", "{glue}`ch.md::x`"),
        ("{glue:any}`x`", "{glue:any}`ch.md::x`"),
        # the book's {eval}: booktools.eval_role says how another page shows it
        ("{eval}`n_seeds`", "{glue:text}`ch.md::n_seeds:s`"),
        ("{glue:text}`other.md::x:.1f`", None),
        ("{doc}`other`", None),
        ("{ref}`label`", None),
    ],
)
def test_glued_values_are_pasted_from_their_chapter(role, elsewhere):
    (token,) = roles(role)
    assert glue_from_chapter(token, "ch.md") == elsewhere


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ("{glue:md}`x`", "ch.md: {glue:md}`x` cannot paste a value on another page"),
        ("{eval}`1 + 1`", "ch.md: {eval}`1 + 1`: the book's {eval} shows"),
    ],
)
def test_a_number_that_cannot_cross_pages_is_a_clear_error(role, message):
    (token,) = roles(role)
    with pytest.raises(ChapterPointsError, match=re.escape(message)):
        glue_from_chapter(token, "ch.md")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ([("## Summary", "## In short")], "chapter.md has no `## Summary` section"),
        (
            [("1. What", "What"), ("2. How", "How")],
            "chapter.md: its `## Overview` section holds no list",
        ),
    ],
)
def test_a_chapter_without_its_lists_is_a_clear_error(tmp_path, changes, message):
    text = CHAPTER
    for change in changes:
        text = text.replace(*change)
    path = tmp_path / "chapter.md"
    path.write_text(text)
    with pytest.raises(ChapterPointsError, match=re.escape(message)):
        chapter_points(path)
