"""JaxPiece serialized with jax.export and loaded back (with TensorFlow blocked: test_runtime_without_tensorflow.py)."""

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
