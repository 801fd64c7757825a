"""The core package and the top-level one: cheap to import, every public name resolves to
what it names, one version."""

import importlib
import importlib.metadata
import pkgutil
import sys
import types

import pytest

import reusable_savedmodel
import reusable_savedmodel.interface as rsm
from fixtures import bounded


@pytest.mark.parametrize("package", ["reusable_savedmodel", "reusable_savedmodel.interface"])
def test_importing_the_package_imports_no_tensorflow(package):
    probe = f"import sys, {package}; print('tensorflow' in sys.modules)"
    done = bounded.run([sys.executable, "-c", probe], capture_output=True, text=True, cpu_s=240)
    assert done.stdout.strip() == "False", done.stderr[-2000:]


def test_the_top_level_package_has_the_cores_names():
    # `import reusable_savedmodel as rsm; rsm.load(...)` is the same as the interface's.
    for name in rsm.__all__:
        assert getattr(reusable_savedmodel, name) is getattr(rsm, name), name
    assert set(reusable_savedmodel.__all__) == {*rsm.__all__, "__version__"}
    assert set(reusable_savedmodel.__all__) <= set(dir(reusable_savedmodel))
    with pytest.raises(AttributeError, match="has no attribute 'lode'"):
        reusable_savedmodel.lode  # noqa: B018


def test_the_version_is_the_installed_distributions():
    # pyproject.toml reads it from reusable_savedmodel/_version.py: one place to change.
    assert reusable_savedmodel.__version__ == importlib.metadata.version("reusable-savedmodel")


def test_no_submodule_hides_a_public_name():
    # Importing a submodule binds its name on the package: a module named like a public
    # function would replace the function for everyone who imports the package afterwards.
    for module in pkgutil.walk_packages(rsm.__path__, prefix=f"{rsm.__name__}."):
        importlib.import_module(module.name)
    for name in rsm.__all__:
        assert not isinstance(getattr(rsm, name), types.ModuleType), name
    assert callable(rsm.check) and callable(rsm.load) and callable(rsm.save)
