"""Workshop handout: every chapter of the book as a Jupyter notebook (.ipynb), with the data beside it.

    python -m booktools.handout OUTDIR              clean notebooks, no outputs (students run them)
    python -m booktools.handout OUTDIR --executed   every notebook run once from a fresh kernel

OUTDIR gets one notebook per chapter of _toc.yml (in its order), the book's data/ and img/ folders,
and a README.md. JupyterLab does not know MyST's directives and roles, so the notebooks' Markdown
is rewritten for it: an exercise becomes a numbered heading, a solution or a dropdown hint an HTML
<details> block that a student opens with a click (the code cells of a solution that spans cells
start collapsed), and a cross-reference plain text or a link to the other notebook. A number that the
website pastes from a run ({glue:text} role) becomes the number itself in executed notebooks, and the
name under which the notebook records it, in code type, in clean ones (the cell that computes it
prints it). The handout is written into a temporary folder beside OUTDIR and renamed into place
only when complete, so an interrupted run never leaves half a handout. An existing OUTDIR is replaced
only if an earlier run of this command made it.
"""

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat

from jetimages.dataset import REGENERATE_HINT

from .book import BOOK, toc_chapters

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

The notebooks import the book's own package, `jetimages`. Install it with everything else the
book needs from the top folder of the book's repository: `pip install -r requirements.txt`
(it needs Python 3.11). The first cell of {first} checks your setup and says what is missing.

Chapters, in order:
{chapters}
{numbers}"""
CLEAN_NUMBERS = """
A number in the text that a run produces (an accuracy, a file size) appears in these notebooks as
the name under which the notebook records it, in code type, such as `test_accuracy`: the cell that
computes it prints it, and the book's website shows the number itself.
"""


class HandoutError(Exception):
    """A problem the person running the command can fix; its message says how."""


# ------------------------------------------------------------------------------------------------
# MyST markup, rewritten as Markdown and HTML that JupyterLab shows as the website does

# `:::{name} argument` (three colons or more), closed by a line of the same colons
DIRECTIVE = re.compile(
    r"^(?P<fence>:{3,})\{(?P<name>[\w-]+)\}[ \t]*(?P<argument>.*?)\s*$"
)
OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*?)\s*$")
TARGET = re.compile(
    r"^\((?P<label>[\w-]+)\)=\s*$"
)  # `(label)=`: a cross-reference target
ROLE = re.compile(
    r"\{(?P<role>doc|ref)\}`(?P<text>[^`<]*?)\s*(?:<(?P<target>[^`>]+)>)?`"
)
# {glue:text}`key:format` or {glue:text}`other-chapter.md::key:format`: a value recorded by glue()
GLUE = re.compile(
    r"\{glue:text\}`(?:(?P<chapter>[^`:]+)\.(?:md|ipynb)::)?(?P<key>[\w-]+)(?::(?P<format>[^`]*))?`"
)
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


def split_directive(
    lines: list[str], start: int
) -> tuple[str, str, dict[str, str], list[str], int]:
    """The directive opening at lines[start]: name, argument, options, body lines, and the index
    of the first line after its closing fence."""
    opening = DIRECTIVE.match(lines[start])
    options, index = {}, start + 1
    while index < len(lines) and (option := OPTION.match(lines[index])):
        options[option["key"]] = option["value"]
        index += 1
    body_start = index
    while index < len(lines) and lines[index].rstrip() != opening["fence"]:
        index += 1
    if index == len(lines):
        raise HandoutError(
            f"the MyST directive `{lines[start].strip()}` is never closed by a line `{opening['fence']}`"
        )
    return (
        opening["name"],
        opening["argument"],
        options,
        lines[body_start:index],
        index + 1,
    )


def details(summary: str, body: str) -> str:
    """An HTML block that JupyterLab shows closed, with Markdown inside (blank lines around it)."""
    return f"<details>\n{summary}\n\n{body.strip()}\n\n</details>"


class MystToMarkdown:
    """Rewrites the Markdown cells of one chapter for JupyterLab; see the module's docstring."""

    def __init__(self, cells: list[nbformat.NotebookNode], keep_glue: bool = False):
        self.keep_glue = keep_glue  # leave {glue:text} roles for paste_glued_values
        self.exercises: dict[str, tuple[int, str]] = {}  # label -> (number, title)
        self.titles: dict[
            str, str
        ] = {}  # cross-reference label -> what a reference shows
        self.solution: str | None = (
            None  # the label of the exercise whose open solution we are in
        )
        text = "\n".join(
            cell.source for cell in cells if cell.cell_type == "markdown"
        ).splitlines()
        for index, line in enumerate(text):
            if (opening := DIRECTIVE.match(line)) and opening["name"] == "exercise":
                label = split_directive(text, index)[2].get("label")
                if not label:
                    raise HandoutError(
                        f"the exercise `{line.strip()}` has no :label: option; give it one"
                    )
                number = len(self.exercises) + 1
                self.exercises[label] = (number, opening["argument"])
                self.titles[label] = f"Exercise {number}" + (
                    f" ({opening['argument']})" if opening["argument"] else ""
                )
            elif (target := TARGET.match(line)) and index + 1 < len(text):
                self.titles[target["label"]] = text[index + 1].lstrip("#").strip()

    def rewrite(self, cells: list[nbformat.NotebookNode]) -> None:
        for cell in cells:
            if cell.cell_type == "markdown":
                cell.source = self.markdown(cell.source)
            elif (
                self.solution
            ):  # a code cell of a solution: collapsed until the student opens it
                cell.metadata.setdefault("jupyter", {}).update(
                    source_hidden=True, outputs_hidden=True
                )

    def markdown(self, source: str) -> str:
        """One Markdown cell. A solution between {solution-start} and {solution-end} may span
        cells: each cell's part of it becomes a <details> block of its own."""
        segments = [
            (self.solution, True, [])
        ]  # (open solution or None, continued?, lines)
        lines = source.splitlines()
        index = 0
        while index < len(lines):
            if not DIRECTIVE.match(lines[index]):
                segments[-1][2].append(self.line(lines[index]))
                index += 1
                continue
            name, argument, options, body, index = split_directive(lines, index)
            if name in ("solution-start", "solution-end"):
                self.solution = argument if name == "solution-start" else None
                segments.append((self.solution, False, []))
            else:
                segments[-1][2].append(self.directive(name, argument, options, body))
        parts = []
        for solution, continued, segment in segments:
            text = "\n".join(segment)
            if solution is None:
                parts.append(text)
            elif text.strip():
                number, title = self.exercise(solution)
                more = ", continued" if continued else (f" ({title})" if title else "")
                parts.append(
                    details(SOLUTION_SUMMARY.format(number=number, more=more), text)
                )
        return "\n".join(part for part in parts if part)

    def body(self, lines: list[str]) -> str:
        """The inside of a directive, which may hold other directives."""
        parts, index = [], 0
        while index < len(lines):
            if DIRECTIVE.match(lines[index]):
                name, argument, options, inner, index = split_directive(lines, index)
                parts.append(self.directive(name, argument, options, inner))
            else:
                parts.append(self.line(lines[index]))
                index += 1
        return "\n".join(parts)

    def line(self, line: str) -> str:
        """A line of Markdown: cross-reference targets dropped, roles rewritten."""
        return "" if TARGET.match(line) else self.roles(line)

    def exercise(self, label: str) -> tuple[int, str]:
        if label not in self.exercises:
            raise HandoutError(
                f"a solution names the exercise {label!r}, but no exercise in its chapter has that :label:"
            )
        return self.exercises[label]

    def directive(
        self, name: str, argument: str, options: dict[str, str], lines: list[str]
    ) -> str:
        inner = self.body(lines)
        if name == "exercise":
            number, title = self.exercise(options["label"])
            return (
                f"### Exercise {number}"
                + (f": {title}" if title else "")
                + f"\n\n{inner}"
            )
        if name == "solution":
            number, title = self.exercise(argument)
            return details(
                SOLUTION_SUMMARY.format(
                    number=number, more=f" ({title})" if title else ""
                ),
                inner,
            )
        if name in ADMONITIONS:
            title = argument or name.capitalize()
            if "dropdown" in options.get("class", ""):
                return details(
                    f"<summary><b>{title}</b> (click to open)</summary>", inner
                )
            return "\n".join(
                f"> {line}".rstrip()
                for line in [f"**{title}**", "", *inner.splitlines()]
            )
        raise HandoutError(
            f"the MyST directive {{{name}}} has no plain-Markdown form in the handout yet: "
            "teach it to MystToMarkdown.directive in booktools/handout.py"
        )

    def roles(self, line: str) -> str:
        """{doc}`chapter` as a link to that notebook, {ref}`label` as the text the website shows,
        {glue:text}`key` as the key in code type (unless kept for paste_glued_values)."""
        if not self.keep_glue:
            line = GLUE.sub(lambda match: f"`{match['key']}`", line)

        def replace(match: re.Match) -> str:
            target = match["target"] or match["text"]
            if match["role"] == "doc":
                return (
                    f"[{match['text'] if match['target'] else target}]({target}.ipynb)"
                )
            return match["text"] if match["target"] else self.titles.get(target, target)

        return ROLE.sub(replace, line)


def clean_notebook(source: Path, keep_glue: bool = False) -> nbformat.NotebookNode:
    """The chapter as a notebook with no outputs, without the jupytext pairing (a handout is not paired).
    keep_glue: leave the {glue:text} roles, to be filled in by paste_glued_values once it has run."""
    notebook = jupytext.read(source)
    notebook.metadata.pop("jupytext", None)
    MystToMarkdown(notebook.cells, keep_glue).rewrite(notebook.cells)
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
    from myst_nb.core.variables import format_plain_text

    values = {stem: glued_values(notebook) for stem, notebook in notebooks.items()}
    for stem, notebook in notebooks.items():

        def paste(match: re.Match, stem: str = stem) -> str:
            chapter = match["chapter"] or stem
            if match["key"] not in values.get(chapter, {}):
                raise HandoutError(
                    f"{stem} pastes {match['key']!r} from {chapter}, which did not record it with glue()"
                )
            return format_plain_text(
                values[chapter][match["key"]], match["format"] or ""
            )

        for cell in notebook.cells:
            if cell.cell_type == "markdown":
                cell.source = GLUE.sub(paste, cell.source)


def write_handout(outdir: Path, book: Path = BOOK, executed: bool = False) -> Path:
    outdir = Path(outdir).resolve()
    book = Path(book).resolve()
    if not (book / "_toc.yml").is_file():
        raise HandoutError(f"{book} is not the book folder (it has no _toc.yml)")
    if not (book / DATA_FILE).is_file():
        raise HandoutError(
            f"the dataset {book / DATA_FILE} is missing, and every chapter reads it. {REGENERATE_HINT}"
        )
    if outdir.exists() and not (outdir / MARKER).is_file() and any(outdir.iterdir()):
        raise HandoutError(
            f"{outdir} exists and was not made by this command; give a new or empty folder"
        )
    stems = toc_chapters(book)
    missing = [stem for stem in stems if not (book / f"{stem}.md").is_file()]
    if missing:
        raise HandoutError(
            f"_toc.yml lists chapters with no .md file in {book}: {missing}"
        )

    outdir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}-", dir=outdir.parent))
    try:
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
        staging.chmod(0o755)  # mkdtemp makes it private to its owner
        if outdir.exists():
            old = outdir.with_name(f".{outdir.name}-old")
            shutil.rmtree(old, ignore_errors=True)
            outdir.rename(old)
            staging.rename(outdir)
            shutil.rmtree(old)
        else:
            staging.rename(outdir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return outdir


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
    args = parser.parse_args(argv)
    try:
        outdir = write_handout(args.outdir, args.book, args.executed)
    except HandoutError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    notebooks = sorted(path.name for path in outdir.glob("*.ipynb"))
    print(
        f"wrote {len(notebooks)} notebooks ({'executed' if args.executed else 'clean'}) and data/ to {outdir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
