"""Is this computer ready for the workshop? `python -m jetlearn.setup_check`, the day before.

Run from the repository's top folder or from the book folder. It prints, in turn: Python's
and the packages' versions, each dataset file read whole and checked, the free memory,
PyTorch's threads and device, and the time of a few training steps of the book's CNN; then a
verdict, "ready" or the list of what to do. Exit status 0 when ready, 1 otherwise.

It builds on `jetimages.check_environment` (the intro chapter's first cell): the same lists of
packages, the same install command, the same loader and its messages for a bad file.
"""

import platform
import re
import sys
import time
import tomllib
from importlib import metadata
from pathlib import Path

from jetimages.environment import INSTALL_HINT, OPTIONAL, REQUIRED, installed_versions
from jetimages.layout import BOOK

PYPROJECT = BOOK.parent / "pyproject.toml"
"""Where the book declares what it needs: the students' set is its `student` extra."""
MIN_PYTHON = (3, 11)
MIN_FREE_GB = 3.0
"""Free memory to ask for: the largest chapter's kernel peaks below 3 GB (90-teaching.md)."""
CNN_CHAPTER = "30-convolutional-neural-networks.md"
"""The chapter whose CNN (JetCNN) and recipe (RECIPE) the timed training steps use."""
TIMED_STEPS = 5
TRAINING_JETS = 64_000
"""Chapter 30's training jets (80 % of the 80 000 of data/jet-images.h5): with its recipe's
batch size and epochs, how many steps its CNN takes."""
WORKSHOP_ABOVE_S = 120
"""Above this estimated training time of chapter 30's CNN, a laptop holds up the three-hour
plan (which gives that training about two minutes): workshop mode is for it."""


def book_folder(start: Path | None = None) -> Path:
    """Where the chapters read data/ from: the current folder when it holds data/ (the
    book folder, or a handout), else the book folder below it, else this checkout's."""
    start = Path.cwd() if start is None else start
    for folder in (start, start / BOOK.name):
        if (folder / "data").is_dir():
            return folder
    return BOOK


def declared_requirements(
    extra: str | None = None, pyproject: Path = PYPROJECT
) -> list[str]:
    """The requirements that `pip install -e '.[extra]'` installs, as pyproject.toml
    declares them: the project's dependencies, then the extra's (None: no extra), where an
    extra naming the project itself (`jetimages[student]`) brings that extra's in turn."""
    project = tomllib.loads(pyproject.read_text())["project"]
    extras = project.get("optional-dependencies", {})
    itself = re.compile(rf"{re.escape(project['name'])}\s*\[([^\]]*)\]\s*")
    requirements, seen = list(project["dependencies"]), set()

    def add(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for requirement in extras[name]:
            if match := itself.fullmatch(requirement):
                for other in match.group(1).split(","):
                    add(other.strip())
            else:
                requirements.append(requirement)

    if extra is not None:
        add(extra)
    return requirements


def pinned_distributions(requirements: list[str]) -> dict[str, str | None]:
    """{distribution: exact pin or None} for each requirement (PEP 508 strings, read without
    the `packaging` package, which the students' set does not declare)."""
    pins = {}
    for requirement in requirements:
        name = re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0]
        exact = re.search(r"==\s*([^,;\s]+)", requirement)
        pins[name] = exact.group(1) if exact else None
    return pins


def check_packages() -> tuple[list[str], bool]:
    """Print Python's version and every needed package's; return what to do, and whether
    every needed package is there (the later checks import them)."""
    todo = []
    print(f"Python {platform.python_version()} ({sys.executable})")
    if sys.version_info < MIN_PYTHON:
        todo.append(
            f"Python {platform.python_version()} is too old: the book needs Python "
            f"{'.'.join(map(str, MIN_PYTHON))}; make the environment again with "
            "python3.11 (README.md, 'For students')."
        )
    versions, missing = installed_versions(REQUIRED)
    wanted = dict.fromkeys(versions)
    if PYPROJECT.is_file():  # in a checkout, where the book is installed from
        wanted.update(pinned_distributions(declared_requirements("student")))
    for distribution, pin in wanted.items():
        if distribution in missing:
            continue
        try:
            version = versions.get(distribution) or metadata.version(distribution)
        except metadata.PackageNotFoundError:
            missing.append(distribution)
            continue
        # a local label such as +cpu is a build of the pinned version
        if pin is not None and version.split("+")[0] != pin:
            print(f"  {distribution:<16} {version}  (the book is tested with {pin})")
            todo.append(
                f"{distribution} {version} is installed, the book pins {pin}. "
                f"{INSTALL_HINT}"
            )
        else:
            print(f"  {distribution:<16} {version}")
    for distribution in missing:
        print(f"  {distribution:<16} MISSING")
    if missing:
        todo.append(f"Install {', '.join(missing)}. {INSTALL_HINT}")
    optional, not_installed = installed_versions(OPTIONAL)
    for distribution, version in optional.items():
        print(f"  {distribution:<16} {version}  (optional)")
    for distribution in not_installed:
        print(
            f"  {distribution:<16} not installed: fine, chapter 10 then shows jets stored "
            "in the dataset instead of simulating new ones (the authors' `make install` "
            "adds it)"
        )
    return todo, not missing


def check_data(folder: Path) -> list[str]:
    """Read every dataset file the chapters read, whole, with the book's own loader and
    its checks; print what each holds; return what to do."""
    from jetimages import load_dataset
    from jetlearn.robustness import SIMULATIONS, simulation_file

    print(f"Dataset files in {folder / 'data'}:")
    todo = []
    for simulation in SIMULATIONS:
        path = simulation_file(simulation, folder / "data")
        start = time.perf_counter()
        try:
            jets = load_dataset(path, constituents=True)
        except (OSError, ValueError) as error:  # missing, damaged, or of another schema
            print(f"  {path.name}: CANNOT BE READ")
            todo.append(str(error))
            continue
        print(
            f"  {path.name} (and its constituents): {len(jets)} jets, images "
            f"{jets.images.shape}, particles {jets.particles.shape}, "
            f"{time.perf_counter() - start:.1f} s"
        )
        del jets  # one dataset in memory at a time
    return todo


def free_memory_gb() -> float:
    import psutil

    return psutil.virtual_memory().available / 1e9


def check_memory() -> list[str]:
    free = free_memory_gb()
    print(f"Free memory: {free:.1f} GB (at least {MIN_FREE_GB:.0f} GB recommended)")
    if free < MIN_FREE_GB:
        return [
            f"Only {free:.1f} GB of memory is free; the largest chapters need up to "
            f"{MIN_FREE_GB:.0f} GB. Close other programs (browsers with many tabs, other "
            "notebooks' kernels) and run this check again."
        ]
    return []


def time_training_steps() -> None:
    """Print PyTorch's threads and device, and the time of a few training steps of the
    CNN chapter's network on random images, with that chapter's batch size."""
    import torch

    from jetlearn.chapters import chapter_namespace
    from jetlearn.training import train

    # the chapters train on a GPU when PyTorch sees one, else on the CPU
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    name = torch.cuda.get_device_name() if device.type == "cuda" else "CPU"
    print(f"PyTorch {torch.__version__}: {torch.get_num_threads()} threads, on {name}")

    chapter = chapter_namespace(CNN_CHAPTER)
    recipe = chapter["RECIPE"]
    batch = recipe["batch_size"]
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(TIMED_STEPS * batch, 1, 20, 20, generator=generator).to(device)
    labels = torch.randint(0, 5, (TIMED_STEPS * batch,), generator=generator).to(device)
    model = chapter["JetCNN"]().to(device)

    def steps(n: int) -> float:
        """Seconds for n training steps (and one validation pass over a batch)."""
        start = time.perf_counter()
        train(
            model,
            (images[: n * batch], labels[: n * batch]),
            (images[:batch], labels[:batch]),
            epochs=1,
            batch_size=batch,
            learning_rate=recipe["learning_rate"],
            seed=0,
            progress_bar=False,
        )
        return time.perf_counter() - start

    steps(1)  # the first step also sets PyTorch up: not timed
    step_s = steps(TIMED_STEPS) / TIMED_STEPS
    whole_s = step_s * recipe["epochs"] * TRAINING_JETS / batch
    print(
        f"One training step of chapter 30's CNN (a batch of {batch} images, forward "
        f"and backward): {1000 * step_s:.0f} ms, so about {whole_s:.0f} s for its "
        f"{recipe['epochs']} epochs"
    )
    if whole_s > WORKSHOP_ABOVE_S:
        print(
            f"  Slow for the three-hour plan (more than {WORKSHOP_ABOVE_S} s): tell the "
            "instructor; workshop mode (90-teaching.md) halves every training."
        )
    else:
        print(f"  Fine for the three-hour plan (up to {WORKSHOP_ABOVE_S} s).")


def main() -> int:
    print("Checking this computer for the book's chapters.\n")
    todo, complete = check_packages()
    print()
    if not complete:
        print("The data, memory and training checks need every package: install first.")
    else:
        todo += check_data(book_folder())
        print()
        todo += check_memory()
        print()
        time_training_steps()
    print()
    if not todo:
        print("Verdict: ready.")
        return 0
    print("Verdict: not ready. To do:")
    for number, item in enumerate(todo, 1):
        print(f"  {number}. {item}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
