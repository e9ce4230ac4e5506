"""The students' light install (`pip install -e '.[student]'`) is complete: every module that
a chapter's code or the setup check (`python -m jetlearn.setup_check`) imports, directly or
through the book's packages, comes from a package that pyproject.toml declares for it (its
dependencies and its `student` extra). Pythia alone may be missing: no chapter needs it, and
the book's packages import without it. The intro chapter's check (`check_environment`) looks
for every package that the chapters import.

Only source is read (jupytext, ast) and the installed packages' metadata: no venv is made."""

import ast
import re
import subprocess
import sys
from importlib.metadata import packages_distributions

import jupytext
import pytest
from packaging.requirements import Requirement

from booktools.book import BOOK, toc_chapters
from jetimages.environment import OPTIONAL, REQUIRED
from jetlearn.setup_check import declared_requirements

ROOT = BOOK.parent
OURS = {"jetimages", "jetlearn"}  # the book's packages that chapters import


def normalized(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def imported_modules(source: str, package: str | None = None) -> set[str]:
    """The dotted names of the modules that `source` imports anywhere (at the top or in a
    function), relative imports resolved in `package`; for `from X import name`, X.name
    too, in case name is a module (those that are not are dropped later)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(filter(None, [package, base]))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def module_file(name: str):
    """The source file of one of our modules (a package's __init__.py), or None."""
    path = ROOT.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def chapter_sources() -> dict[str, str]:
    return {
        stem: "\n".join(
            cell.source
            for cell in jupytext.read(BOOK / f"{stem}.md").cells
            if cell.cell_type == "code"
        )
        for stem in toc_chapters()
    }


def what_students_import(
    commands: bool = True,
) -> tuple[set[str], dict[str, set[str]]]:
    """Our modules that the chapters, and the setup check unless `commands` is false,
    reach (each with the packages above it, which run first), and {external top-level
    module: the chapters and modules importing it}."""
    ours, external = set(), {}
    queue = [
        (stem, imported_modules(source)) for stem, source in chapter_sources().items()
    ]
    if commands:
        queue.append(("students' commands", {"jetlearn.setup_check"}))
    while queue:
        where, names = queue.pop()
        for name in names:
            top = name.split(".")[0]
            if top not in OURS:
                if top and top not in sys.stdlib_module_names:
                    external.setdefault(top, set()).add(where)
                continue
            parts = name.split(".")
            for depth in range(1, len(parts) + 1):
                module = ".".join(parts[:depth])
                path = module_file(module)
                if path is None or module in ours:
                    continue
                ours.add(module)
                package = (
                    module if path.name == "__init__.py" else module.rpartition(".")[0]
                )
                queue.append((module, imported_modules(path.read_text(), package)))
    return ours, external


def student_distributions() -> set[str]:
    """The packages of `pip install -e '.[student]'`: the book's dependencies and its
    `student` extra, as pyproject.toml declares them."""
    return {
        normalized(Requirement(line).name) for line in declared_requirements("student")
    }


def test_every_module_a_chapter_needs_is_in_the_light_install():
    ours, external = what_students_import()
    assert {
        "jetimages",
        "jetlearn.training",
        "jetlearn.setup_check",
    } <= ours  # the walk found the packages
    provided_by = packages_distributions()
    allowed = student_distributions()
    missing = {
        module: sorted(where)
        for module, where in external.items()
        if module not in OPTIONAL
        and not {normalized(d) for d in provided_by.get(module, [])} & allowed
    }
    assert not missing, (
        "imported, but no package of pyproject.toml's dependencies or `student` extra "
        f"provides it: {missing}"
    )


def test_pythia_is_optional():
    assert not set(OPTIONAL) & student_distributions()
    # every module of ours that the students use imports with Pythia blocked
    ours, _ = what_students_import()
    blocked = f"import sys; sys.modules.update(dict.fromkeys({sorted(OPTIONAL)!r}))"
    imports = "; ".join(f"import {module}" for module in sorted(ours))
    result = subprocess.run(
        [sys.executable, "-c", f"{blocked}; {imports}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("not_for_students", ["pythia8mc", "jupyter-book", "pytest"])
def test_the_authors_tools_stay_out_of_the_light_install(not_for_students):
    assert not_for_students not in student_distributions()


def test_the_intro_check_looks_for_every_package_a_chapter_imports():
    # check_environment, the intro chapter's first cell: a package it forgets is found
    # missing only in the chapter that imports it
    _, external = what_students_import(commands=False)
    assert "myst_nb" in external and "IPython" in external and "jupytext" in external
    forgotten = sorted(set(external) - set(REQUIRED) - set(OPTIONAL))
    assert not forgotten, (
        f"chapters import {forgotten}, which jetimages.environment.REQUIRED leaves out"
    )


def test_the_intro_check_names_packages_as_pyproject_declares_them():
    # its versions and pip's hints name distributions: those of the students' install
    assert {normalized(d) for d in REQUIRED.values()} <= student_distributions()
