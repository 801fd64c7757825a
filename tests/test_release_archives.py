"""`ci/archive_members.py`, the release check's judge of what the wheel and sdist hold.

`make release-check` trusts it to fail on tests, benchmarks and caches in either archive and
on a module missing from the wheel; these build small archives by hand and hold it to that.
"""

from __future__ import annotations

import importlib.util
import io
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_SPEC = importlib.util.spec_from_file_location("archive_members", ROOT / "ci" / "archive_members.py")
assert _SPEC is not None and _SPEC.loader is not None
archive_members = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(archive_members)

#: Every module of the checkout at its place in the wheel, listed independently of the judge.
PACKAGE = sorted(
    f"reusable_savedmodel/{prefix}{path.relative_to(ROOT / folder).as_posix()}"
    for folder, prefix in (("toplevel", ""), ("interface", "interface/"), ("adapters", "adapters/"))
    for path in (ROOT / folder).rglob("*")
    if path.suffix in (".py", ".typed") and "__pycache__" not in path.parts
)
METADATA = ["reusable_savedmodel-1.0.dist-info/METADATA", "reusable_savedmodel-1.0.dist-info/RECORD"]
SDIST = ["pyproject.toml", "README.md", "LICENSE", "PKG-INFO", "interface/_piece.py"]


def _write(dist: Path, wheel: list[str], sdist: list[str]) -> Path:
    dist.mkdir()
    with zipfile.ZipFile(dist / "reusable_savedmodel-1.0-py3-none-any.whl", "w") as archive:
        for name in wheel:
            archive.writestr(name, "")
    with tarfile.open(dist / "reusable_savedmodel-1.0.tar.gz", "w:gz") as archive:
        for name in sdist:
            archive.addfile(tarfile.TarInfo(f"reusable_savedmodel-1.0/{name}"), io.BytesIO(b""))
    return dist


def test_the_package_and_its_metadata_pass(tmp_path):
    dist = _write(tmp_path / "dist", PACKAGE + METADATA, SDIST)
    assert archive_members.problems(dist, ROOT) == []
    assert archive_members.main([str(dist)]) == 0


def test_tests_benchmarks_and_caches_are_named(tmp_path):
    extra_wheel = ["reusable_savedmodel/interface/__pycache__/piece.cpython-311.pyc", "tests/test_x.py"]
    extra_sdist = ["tests/test_layout.py", "benchmarks/results/latest.json", "build/lib/x.py", "adapters/x.pyc"]
    dist = _write(tmp_path / "dist", PACKAGE + METADATA + extra_wheel, SDIST + extra_sdist)
    found = archive_members.problems(dist, ROOT)
    named = sorted(line.rsplit(" ", 1)[1] for line in found)
    assert named == sorted(extra_wheel + extra_sdist)
    assert archive_members.main([str(dist)]) == 1


def test_a_module_missing_from_the_wheel_is_named(tmp_path):
    missing = "reusable_savedmodel/interface/_piece.py"
    dist = _write(tmp_path / "dist", [n for n in PACKAGE if n != missing] + METADATA, SDIST)
    assert archive_members.problems(dist, ROOT) == [
        f"reusable_savedmodel-1.0-py3-none-any.whl: lacks {missing}"
    ]


def test_a_module_the_source_tree_lacks_is_named(tmp_path):
    # What a wheel built straight from a checkout packs from a stale build/lib: a module renamed since.
    stale = "reusable_savedmodel/adapters/jax/compat.py"
    assert stale not in PACKAGE
    dist = _write(tmp_path / "dist", PACKAGE + METADATA + [stale], SDIST)
    assert archive_members.problems(dist, ROOT) == [
        f"reusable_savedmodel-1.0-py3-none-any.whl: ships {stale}, not in the source tree"
    ]


def test_two_wheels_are_refused(tmp_path):
    dist = _write(tmp_path / "dist", PACKAGE, SDIST)
    (dist / "other-1.0-py3-none-any.whl").write_bytes((dist / "reusable_savedmodel-1.0-py3-none-any.whl").read_bytes())
    assert archive_members.problems(dist, ROOT)[0].startswith("expected one wheel and one sdist")
