"""A short check, run at the top of the book, that a student's environment can run every chapter.

`python -m jetlearn.setup_check` runs a longer check before a workshop, built on this one.
"""

import importlib
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

# import name -> distribution name, for everything a chapter imports, directly or through the
# book's packages (tests/test_student_install.py checks that none is left out)
REQUIRED = {
    "numpy": "numpy",
    "scipy": "scipy",
    "pandas": "pandas",
    "matplotlib": "matplotlib",
    "h5py": "h5py",
    "sklearn": "scikit-learn",
    "torch": "torch",
    "tqdm": "tqdm",
    "particle": "particle",
    "fastjet": "fastjet",
    # the jets' particles, as jetimages clusters them and computes N-subjettiness
    "awkward": "awkward",
    # every chapter's numbers (jetlearn.prose), its source code shown (IPython.display)
    # and JupyterLab's view of the .md files
    "IPython": "ipython",
    "myst_nb": "myst-nb",
    "jupytext": "jupytext",
}
# Only chapter 10's live simulation needs Pythia; without it, that chapter shows jets stored
# in the dataset instead. The students' install (pyproject.toml's `student` extra) leaves it
# out.
OPTIONAL = {"pythia8mc": "pythia8mc"}
# pip, not `make install-student`: make does nothing once its stamp is newer than
# pyproject.toml and the lock, even where a package went missing or changed since
INSTALL_HINT = (
    "From the top folder of the repository, run `python -m pip install -e "
    "'.[student]' -c requirements.lock` with the Python that runs the book "
    "(`.venv/bin/python` after `make install-student`)."
)


def installed_versions(modules: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """For a {import name: distribution} mapping: the version of each distribution whose
    module imports, and the list of those whose module does not."""
    versions, missing = {}, []
    for module, distribution in modules.items():
        try:
            importlib.import_module(module)
            versions[distribution] = metadata.version(distribution)
        except ImportError:
            missing.append(distribution)
    return versions, missing


def simulation_available() -> bool:
    """Whether Pythia (pythia8mc) is installed, so that jets can be simulated here."""
    return find_spec("pythia8mc") is not None


def check_environment(data_file: str | Path = "data/jet-images.h5") -> dict[str, str]:
    """The installed version of every package the book needs, and of the optional ones
    that are installed; a clear error naming the fix if a needed one is missing."""
    versions, missing = installed_versions(REQUIRED)
    if missing:
        raise ModuleNotFoundError(
            f"the book needs {', '.join(missing)}, which cannot be imported. {INSTALL_HINT}"
        )
    versions.update(installed_versions(OPTIONAL)[0])
    # imported only now: the checks above must run even where h5py or numpy is missing
    from .dataset import REGENERATE_HINT
    from .schema import constituents_path

    for path in (Path(data_file), constituents_path(data_file)):
        if not path.is_file():
            raise FileNotFoundError(
                f"the dataset file {path.resolve()} is missing. {REGENERATE_HINT}"
            )
    return versions
