"""Other libraries' private APIs are reached from `_compat.py` modules only.

Version differences between TensorFlow, Keras, JAX, Flax, Sonnet and tf2jax releases land
where the private APIs are: one `_compat.py` per package, each with tests naming the versions
it covers. Elsewhere a private module import or another object's private member is a defect.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIRS = ("toplevel", "interface", "adapters")
#: Private module trees of the frameworks (beyond any dotted name with a `_`-led part).
#: `tensorflow.core.*_pb2` is not among them: those are the published protocol buffers.
PRIVATE_TREES = ("tensorflow.python", "keras.src", "tf_keras.src")
OUR_PACKAGE = "reusable_savedmodel"


def _package_files() -> list[Path]:
    return sorted(p for d in PACKAGE_DIRS for p in (ROOT / d).rglob("*.py"))


def is_private_framework_module(name: str) -> bool:
    """Whether `name` is a module another distribution keeps private."""
    if name.split(".")[0] == OUR_PACKAGE or name == "__future__":
        return False
    parts = name.split(".")
    return name.startswith(PRIVATE_TREES) or any(p.startswith("_") for p in parts[1:])


def private_imports(source: str) -> list[str]:
    """The private framework modules that `source` imports (absolute imports only)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if is_private_framework_module(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if is_private_framework_module(node.module):
                found.append(node.module)
            else:
                found += [f"{node.module}.{a.name}" for a in node.names if is_private_framework_module(f"{node.module}.{a.name}")]
    return found


def test_the_rule_sees_private_imports():
    source = "import jax._src.core\nfrom tensorflow.python.ops import array_ops\nfrom keras import src\nimport jax\n"
    assert private_imports(source) == ["jax._src.core", "tensorflow.python.ops", "keras.src"]
    assert private_imports("from reusable_savedmodel._version import v\nimport tensorflow as tf\n") == []


def test_private_framework_modules_are_imported_in_compat_modules_only():
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in _package_files()
        if path.name != "_compat.py" and (found := private_imports(path.read_text()))
    }
    assert offenders == {}, f"move these imports into the package's _compat.py: {offenders}"


def test_private_members_are_used_in_compat_modules_only():
    # ruff's SLF001 (pyproject.toml: every file but _compat.py, tests and benchmarks).
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "SLF001", "--output-format", "concise", *PACKAGE_DIRS],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
