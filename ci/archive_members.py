"""Checks the built wheel and sdist hold the package and nothing else (`ci/release_check.sh`).

Usage: `python ci/archive_members.py DIST_DIR`. Exits 1, listing every offending member, when
either archive holds tests, benchmarks, caches or build leftovers, or when the wheel lacks a
module of the source tree or a `py.typed` marker (a subpackage missing from pyproject's
`packages` list would otherwise ship a wheel that fails on import), or holds a module the
source tree lacks (a wheel built straight from a checkout packs whatever a stale `build/lib`
still holds, such as modules renamed since).
"""

from __future__ import annotations

import re
import sys
import tarfile
import zipfile
from pathlib import Path

#: Source folder -> its import path inside the wheel (pyproject's `package-dir`).
SOURCE_ROOTS = {
    "toplevel": "reusable_savedmodel",
    "interface": "reusable_savedmodel/interface",
    "adapters": "reusable_savedmodel/adapters",
}

#: A path component (or file suffix) no release archive may hold.
FORBIDDEN = re.compile(
    r"(^|/)(tests?|benchmarks|__pycache__|build|dist|docs|ci|\.ci|\.venv|venv|\.nox|\.git"
    r"|\.pytest_cache|\.ruff_cache|\.mypy_cache|site)(/|$)"
    r"|\.py[cod]$|\.so$|\.egg$|(^|/)\.DS_Store$"
)


def wheel_members(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def sdist_members(path: Path) -> list[str]:
    """Member paths below the sdist's top folder (`name-version/`)."""
    with tarfile.open(path) as archive:
        names = archive.getnames()
    return [name.split("/", 1)[1] for name in names if "/" in name]


def forbidden(members: list[str]) -> list[str]:
    return [name for name in members if FORBIDDEN.search(name)]


def expected_wheel_files(checkout: Path) -> set[str]:
    """Every module and `py.typed` of the source tree, at its path inside the wheel."""
    expected = set()
    for folder, package in SOURCE_ROOTS.items():
        for path in (checkout / folder).rglob("*"):
            relative = path.relative_to(checkout / folder)
            if "__pycache__" in relative.parts or path.suffix not in (".py", ".typed"):
                continue
            expected.add(f"{package}/{relative.as_posix()}")
    return expected


def problems(dist: Path, checkout: Path) -> list[str]:
    """What is wrong with the one wheel and one sdist in `dist` (empty when all is well)."""
    wheels, sdists = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        return [f"expected one wheel and one sdist in {dist}, found {wheels + sdists}"]
    found = []
    for archive, members in ((wheels[0], wheel_members(wheels[0])), (sdists[0], sdist_members(sdists[0]))):
        found += [f"{archive.name}: must not ship {name}" for name in forbidden(members)]
    expected = expected_wheel_files(checkout)
    shipped = {
        name for name in wheel_members(wheels[0]) if name.startswith("reusable_savedmodel/") and not FORBIDDEN.search(name)
    }
    found += [f"{wheels[0].name}: lacks {name}" for name in sorted(expected - shipped)]
    found += [f"{wheels[0].name}: ships {name}, not in the source tree" for name in sorted(shipped - expected)]
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    found = problems(Path(argv[0]), Path(__file__).resolve().parent.parent)
    for line in found:
        print(line, file=sys.stderr)
    if not found:
        print(f"archive members: {argv[0]} holds the package, its metadata and nothing else")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
