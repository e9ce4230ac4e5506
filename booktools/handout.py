"""Workshop handout: every chapter of the book as a Jupyter notebook (.ipynb), with the data beside it.

    python -m booktools.handout OUTDIR              clean notebooks, no outputs (students run them)
    python -m booktools.handout OUTDIR --executed   every notebook run once from a fresh kernel

OUTDIR gets one notebook per chapter of _toc.yml (in its order), the book's data/ and img/ folders,
and a README.md. JupyterLab does not know MyST's directives and roles, so the notebooks' Markdown
is rewritten for it: an exercise becomes a numbered heading, a solution or a dropdown hint an HTML
<details> block that a student opens with a click (the code cells of a solution that spans cells
start collapsed), and a cross-reference plain text or a link to the other notebook. A number that the
website pastes from a run ({eval} and {glue:text} roles) becomes the number itself in executed
notebooks, and the name under which the notebook records it, in code type, in clean ones (the cell
that computes it prints it). The handout is written as the data tool writes its files (jetimages.safe_output): into
a temporary folder beside OUTDIR, renamed into place only when complete and under a lock, so an
interrupted run never leaves half a handout. An existing OUTDIR is replaced only if an earlier run
of this command made it, if it is empty, or with --force.
"""

import argparse
import ast
import re
import shutil
import sys
from pathlib import Path

import jupytext
import nbformat
from markdown_it.token import Token
from myst_nb.core.variables import format_plain_text

from jetimages.dataset import REGENERATE_HINT
from jetimages.errors import DataToolError
from jetimages.safe_output import replacing

from .book import BOOK, toc_chapters
from .chapter_points import ChapterPointsError, chapter_points
from .eval_role import parse as parse_eval
from .eval_role import shown
from .myst_markdown import Directive, MystMarkupError, MystText

DATA_FILE = Path("data") / "jet-images.h5"
MARKER = (
    ".jetimages-handout"  # says that this command made the folder, so it may replace it
)
DEFAULT_TIMEOUT = (
    600  # seconds per cell, where a chapter does not set mystnb.execution_timeout
)
README = """\
# Workshop handout: CNNs for particle physicists, on jet images

One notebook per chapter, {state}. Open this folder in JupyterLab and run each notebook from the
top; every notebook reads `data/jet-images.h5` from this folder, so keep them side by side.

The notebooks import the book's own packages. Install what the chapters need, from the top
folder of the book's repository, with Python 3.11:
`pip install -e '.[student]' -c requirements.lock` (the students' set: no Pythia, no book
build, no tests). The first cell of {first} checks your setup and says what is
missing.

Chapters, in order:
{chapters}
{numbers}"""
CLEAN_NUMBERS = """
A number in the text that a run produces (an accuracy, a file size) appears in these notebooks as
the name under which the notebook records it, in code type, such as `test_accuracy`: the cell that
computes it prints it, and the book's website shows the number itself.
"""


OPTION_NAMES = {"outdir": "OUTDIR", "force": "--force"}


class HandoutError(Exception):
    """A problem the person running the command can fix; its message says how."""


# ------------------------------------------------------------------------------------------------
# MyST markup, rewritten as Markdown and HTML that JupyterLab shows as the website does, wherever
# the website's parser finds it (booktools.myst_markdown): what looks like markup in code is code

ADMONITIONS = {
    "admonition",
    "note",
    "tip",
    "hint",
    "important",
    "seealso",
    "warning",
    "caution",
}
SOLUTION_SUMMARY = "<summary><b>Solution to exercise {number}</b>{more}: try it first, then click to open</summary>"
# the content of a {doc} or {ref} role that says what to show: `text <target>`
EXPLICIT_TITLE = re.compile(r"(?P<text>.*?)\s*<(?P<target>[^<>]+)>")


def details(summary: str, body: str) -> str:
    """An HTML block that JupyterLab shows closed, with Markdown inside (blank lines around it)."""
    return f"<details>\n{summary}\n\n{body.strip()}\n\n</details>"


def glue_reference(content: str) -> tuple[str | None, str, str]:
    """The chapter (None: this one), key and format of {glue:text}`chapter.md::key:format`."""
    document, _, reference = content.rpartition("::")
    key, _, format_spec = reference.partition(":")
    return (Path(document).stem if document else None), key, format_spec


class MystToMarkdown:
    """Rewrites the Markdown cells of one chapter for JupyterLab; see the module's docstring."""

    def __init__(
        self,
        cells: list[nbformat.NotebookNode],
        keep_glue: bool = False,
        folder: Path = BOOK,
    ):
        self.keep_glue = keep_glue  # leave {glue:text} roles for paste_glued_values
        self.folder = folder  # the chapter's folder, where a {chapter-points} looks
        self.exercises: dict[str, tuple[int, str]] = {}  # label -> (number, title)
        # cross-reference label -> what a reference shows
        self.titles: dict[str, str] = {}
        # the label of the exercise whose open solution we are in
        self.solution: str | None = None
        for cell in cells:
            if cell.cell_type == "markdown":
                self.collect(cell.source)
        # titles are Markdown, which may hold roles too
        self.exercises = {
            label: (number, self.translate(title))
            for label, (number, title) in self.exercises.items()
        }
        self.titles = {
            label: self.translate(title) for label, title in self.titles.items()
        }

    def collect(self, markdown: str) -> None:
        """Number the exercises, and note what a reference to a label shows: an exercise's
        number and title, or the heading after a `(label)=` target."""
        text = MystText(markdown)
        for index, token in enumerate(text.tokens):
            if directive := text.directive(token):
                if directive.name == "exercise":
                    self.number(directive)
                self.collect(directive.body)
            elif token.type == "myst_target":
                following = text.tokens[index + 1 : index + 3]
                if [block.type for block in following] == ["heading_open", "inline"]:
                    self.titles[token.content] = following[1].content

    def number(self, exercise: Directive) -> None:
        """Give the exercise the next number, under its :label:."""
        label = exercise.options.get("label")
        if not label:
            raise HandoutError(
                f"the exercise `{exercise.opening}` has no :label: option; give it one"
            )
        number = len(self.exercises) + 1
        self.exercises[label] = (number, exercise.argument)
        self.titles[label] = f"Exercise {number}" + (
            f" ({exercise.argument})" if exercise.argument else ""
        )

    def rewrite(self, cells: list[nbformat.NotebookNode]) -> None:
        for cell in cells:
            if cell.cell_type == "markdown":
                cell.source = self.markdown(cell.source)
            elif self.solution:
                # a code cell of a solution: collapsed until the student opens it
                cell.metadata.setdefault("jupyter", {}).update(
                    source_hidden=True, outputs_hidden=True
                )

    def markdown(self, source: str) -> str:
        """One Markdown cell. A solution between {solution-start} and {solution-end} may span
        cells: each cell's part of it becomes a <details> block of its own."""
        text = MystText(source)
        parts, first, continued = [], 0, True
        for token in text.tokens:
            directive = text.directive(token) if token.level == 0 else None
            if directive and directive.name in ("solution-start", "solution-end"):
                parts.append(
                    self.part("\n".join(text.lines[first : token.map[0]]), continued)
                )
                self.solution = (
                    directive.argument if directive.name == "solution-start" else None
                )
                first, continued = token.map[1], False
        parts.append(self.part("\n".join(text.lines[first:]), continued))
        return "\n\n".join(part for part in parts if part)

    def part(self, markdown: str, continued: bool) -> str:
        """A part of a cell, in a <details> block if it is in a solution."""
        text = self.translate(markdown).strip("\n")
        if self.solution is None or not text.strip():
            return text
        number, title = self.exercise(self.solution)
        more = ", continued" if continued else (f" ({title})" if title else "")
        return details(SOLUTION_SUMMARY.format(number=number, more=more), text)

    def translate(self, markdown: str) -> str:
        """Markdown with its directives (and those inside them), targets, comments and roles
        rewritten."""
        text = MystText(markdown)
        for token in text.tokens:
            if directive := text.directive(token):
                text.replace_block(token, self.directive(directive))
            elif token.type in ("myst_target", "myst_line_comment"):
                # nothing that a reader of the website sees
                text.replace_block(token, "")
        text.replace_roles(self.role)
        return text.rewritten()

    def exercise(self, label: str) -> tuple[int, str]:
        if label not in self.exercises:
            raise HandoutError(
                f"a solution names the exercise {label!r}, but no exercise in its chapter has that :label:"
            )
        return self.exercises[label]

    def directive(self, directive: Directive) -> str:
        inner = self.translate(directive.body).strip("\n")
        if directive.name == "exercise":
            number, title = self.exercise(directive.options["label"])
            return (
                f"### Exercise {number}"
                + (f": {title}" if title else "")
                + f"\n\n{inner}"
            )
        if directive.name == "solution":
            number, title = self.exercise(directive.argument)
            more = f" ({title})" if title else ""
            return details(SOLUTION_SUMMARY.format(number=number, more=more), inner)
        if directive.name == "chapter-points":
            # another chapter's Overview and Summary, as the website shows them
            return self.translate(
                chapter_points(self.folder / f"{directive.argument}.md")
            )
        if directive.name in ADMONITIONS:
            title = directive.argument or directive.name.capitalize()
            if "dropdown" in directive.options.get("class", ""):
                return details(
                    f"<summary><b>{title}</b> (click to open)</summary>", inner
                )
            return "\n".join(
                f"> {line}".rstrip()
                for line in [f"**{title}**", "", *inner.splitlines()]
            )
        raise HandoutError(
            f"the MyST directive {{{directive.name}}} has no plain-Markdown form in the handout yet: "
            "teach it to MystToMarkdown.directive in booktools/handout.py"
        )

    def role(self, role: Token) -> str | None:
        """{doc}`chapter` as a link to that notebook, {ref}`label` as the text the website shows,
        {glue:text}`key` and {eval}`f"{key:.3f}"` as the key in code type (None, kept, for
        paste_glued_values)."""
        name = role.meta["name"]
        if name == "glue:text":
            return None if self.keep_glue else f"`{glue_reference(role.content)[1]}`"
        if name == "eval":
            return None if self.keep_glue else f"`{parse_eval(role.content)[0]}`"
        if name not in ("doc", "ref"):
            raise HandoutError(
                f"the MyST role {{{name}}} has no plain-Markdown form in the handout yet: "
                "teach it to MystToMarkdown.role in booktools/handout.py"
            )
        explicit = EXPLICIT_TITLE.fullmatch(role.content)
        text, target = (
            (explicit["text"], explicit["target"]) if explicit else ("", role.content)
        )
        if name == "doc":
            return f"[{text or target}]({target}.ipynb)"
        return text or self.titles.get(target, target)


def clean_notebook(source: Path, keep_glue: bool = False) -> nbformat.NotebookNode:
    """The chapter as a notebook with no outputs, without the jupytext pairing (a handout is not paired).
    keep_glue: leave the {glue:text} roles, to be filled in by paste_glued_values once it has run."""
    notebook = jupytext.read(source)
    notebook.metadata.pop("jupytext", None)
    try:
        MystToMarkdown(notebook.cells, keep_glue, source.parent).rewrite(notebook.cells)
    except (HandoutError, MystMarkupError, ChapterPointsError) as error:
        raise HandoutError(f"{source.name}: {error}") from None
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return notebook


def execute(notebook: nbformat.NotebookNode, folder: Path, name: str) -> None:
    """Run the notebook top to bottom in a fresh kernel started in `folder` (where data/ is)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    timeout = notebook.metadata.get("mystnb", {}).get(
        "execution_timeout", DEFAULT_TIMEOUT
    )
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
    )
    try:
        client.execute()
    except CellExecutionError as error:
        raise HandoutError(f"{name} failed while executing:\n{error}") from None


def glued_values(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """The text/plain value of everything an executed notebook recorded with myst_nb's glue()."""
    values = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            record = output.get("metadata", {}).get("scrapbook")
            if record:
                values[record["name"]] = output["data"][
                    record.get("mime_prefix", "") + "text/plain"
                ]
    return values


def paste_glued_values(notebooks: dict[str, nbformat.NotebookNode]) -> None:
    """Replace every {glue:text} role of executed notebooks by its value, formatted as the website
    formats it; the value may come from another of the notebooks."""
    values = {stem: glued_values(notebook) for stem, notebook in notebooks.items()}
    for stem, notebook in notebooks.items():

        def paste(role: Token, stem: str = stem) -> str | None:
            # {eval}: a value of this chapter, formatted as the website formats it
            if role.meta["name"] == "eval":
                key, format_spec = parse_eval(role.content)
                if key not in values[stem]:
                    raise HandoutError(f"{stem} shows {key!r}, which it did not glue")
                return shown(ast.literal_eval(values[stem][key]), format_spec)
            if role.meta["name"] != "glue:text":
                return None
            chapter, key, format_spec = glue_reference(role.content)
            chapter = chapter or stem
            if key not in values.get(chapter, {}):
                raise HandoutError(
                    f"{stem} pastes {key!r} from {chapter}, which did not record it with glue()"
                )
            return format_plain_text(values[chapter][key], format_spec)

        for cell in notebook.cells:
            if cell.cell_type == "markdown":
                text = MystText(cell.source)
                try:
                    text.replace_roles(paste)
                except MystMarkupError as error:
                    raise HandoutError(f"{stem}: {error}") from None
                cell.source = text.rewritten()


def not_a_handout(folder: Path) -> str | None:
    """Why an existing folder may not be replaced (None: this command made it, or it is empty)."""
    if (folder / MARKER).is_file() or not any(folder.iterdir()):
        return None
    return "was not made by this command"


def write_handout(
    outdir: Path, book: Path = BOOK, executed: bool = False, force: bool = False
) -> Path:
    """Write the handout into `outdir`, which is replaced only if this command made it (or
    it is empty), or with `force`. Raises HandoutError, or jetimages' UsageError and
    NotFoundError for an `outdir` that cannot be written."""
    book = Path(book).resolve()
    if not (book / "_toc.yml").is_file():
        raise HandoutError(f"{book} is not the book folder (it has no _toc.yml)")
    if not (book / DATA_FILE).is_file():
        raise HandoutError(
            f"the dataset {book / DATA_FILE} is missing, and every chapter reads it. {REGENERATE_HINT}"
        )
    stems = toc_chapters(book)
    missing = [stem for stem in stems if not (book / f"{stem}.md").is_file()]
    if missing:
        raise HandoutError(
            f"_toc.yml lists chapters with no .md file in {book}: {missing}"
        )

    # the data tool's safe writing: a temporary folder beside outdir, renamed into place when
    # complete, under a lock; an error or Ctrl-C leaves the old handout as it was
    with replacing(
        outdir,
        "outdir",
        description="the handout folder",
        why_not_ours=not_a_handout,
        force=force,
        folder=True,
    ) as staging:
        for folder in ("data", "img"):
            if (book / folder).is_dir():
                shutil.copytree(
                    book / folder,
                    staging / folder,
                    ignore=shutil.ignore_patterns("*.tmp*", ".*"),
                )
        notebooks = {
            stem: clean_notebook(book / f"{stem}.md", keep_glue=executed)
            for stem in stems
        }
        if executed:
            for stem, notebook in notebooks.items():
                print(f"executing {stem} ...", flush=True)
                execute(notebook, staging, stem)
            # once every chapter has run: a chapter may paste a number that a later one records
            paste_glued_values(notebooks)
        for stem, notebook in notebooks.items():
            nbformat.write(notebook, staging / f"{stem}.ipynb")
        (staging / "README.md").write_text(
            README.format(
                state="each run once from top to bottom, with its outputs"
                if executed
                else "without outputs",
                first=f"{stems[0]}.ipynb",
                chapters="\n".join(f"- {stem}.ipynb" for stem in stems),
                numbers="" if executed else CLEAN_NUMBERS,
            )
        )
        (staging / MARKER).write_text(
            "made by python -m booktools.handout; it may replace this folder\n"
        )
    return Path(outdir).resolve()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m booktools.handout", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "outdir",
        type=Path,
        help="the folder to write (replaced if this command made it before)",
    )
    parser.add_argument(
        "--executed",
        action="store_true",
        help="run every notebook once, keeping its outputs",
    )
    parser.add_argument(
        "--book", type=Path, default=BOOK, help=f"the book folder (default {BOOK})"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace OUTDIR even if this command did not make it",
    )
    args = parser.parse_args(argv)
    try:
        outdir = write_handout(args.outdir, args.book, args.executed, args.force)
    except HandoutError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (
        DataToolError
    ) as error:  # outdir cannot be written: named as on this command line
        print(f"error: {error.message(OPTION_NAMES)}", file=sys.stderr)
        return 2
    notebooks = sorted(path.name for path in outdir.glob("*.ipynb"))
    print(
        f"wrote {len(notebooks)} notebooks ({'executed' if args.executed else 'clean'}) and data/ to {outdir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
