"""Optional extras stay optional: with no framework installed (only TensorFlow, as
`pip install reusable-savedmodel` gives), `rsm inspect/check/scan/fetch` work and each
adapter's import is a `MissingExtraError` naming the extra to install.

The child interpreter makes the frameworks uninstallable by a `sys.meta_path` finder that
refuses them, as a bare environment would (ModuleNotFoundError)."""

from __future__ import annotations

import json
import os
import sys

from fixtures import bounded

_CHILD = r"""
import importlib, importlib.machinery, json, sys

BLOCKED = {"keras", "tf_keras", "tensorflow_hub", "sonnet", "jax", "jaxlib", "flax", "optax", "tf2jax"}


class Uninstalled:
    # Stands for a bare environment: importing a framework fails as if it were not there.
    # The spec has no origin, which is how TensorFlow's probes (find_spec) see "absent".
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            return importlib.machinery.ModuleSpec(name, self)
        return None

    def create_module(self, spec):
        raise ModuleNotFoundError(f"No module named {spec.name!r}", name=spec.name)

    def exec_module(self, module):
        raise AssertionError("create_module always raises")


sys.meta_path.insert(0, Uninstalled())

import reusable_savedmodel as rsm
from reusable_savedmodel.adapters import cli

adapters = {}
for adapter in ["keras", "sonnet", "jax", "flax", "keras_jax"]:
    try:
        importlib.import_module(f"reusable_savedmodel.adapters.{adapter}")
        adapters[adapter] = None
    except Exception as error:
        adapters[adapter] = [type(error).__name__, isinstance(error, (rsm.ReusableError, ImportError)), str(error)]

commands = {}
for argv in json.loads(sys.argv[1]):
    commands[argv[0]] = cli.main(argv)
print(json.dumps({
    "adapters": adapters,
    "commands": commands,
    "imported": sorted({name.split(".")[0] for name in sys.modules} & BLOCKED),
}))
"""

#: Each adapter and the extra its error must name.
EXTRAS = {"keras": "keras", "sonnet": "sonnet", "jax": "jax", "flax": "jax", "keras_jax": "keras,jax"}


def test_without_extras_the_cli_works_and_adapters_name_their_extra(tmp_path, zoo_path, mul_tgz):
    archive = tmp_path / "mul.tar.gz"
    archive.write_bytes(mul_tgz)
    model = zoo_path("mlp")
    argvs = [["inspect", model], ["check", model], ["scan", model], ["fetch", str(archive)]]
    done = bounded.run(
        [sys.executable, "-c", _CHILD, json.dumps(argvs)],
        capture_output=True, text=True, cpu_s=1200,
        env={**os.environ, "RSM_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.splitlines()[-1])

    assert answer["imported"] == []  # nothing reached a framework
    assert answer["commands"] == {"inspect": 0, "check": 0, "scan": 0, "fetch": 0}, done.stdout
    assert (tmp_path / "cache").is_dir() and any((tmp_path / "cache").iterdir())
    for adapter, extra in EXTRAS.items():
        kind, typed, message = answer["adapters"][adapter]
        assert (kind, typed) == ("MissingExtraError", True), (adapter, message)
        assert f"pip install 'reusable-savedmodel[{extra}]'" in message, message
        assert "No module named" in message, message  # what failed, not only what to do
