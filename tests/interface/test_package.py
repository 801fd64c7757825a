"""The core package: cheap to import, every public name resolves to what it names."""

import importlib
import pkgutil
import subprocess
import sys
import types

import reusable_savedmodel.interface as rsm


def test_importing_the_package_imports_no_tensorflow():
    probe = "import sys, reusable_savedmodel.interface as rsm; print('tensorflow' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr[-2000:]


def test_no_submodule_hides_a_public_name():
    # Importing a submodule binds its name on the package: a module named like a public
    # function would replace the function for everyone who imports the package afterwards.
    for module in pkgutil.walk_packages(rsm.__path__, prefix=f"{rsm.__name__}."):
        importlib.import_module(module.name)
    for name in rsm.__all__:
        assert not isinstance(getattr(rsm, name), types.ModuleType), name
    assert callable(rsm.check) and callable(rsm.load) and callable(rsm.save)
