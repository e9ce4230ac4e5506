"""pyproject.toml declares what the book needs, requirements.lock fixes the versions it was
tested with, and every install takes the lock as its constraints. So every pin and floor that
pyproject.toml declares must hold for the locked version (else that install cannot resolve, or a
floor claims more than was tested), and every package of the students' and the authors' sets
must be in the lock (else its version is left to the day of the install).

The `reference` extra is outside the lock for now (pyproject.toml says why): its packages that
the lock holds must still meet their declared versions. Only the two files are read."""

import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from jetlearn.setup_check import PYPROJECT, declared_requirements

LOCK = PYPROJECT.parent / "requirements.lock"
EXTRAS = sorted(
    tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"]
)
# what `make lock` installs and writes down: the authors' set, which holds the students'
LOCKED = [None, "student", "authors"]


def locked_versions() -> dict[str, Version]:
    versions = {}
    for line in LOCK.read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        name, equals, version = line.partition("==")
        assert equals, f"{LOCK.name}: not a name==version line: {line!r}"
        versions[canonicalize_name(name)] = Version(version)
    return versions


def requirements(extra: str | None) -> list[Requirement]:
    """What `pip install -e '.[extra]'` asks for on this machine (markers evaluated)."""
    declared = [Requirement(line) for line in declared_requirements(extra)]
    return [r for r in declared if r.marker is None or r.marker.evaluate()]


def test_the_lock_names_each_package_once():
    lines = [line for line in LOCK.read_text().splitlines() if "==" in line]
    assert len(lines) == len(locked_versions())


@pytest.mark.parametrize("extra", [None, *EXTRAS])
def test_the_locked_versions_meet_every_declared_pin_and_floor(extra):
    locked = locked_versions()
    unmet = [
        f"{requirement} (locked: {locked[name]})"
        for requirement in requirements(extra)
        if (name := canonicalize_name(requirement.name)) in locked
        and not requirement.specifier.contains(locked[name], prereleases=True)
    ]
    assert not unmet, f"pyproject.toml asks for what {LOCK.name} does not hold: {unmet}"


@pytest.mark.parametrize("extra", LOCKED)
def test_every_declared_package_is_locked(extra):
    locked = locked_versions()
    missing = sorted(
        requirement.name
        for requirement in requirements(extra)
        if canonicalize_name(requirement.name) not in locked
    )
    assert not missing, f"declared but not in {LOCK.name}: {missing}; run `make lock`"


@pytest.mark.parametrize("extra", [None, *EXTRAS])
def test_each_package_is_declared_once_per_install(extra):
    # one place for each pin: a second declaration could only disagree with the first
    names = [canonicalize_name(r.name) for r in requirements(extra)]
    assert len(names) == len(set(names)), sorted(
        {name for name in names if names.count(name) > 1}
    )
