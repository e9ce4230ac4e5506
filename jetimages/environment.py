"""A short check, run at the top of the book, that a student's environment can run every chapter."""

import importlib
from importlib import metadata
from pathlib import Path

# import name -> distribution name, for everything a chapter imports
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
    "pythia8mc": "pythia8mc",
    "fastjet": "fastjet",
}
INSTALL_HINT = "From the top folder of the repository, run `make install` (or `pip install -r requirements.txt`)."


def check_environment(data_file: str | Path = "data/jet-images.h5") -> dict[str, str]:
    """The installed version of every package the book needs; a clear error naming the fix if one is missing."""
    missing = []
    versions = {}
    for module, distribution in REQUIRED.items():
        try:
            importlib.import_module(module)
            versions[distribution] = metadata.version(distribution)
        except ImportError:
            missing.append(distribution)
    if missing:
        raise ModuleNotFoundError(
            f"the book needs {', '.join(missing)}, which cannot be imported. {INSTALL_HINT}"
        )
    # imported only now: the checks above must run even where h5py or numpy is missing
    from .dataset import REGENERATE_HINT
    from .schema import constituents_path

    for path in (Path(data_file), constituents_path(data_file)):
        if not path.is_file():
            raise FileNotFoundError(
                f"the dataset file {path.resolve()} is missing. {REGENERATE_HINT}"
            )
    return versions
