"""Producer: Keras 3 on the JAX backend, exported with `from_keras`, built in a child interpreter.

The child (`conformance.keras_jax_child produce`) builds every requested kind with Keras
on JAX, saves each export and computes its truth with JAX; only the saved models and the
truths come back, so the model has no in-process form here.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from conformance import architecture as arch
from conformance.keras_jax import run_child
from conformance.produced import Produced


def build_kinds(kinds: Sequence[str]) -> dict[str, Produced]:
    """Builds the models of `kinds` in one Keras-on-JAX child; `save` copies its export."""
    # Kept alive by the `save` closures; removed with the last of them.
    directory = tempfile.TemporaryDirectory(prefix="rsm-keras-jax-")
    truths = run_child("produce", {"kinds": list(kinds)}, Path(directory.name))

    def saver(kind: str):
        return lambda path: shutil.copytree(Path(directory.name) / kind, path)

    return {
        kind: Produced(in_process=None, save=saver(kind), truth=truths[kind], inputs=arch.inputs(kind))
        for kind in kinds
    }

