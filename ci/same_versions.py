"""Fails unless every package pinned in a requirements file is installed at its pinned version.

`nox -s oldest` runs it after installing the project into the oldest set, to prove the
install kept a user's framework versions. Usage: `python ci/same_versions.py PINS_FILE`.
"""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement


def moved(pins_file: Path) -> list[str]:
    """One line for each `name==version` pin of `pins_file` that is not what is installed."""
    lines = []
    for line in pins_file.read_text().splitlines():
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        requirement = Requirement(text)
        try:
            installed = version(requirement.name)
        except PackageNotFoundError:
            installed = "not installed"
        if installed not in requirement.specifier:
            lines.append(f"{requirement.name}: pinned {requirement.specifier}, installed {installed}")
    return lines


if __name__ == "__main__":
    changed = moved(Path(sys.argv[1]))
    print("\n".join(changed) or f"every pin of {sys.argv[1]} kept")
    sys.exit(1 if changed else 0)
