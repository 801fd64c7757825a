"""The lower bounds pyproject.toml declares are the versions CI's oldest sets test.

`nox` (noxfile.py) installs ci/oldest.txt and ci/oldest-jax.txt, compiled from the .in files
checked here: every declared floor must be what those sets pin (a floor raised or lowered
without the oldest set following would be untested), and each lock must hold its pins.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
#: What pyproject.toml declares, as the installed distribution's metadata says it.
DECLARED = [Requirement(text) for text in importlib.metadata.requires("reusable-savedmodel")]

#: Each oldest set and the extras it installs (noxfile.py).
SETS = {"ci/oldest.in": ("keras", "sonnet", "hf"), "ci/oldest-jax.in": ("keras", "sonnet", "jax", "hf")}


def _requirements(path: Path) -> dict[str, Requirement]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    found = (Requirement(line) for line in lines if line)
    return {canonicalize_name(r.name): r for r in found}


def _floors(extras: tuple[str, ...]) -> dict[str, Version]:
    """The highest `>=` bound on each package, over the dependencies and `extras`."""
    floors: dict[str, Version] = {}
    for requirement in DECLARED:
        marker = requirement.marker
        if marker is not None and not any(marker.evaluate({"extra": extra}) for extra in extras):
            continue
        for spec in requirement.specifier:
            if spec.operator == ">=":
                name = canonicalize_name(requirement.name)
                floors[name] = max(floors.get(name, Version(spec.version)), Version(spec.version))
    return floors


@pytest.mark.parametrize("oldest", sorted(SETS))
def test_each_declared_floor_is_what_the_oldest_set_pins(oldest):
    pins = _requirements(ROOT / oldest)
    for name, floor in _floors(SETS[oldest]).items():
        assert name in pins, f"{oldest} does not pin {name} (floor {floor})"
        (spec,) = pins[name].specifier
        assert spec.operator in ("==", ">=") and Version(spec.version) == floor, (oldest, name, str(spec), floor)


@pytest.mark.parametrize("oldest", sorted(SETS))
def test_each_lock_holds_its_sets_pins(oldest):
    locked = {name: Version(str(r.specifier).removeprefix("==")) for name, r in _requirements(ROOT / oldest.replace(".in", ".txt")).items()}
    for name, requirement in _requirements(ROOT / oldest).items():
        assert locked[name] in requirement.specifier, (oldest, name, locked[name])
