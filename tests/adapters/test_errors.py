"""Every error an adapter raises on purpose lives in its package's `errors.py`, is an
`rsm.ReusableError` (beside the builtin base it always had), and is public."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

from reusable_savedmodel import interface as rsm

#: Package -> {error: the builtin base callers may already catch it by}.
ERRORS = {
    "reusable_savedmodel.adapters.jax": {
        "NoTraceError": TypeError,
        "RngRequiredError": ValueError,
        "MissingVariablesError": KeyError,
        "X64RequiredError": TypeError,
        "UnconvertibleError": ValueError,
        "UnsupportedGradientError": ValueError,
        "XlaCallModuleError": ValueError,
    },
    "reusable_savedmodel.adapters.keras": {"UnsupportedBackendError": RuntimeError},
    "reusable_savedmodel.adapters.keras_jax": {"StalePieceError": RuntimeError},
    "reusable_savedmodel.adapters.crosscheck": {
        "UnknownConsumerError": ValueError,
        "KerasBackendError": RuntimeError,
        "SavedModelOnlyError": TypeError,
        "ChildFailedError": RuntimeError,
    },
}
#: Errors that stand for what a framework raised, not for one of ours: no `ReusableError`.
FOREIGN = {"reusable_savedmodel.adapters.crosscheck": {"ChildError"}}
#: Internal to the converter (it reports them as `UnconvertibleError`): not exported.
INTERNAL = {"reusable_savedmodel.adapters.jax": {"UnsupportedGradientError", "XlaCallModuleError"}}


@pytest.mark.parametrize("package", sorted(ERRORS))
def test_each_error_class_is_in_errors_py_and_a_reusable_error(package):
    module = importlib.import_module(f"{package}.errors")
    defined = {
        name
        for name, value in vars(module).items()
        if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == module.__name__
    }
    assert defined == set(ERRORS[package]) | FOREIGN.get(package, set())
    for name, builtin in ERRORS[package].items():
        kind = getattr(module, name)
        assert issubclass(kind, rsm.ReusableError) and issubclass(kind, builtin), name
    for name in FOREIGN.get(package, ()):
        assert not issubclass(getattr(module, name), rsm.ReusableError), name


@pytest.mark.parametrize("package", sorted(ERRORS))
def test_public_errors_are_exported_by_the_package(package):
    module = importlib.import_module(package)
    errors = importlib.import_module(f"{package}.errors")
    for name in set(ERRORS[package]) - INTERNAL.get(package, set()):
        assert name in module.__all__ and getattr(module, name) is getattr(errors, name), name


def test_no_error_class_is_defined_outside_errors_py():
    # Read from the source (no adapter imported): a class deriving from an error anywhere
    # but a package's errors.py would be a second home for errors.
    adapters = Path(__file__).resolve().parents[2] / "adapters"
    found = []
    for path in sorted(adapters.rglob("*.py")):
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            bases = [ast.unparse(base) for base in getattr(node, "bases", ())]
            if isinstance(node, ast.ClassDef) and any(b.endswith(("Error", "Exception")) for b in bases):
                found.append(f"{path.relative_to(adapters)}: {node.name}")
    assert found == []
