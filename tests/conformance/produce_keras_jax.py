"""Producer: Keras 3 on the JAX backend, exported with `from_keras`, built in a child interpreter.

The child (`conformance.keras_jax_child`, with `KERAS_BACKEND=jax`) builds every requested
kind, saves each export and computes its truth with JAX; only the saved models and the
truths come back, so the model has no in-process form here.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from conformance import architecture as arch
from conformance.produced import Produced
from reusable_savedmodel.adapters.crosscheck._child import run_module

#: The directory holding the `conformance` package, put on the child's PYTHONPATH.
_TESTS = Path(__file__).resolve().parents[1]


def build_kinds(kinds: Sequence[str]) -> dict[str, Produced]:
    """Builds the models of `kinds` in one Keras-on-JAX child; `save` copies its export."""
    # Kept alive by the `save` closures; removed with the last of them.
    directory = tempfile.TemporaryDirectory(prefix="rsm-keras-jax-")
    env = {"KERAS_BACKEND": "jax", "PYTHONPATH": os.pathsep.join([str(_TESTS), os.environ.get("PYTHONPATH", "")])}
    truths = run_module("conformance.keras_jax_child", (), {"kinds": list(kinds)}, Path(directory.name), env=env)

    def saver(kind: str):
        return lambda path: shutil.copytree(Path(directory.name) / kind, path)

    return {
        kind: Produced(in_process=None, save=saver(kind), truth=truths[kind], inputs=arch.inputs(kind))
        for kind in kinds
    }
