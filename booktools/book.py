"""Where the book is, and its chapters in the order of its table of contents."""

from pathlib import Path

from sphinx_external_toc.parsing import parse_toc_yaml

from jetimages.layout import BOOK


def toc_chapters(book: Path = BOOK) -> list[str]:
    """File names (without suffix) of every page in the book's _toc.yml, in reading order."""
    site_map = parse_toc_yaml(book / "_toc.yml")
    stems: list[str] = []

    def walk(docname: str) -> None:
        stems.append(docname)
        for subtree in site_map[docname].subtrees:
            for item in subtree.items:
                if isinstance(item, str):  # a document (globs and URLs are not pages)
                    walk(item)

    walk(site_map.root.docname)
    return stems
