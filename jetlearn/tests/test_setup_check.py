"""`python -m jetlearn.setup_check`: "ready" when everything is there, and otherwise a list of
what to do that names the missing package or the bad file with the command that fixes it.
Tiny synthetic datasets stand in for the real ones; only the ready case trains, one step."""

import pytest

from jetimages.tests.synthetic import write_whole
from jetlearn import setup_check
from jetlearn.robustness import SIMULATIONS, simulation_file


@pytest.fixture
def book(tmp_path, monkeypatch):
    """A book folder whose data/ holds a small, good copy of every dataset the chapters
    read, as the current folder, and plenty of free memory."""
    (tmp_path / "data").mkdir()
    for simulation in SIMULATIONS:
        write_whole(simulation_file(simulation, tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(setup_check, "free_memory_gb", lambda: 8.0)
    monkeypatch.setattr(setup_check, "TIMED_STEPS", 1)
    return tmp_path


def no_training(monkeypatch):
    monkeypatch.setattr(setup_check, "time_training_steps", lambda: None)


def test_ready_without_pythia(book, monkeypatch, capsys):
    # the students' install: no Pythia, which only chapter 10's live cells use
    monkeypatch.setattr(setup_check, "OPTIONAL", {"no_such_module": "pythia8mc"})
    assert setup_check.main() == 0
    output = capsys.readouterr().out
    assert "pythia8mc        not installed: fine" in output
    assert f"Dataset files in {book / 'data'}" in output
    assert "One training step of chapter 30's CNN" in output
    assert "for the three-hour plan" in output  # the step time comes with its yardstick
    assert output.rstrip().endswith("Verdict: ready.")


def test_a_slow_computer_is_pointed_to_workshop_mode(book, monkeypatch, capsys):
    monkeypatch.setattr(setup_check, "WORKSHOP_ABOVE_S", 0)
    setup_check.time_training_steps()
    assert "workshop mode" in capsys.readouterr().out


def test_a_missing_package_is_named_with_the_install_command(book, monkeypatch, capsys):
    monkeypatch.setitem(setup_check.REQUIRED, "no_such_module", "no-such-package")
    no_training(monkeypatch)
    assert setup_check.main() == 1
    output = capsys.readouterr().out
    assert "no-such-package  MISSING" in output
    verdict = output.split("Verdict: not ready. To do:")[1]
    assert "Install no-such-package." in verdict
    assert "pip install -e '.[student]' -c requirements.lock" in verdict
    # the later checks import the packages: skipped, and said so
    assert "Dataset files" not in output


def test_a_missing_and_a_damaged_file_each_say_what_to_do(book, monkeypatch, capsys):
    missing = simulation_file("vincia", book / "data")
    missing.unlink()
    damaged = simulation_file("fsr-alphas-up", book / "data")
    damaged.write_bytes(damaged.read_bytes()[:1000])  # a download cut short
    no_training(monkeypatch)
    assert setup_check.main() == 1
    output = capsys.readouterr().out
    assert f"{missing.name}: CANNOT BE READ" in output
    assert f"{damaged.name}: CANNOT BE READ" in output
    to_do = output.split("Verdict: not ready. To do:")[1].strip().splitlines()
    assert len(to_do) == 2
    assert to_do[0].startswith("1. no dataset at") and missing.name in to_do[0]
    assert "not a readable HDF5 file" in to_do[1] and damaged.name in to_do[1]
    assert all("git checkout -- data/" in line for line in to_do)


def test_too_little_memory_is_a_thing_to_do(book, monkeypatch, capsys):
    monkeypatch.setattr(setup_check, "free_memory_gb", lambda: 1.2)
    no_training(monkeypatch)
    assert setup_check.main() == 1
    assert "Only 1.2 GB of memory is free" in capsys.readouterr().out


def test_the_data_is_found_from_the_repository_or_the_book_folder(
    tmp_path, monkeypatch
):
    assert setup_check.book_folder(setup_check.BOOK) == setup_check.BOOK
    assert setup_check.book_folder(setup_check.BOOK.parent) == setup_check.BOOK
    (tmp_path / "data").mkdir()  # a handout folder, for one
    assert setup_check.book_folder(tmp_path) == tmp_path


PROJECT = """\
[project]
name = "book"
dependencies = ["numpy>=1.26,<3", "fastjet==3.5.2.0"]

[project.optional-dependencies]
student = ["torch==2.13.0  ", "myst-nb", "pandas[performance]>=2.1; python_version>='3.11'"]
authors = ["book[student]", "pytest>=8", "book [student, student]"]
"""


def test_an_extra_brings_the_dependencies_and_the_extras_it_names(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(PROJECT)
    dependencies = ["numpy>=1.26,<3", "fastjet==3.5.2.0"]
    student = dependencies + [
        "torch==2.13.0  ",
        "myst-nb",
        "pandas[performance]>=2.1; python_version>='3.11'",
    ]
    assert setup_check.declared_requirements(pyproject=pyproject) == dependencies
    assert setup_check.declared_requirements("student", pyproject) == student
    # `book[student]` is the students' set, once however often it is named
    assert setup_check.declared_requirements("authors", pyproject) == [
        *student,
        "pytest>=8",
    ]


def test_exact_pins_are_read_from_the_declared_requirements(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(PROJECT)
    requirements = setup_check.declared_requirements("student", pyproject)
    assert setup_check.pinned_distributions(requirements) == {
        "numpy": None,
        "fastjet": "3.5.2.0",
        "torch": "2.13.0",
        "myst-nb": None,
        "pandas": None,
    }


def test_the_check_reads_the_books_own_student_extra():
    pins = setup_check.pinned_distributions(
        setup_check.declared_requirements("student")
    )
    assert pins["torch"] == "2.13.0"
    assert "pythia8mc" not in pins  # the authors' alone
