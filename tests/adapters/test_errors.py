"""Every error an adapter raises on purpose lives in its package's `_errors.py`, is an
`rsm.ReusableError` (beside the builtin base it always had), and is public."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
from pathlib import Path
from types import ModuleType

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
    },
}
#: Errors that stand for what a framework raised, or a crashed child interpreter, not for a
#: refusal of ours: no `ReusableError` (crosscheck reports them as `failed`).
FOREIGN = {"reusable_savedmodel.adapters.crosscheck": {"ChildError", "ChildFailedError"}}
#: Internal to the converter (it reports them as `UnconvertibleError`): not exported.
INTERNAL = {"reusable_savedmodel.adapters.jax": {"UnsupportedGradientError", "XlaCallModuleError"}}


#: Imported only where Keras runs on JAX: importing it here would register its classes
#: in this TensorFlow-backend process (its errors module is read from the file instead).
PLUGIN = "reusable_savedmodel.adapters.keras_jax"
ADAPTERS = Path(__file__).resolve().parents[2] / "adapters"


def _errors_module(package: str) -> ModuleType:
    if package != PLUGIN:
        return importlib.import_module(f"{package}._errors")
    spec = importlib.util.spec_from_file_location(f"{package}._errors", ADAPTERS / "keras_jax" / "_errors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("package", sorted(ERRORS))
def test_each_error_class_is_in_errors_py_and_a_reusable_error(package):
    module = _errors_module(package)
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
    public = set(ERRORS[package]) - INTERNAL.get(package, set())
    if package == PLUGIN:  # read from the source: see PLUGIN
        tree = ast.parse((ADAPTERS / "keras_jax" / "__init__.py").read_text())
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == f"{package}._errors" for a in n.names}
        (exported,) = [ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "__all__"]
        assert public <= imported and public <= set(exported)
        return
    module = importlib.import_module(package)
    errors = importlib.import_module(f"{package}._errors")
    for name in public:
        assert name in module.__all__ and getattr(module, name) is getattr(errors, name), name


def test_no_error_class_is_defined_outside_errors_py():
    # Read from the source (no adapter imported): a class deriving from an error anywhere
    # but a package's _errors.py would be a second home for errors.
    found = []
    for path in sorted(ADAPTERS.rglob("*.py")):
        if path.name == "_errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            bases = [ast.unparse(base) for base in getattr(node, "bases", ())]
            if isinstance(node, ast.ClassDef) and any(b.endswith(("Error", "Exception")) for b in bases):
                found.append(f"{path.relative_to(ADAPTERS)}: {node.name}")
    assert found == []
