"""TensorFlow's private APIs (interface/_compat.py) still exist, and a missing one is named.

Also: no project module outside the compat modules reaches a private framework API
(`keras.src`, `tensorflow.python`, or a private attribute a compat module uses).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from reusable_savedmodel.interface import _compat as compat

ROOT = Path(__file__).resolve().parents[2]
COMPAT_MODULES = sorted(p for top in ("interface", "adapters") for p in (ROOT / top).rglob("_compat.py"))
PRIVATE_PATHS = re.compile(r"\bkeras\.src\b|\btensorflow\.python\b")


@pytest.mark.parametrize(("module", "name"), compat.PRIVATE_SYMBOLS, ids=".".join)
def test_private_symbol_resolves(module, name):
    # `private_symbol` raises an ImportError naming the symbol when a release moved it.
    value = compat.private_symbol(module, name, framework="TensorFlow", version=tf.__version__)
    assert callable(value), f"{module}.{name} is no longer callable"


def test_a_missing_symbol_fails_naming_it():
    with pytest.raises(ImportError, match=r"tensorflow\.python\.no_such_module\.get.*TensorFlow 9\.9"):
        compat.private_symbol("tensorflow.python.no_such_module", "get", framework="TensorFlow", version="9.9")
    with pytest.raises(ImportError, match=r"tensorflow\.python\.framework\.op_def_registry\.no_such_name"):
        compat.private_symbol(
            "tensorflow.python.framework.op_def_registry", "no_such_name", framework="TensorFlow", version="9.9"
        )


def test_private_methods_behave():
    """`_list_all_concrete_functions` and `_call_flat`, checked against the public calls."""
    double = tf.function(lambda x: 2.0 * x)
    x = tf.constant([1.0, 2.0])
    traced = double.get_concrete_function(tf.TensorSpec([None], tf.float32))
    assert traced in compat.all_concrete_functions(double)
    np.testing.assert_array_equal(compat.call_concrete_flat(traced, [x]).numpy(), [2.0, 4.0])
    assert compat.is_registered_op("MatMul") and not compat.is_registered_op("NoSuchOpAnywhere")


def _private_names(path: Path) -> set[str]:
    """Private attribute names a compat module touches or lists (`_call_flat`, ...)."""
    tree = ast.parse(path.read_text())
    names = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
        and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
    }
    names |= {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"_[A-Za-z][A-Za-z0-9_]*", node.value)
    }
    return names


PRIVATE_NAMES = set().union(*map(_private_names, COMPAT_MODULES))


def _overrides(tree: ast.AST) -> dict[ast.AST, str]:
    """Each node inside a method -> the method's name (an override may call `super()`'s)."""
    owner = {}
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(function):
                owner[node] = function.name
    return owner


def private_uses(path: Path) -> list[str]:
    """Where a module outside the compat modules uses a private framework API.

    Overriding a private method (and calling `super()`'s in it) is allowed: the compat
    module lists the name and its test checks the framework still has it.
    """
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    text = path.read_text()
    found = [
        f"{where}:{number}: {match.group()}"
        for number, line in enumerate(text.splitlines(), start=1)
        if (match := PRIVATE_PATHS.search(line))
    ]
    tree = ast.parse(text)
    owner = _overrides(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            name = node.attr
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            name = node.value
        else:
            continue
        if name in PRIVATE_NAMES and owner.get(node) != name:
            found.append(f"{where}:{node.lineno}: {name}")
    return found


def test_the_compat_modules_list_what_they_use():
    assert {p.relative_to(ROOT).as_posix() for p in COMPAT_MODULES} >= {
        "interface/_compat.py",
        "adapters/keras/_compat.py",
        "adapters/sonnet/_compat.py",
    }
    assert {"_list_all_concrete_functions", "_call_flat", "_get_own_losses", "_TF_MODULE_IGNORED_PROPERTIES"} <= PRIVATE_NAMES


def test_no_module_outside_compat_uses_a_private_api():
    modules = [p for top in ("interface", "adapters") for p in (ROOT / top).rglob("*.py") if p.name != "_compat.py"]
    found = [use for path in modules for use in private_uses(path)]
    assert not found, "private framework APIs outside the compat modules:\n" + "\n".join(found)


def test_a_private_use_is_caught(tmp_path):
    module = tmp_path / "user.py"
    module.write_text(
        "from tensorflow.python.framework import ops\n"
        "def f(fn):\n    return fn._list_all_concrete_functions()\n"
        "class L:\n    def _get_own_losses(self):\n        return super()._get_own_losses()\n"
    )
    assert private_uses(module) == ["user.py:1: tensorflow.python", "user.py:3: _list_all_concrete_functions"]
