"""The release smoke test: run by a clean virtualenv's Python on the installed wheel or sdist.

`ci/release_check.sh` runs it from outside the checkout, so the import must come from the
installed distribution. It exports the bundled `mlp` example, runs `rsm --version`,
`rsm inspect` and `rsm check` on it, then loads it with `rsm.load` and compares the call with
the raw `tf.saved_model.load` object's output (the independent truth). Exits non-zero on any
difference.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import numpy as np


def rsm_command(*args: str) -> str:
    """Runs this virtualenv's `rsm` console script; returns its output, raising on failure."""
    script = Path(sys.executable).with_name("rsm")
    done = subprocess.run([str(script), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"rsm {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return done.stdout


def main() -> None:
    import tensorflow as tf

    import reusable_savedmodel as rsm
    from reusable_savedmodel.adapters import examples

    installed = Path(rsm.__file__).resolve()
    if Path(sys.prefix).resolve() not in installed.parents:
        raise SystemExit(f"reusable_savedmodel came from {installed}, not from {sys.prefix}")
    version = metadata.version("reusable-savedmodel")
    if rsm.__version__ != version:
        raise SystemExit(f"rsm.__version__ is {rsm.__version__}, the metadata says {version}")
    if version not in rsm_command("--version"):
        raise SystemExit(f"rsm --version does not print {version}")

    with tempfile.TemporaryDirectory() as workdir:
        handle = str(examples.export("mlp", f"{workdir}/mlp"))
        inspected = rsm_command("inspect", handle)
        check = rsm_command("check", handle)
        x = examples.example_inputs("mlp")
        got = rsm.load(handle)(x, training=False)
        want = tf.saved_model.load(handle)(tf.constant(x), training=False)
        np.testing.assert_allclose(np.asarray(got), want.numpy(), rtol=1e-6, atol=1e-6)
    print(f"smoke test: reusable-savedmodel {version} from {installed.parent}")
    print(f"rsm inspect: {len(inspected.splitlines())} lines; rsm check: {check.strip().splitlines()[-1]}")
    print(f"rsm.load(mlp)(x) matches the raw SavedModel: output shape {np.shape(got)}")


if __name__ == "__main__":
    main()
