"""JaxPiece serialized with jax.export and loaded back in a process without TensorFlow."""

import subprocess
import sys
import textwrap

import jax

from fixtures import models
from fixtures.tolerances import assert_close
from reusable_savedmodel.adapters.jax import load_jax_piece, to_jax

X = models.example_inputs("mlp", batch=8)


def test_save_and_load_matches_the_converted_piece(zoo_path, tmp_path):
    jp = to_jax(zoo_path("mlp"))
    jp.save(tmp_path / "mlp", platforms=("cpu",))
    loaded = load_jax_piece(tmp_path / "mlp")
    assert loaded.keys == jp.keys
    assert_close(loaded(X), jp(X))
    assert_close(loaded(X, return_hidden=True)["hidden"], jp(X, return_hidden=True)["hidden"])
    key = jax.random.key(3)
    a = loaded.apply(loaded.params, loaded.state, X, training=True, rng=key, dropout_rate=0.3)
    b = jp.apply(jp.params, jp.state, X, training=True, rng=key, dropout_rate=0.3)
    jax.tree_util.tree_map(lambda u, v: assert_close(u, v), a, b)
    grad = lambda p: jax.grad(lambda q: p.apply(q, p.state, X)[0].sum() + p.regularization_loss(q))(p.params)  # noqa: E731
    jax.tree_util.tree_map(lambda u, v: assert_close(u, v), grad(loaded), grad(jp))


def test_loads_without_tensorflow(zoo_path, tmp_path):
    to_jax(zoo_path("mlp")).save(tmp_path / "mlp", platforms=("cpu",))
    script = textwrap.dedent(
        f"""
        import sys
        import jax, numpy as np
        from reusable_savedmodel.adapters.jax import load_jax_piece
        jp = load_jax_piece({str(tmp_path / "mlp")!r})
        x = np.ones((5, 4), np.float32)
        y = jax.jit(lambda p, s, x: jp.apply(p, s, x)[0])(jp.params, jp.state, x)
        out, state = jp.apply(jp.params, jp.state, x, training=True, rng=jax.random.key(0))
        assert y.shape == (5, 3) and set(state) == set(jp.state)
        assert "tensorflow" not in sys.modules, "TensorFlow was imported"
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")
