"""The JAX adapter's TF-free half runs where TensorFlow cannot be imported at all.

The accelerator host has JAX but no TensorFlow: a child interpreter refuses every import of
TensorFlow (and tf2jax) through a `sys.meta_path` finder, imports each module of
`adapters.jax.runtime` and `adapters.jax.errors`, loads a `JaxPiece` saved by `to_jax`
and runs it; its outputs and gradients must be the raw `tf.saved_model.load` object's,
computed here with TensorFlow.
"""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import tensorflow as tf

from fixtures import bounded, models
from reusable_savedmodel.adapters.jax import to_jax
from reusable_savedmodel.adapters.jax.conversion._convert import variable_paths

CHILD = textwrap.dedent(
    """
    import importlib, pkgutil, sys

    class NoTensorFlow:
        \"\"\"Refuses TensorFlow and tf2jax, as on a host where they are not installed.\"\"\"

        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in {"tensorflow", "tf2jax", "tf_keras", "tensorflow_hub"}:
                raise ImportError(f"{name}: blocked (this host has no TensorFlow)")
            return None

    sys.meta_path.insert(0, NoTensorFlow())
    import jax, numpy as np
    from reusable_savedmodel.adapters.jax import runtime
    for module in pkgutil.iter_modules(runtime.__path__):
        importlib.import_module(f"{runtime.__name__}.{module.name}")
    from reusable_savedmodel.adapters.jax._errors import NoTraceError
    from reusable_savedmodel.adapters.jax.runtime import load_jax_piece

    work = sys.argv[1]
    jp = load_jax_piece(f"{work}/piece")
    x = np.load(f"{work}/x.npy")
    loss = lambda params: jp.apply(params, jp.state, x)[0].sum()
    outputs = jax.jit(lambda p, s, x: jp.apply(p, s, x)[0])(jp.params, jp.state, x)
    np.savez(f"{work}/got.npz", outputs=np.asarray(outputs), **{f"grad/{k}": np.asarray(v) for k, v in jax.grad(loss)(jp.params).items()})
    try:  # the converter is the other half: it needs TensorFlow
        from reusable_savedmodel.adapters.jax import to_jax
    except ImportError as error:
        assert "blocked" in str(error), error
    else:
        raise AssertionError("to_jax imported without TensorFlow")
    try:
        jp.apply(jp.params, jp.state, np.ones((2, 7), np.float32))
    except NoTraceError:
        pass
    assert not any(m.partition(".")[0] in {"tensorflow", "tf2jax"} for m in sys.modules)
    print("ok")
    """
)


def test_a_saved_piece_loads_and_runs_with_tensorflow_blocked(zoo_path, tmp_path):
    to_jax(zoo_path("mlp")).save(tmp_path / "piece", platforms=("cpu",))
    x = models.example_inputs("mlp", batch=5)
    np.save(tmp_path / "x.npy", x)
    raw = tf.saved_model.load(zoo_path("mlp"))
    with tf.GradientTape() as tape:
        want = raw(tf.constant(x))
        total = tf.reduce_sum(want)
    trainable = list(raw.trainable_variables)
    path_of = dict(zip(map(id, raw.variables), variable_paths(list(raw.variables))))  # as to_jax names them
    want_grads = dict(zip((path_of[id(v)] for v in trainable), tape.gradient(total, trainable)))

    child = bounded.run([sys.executable, "-c", CHILD, str(tmp_path)], capture_output=True, text=True, cpu_s=600)
    assert child.returncode == 0 and child.stdout.strip().endswith("ok"), child.stderr[-3000:]
    with np.load(tmp_path / "got.npz") as got:
        np.testing.assert_allclose(got["outputs"], want.numpy(), rtol=1e-5, atol=1e-6)
        assert {k.removeprefix("grad/") for k in got.files if k.startswith("grad/")} == set(want_grads)
        for path, grad in want_grads.items():
            np.testing.assert_allclose(got[f"grad/{path}"], grad.numpy(), rtol=1e-5, atol=1e-6)
