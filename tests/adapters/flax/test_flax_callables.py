"""from_flax(callables=..., regularization_loss=...), checked against the nnx module itself."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import tensorflow as tf
from flax import nnx

from fixtures.tolerances import STATISTICS, assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.flax import from_flax
from reusable_savedmodel.adapters.jax import to_jax

X = np.random.default_rng(0).standard_normal((16, 4)).astype(np.float32)
SIGNATURE = tf.TensorSpec([None, 4], tf.float32)
SCALE = 1e-3
MEAN = "state/encoder/layers/1/mean"


class Net(nnx.Module):
    """An encoder (batch norm: deterministic in both modes) and a head with dropout."""

    def __init__(self, rngs: nnx.Rngs):
        self.encoder = nnx.Sequential(nnx.Linear(4, 8, rngs=rngs), nnx.BatchNorm(8, rngs=rngs), nnx.relu)
        self.head = nnx.Sequential(nnx.Dropout(0.2, rngs=rngs), nnx.Linear(8, 3, rngs=rngs))

    def __call__(self, x):
        return self.head(self.embed(x))

    def embed(self, x):
        return self.encoder(x)


def kernels(module):
    return module.encoder.layers[0].kernel, module.head.layers[1].kernel


def l2(module):
    return SCALE * sum(jnp.sum(k[...] ** 2) for k in kernels(module))


def by_hand(net):
    """The L2 penalty from numpy copies of the kernels."""
    return SCALE * sum(np.sum(np.asarray(k[...], np.float64) ** 2) for k in kernels(net))


def norm(net):
    return net.encoder.layers[1]


def native_embed(net, training):
    """`net.embed` in the given mode, on a copy (training updates the batch statistics)."""
    copy = nnx.clone(net)
    copy.train() if training else copy.eval()
    return np.asarray(copy.embed(X)), copy


def export(net):
    return from_flax(net, input_signature=SIGNATURE, regularization_loss=l2, callables={"embed": ("embed", SIGNATURE)})


def variable(piece, name):
    (found,) = [v for v in piece.variables if v.name == f"{name}:0"]
    return found


def test_callable_and_regularization_in_process():
    net = Net(nnx.Rngs(0))
    piece = export(net)
    assert_close(piece.regularization_loss(), by_hand(net))
    sub = piece.callable("embed")
    assert_close(sub.regularization_loss(), by_hand(net))
    assert_close(sub(X), native_embed(net, False)[0])
    expected, trained = native_embed(net, True)
    assert_close(sub(X, training=True), expected, tolerance=STATISTICS)
    # The callable's training trace moved the root's batch statistics as nnx did.
    assert_close(variable(piece, MEAN), norm(trained).mean[...])
    assert {id(v) for v in sub.variables} == {id(v) for v in piece.variables}

    kernel = variable(piece, "params/encoder/layers/0/kernel")
    kernel.assign(kernel * 2.0)
    kernels(net)[0][...] = kernels(net)[0][...] * 2.0
    norm(net).mean[...] = norm(trained).mean[...]
    norm(net).var[...] = norm(trained).var[...]
    assert_close(sub(X), native_embed(net, False)[0], tolerance=STATISTICS)
    assert_close(piece.regularization_loss(), by_hand(net))


def test_callable_and_regularization_after_save_and_load(tmp_path):
    net = Net(nnx.Rngs(1))
    path = tmp_path / "exported"
    loaded = rsm.save(export(net), path)
    assert rsm.check(str(path)).ok
    sub = loaded.callable("embed")
    assert_close(loaded.regularization_loss(), by_hand(net))
    assert_close(sub.regularization_loss(), by_hand(net))
    assert_close(sub(X), native_embed(net, False)[0])
    assert_close(sub(X, training=True), native_embed(net, True)[0], tolerance=STATISTICS)
    root_by_id = {id(v): v for v in loaded.variables}
    assert all(root_by_id.get(id(v)) is v for v in sub.variables)
    assert len(sub.variables) == len(loaded.variables)

    kernel = variable(loaded, "params/head/layers/1/kernel")
    kernel.assign(kernel + 1.0)
    kernels(net)[1][...] = kernels(net)[1][...] + 1.0
    assert_close(loaded.regularization_loss(), by_hand(net))


def test_to_jax_of_the_saved_callable_matches_flax(tmp_path):
    net = Net(nnx.Rngs(2))
    path = tmp_path / "exported"
    rsm.save(export(net), path)
    jp = to_jax(str(path), callable="embed")
    assert_close(jp.apply(jp.params, jp.state, X)[0], native_embed(net, False)[0])
    expected, trained = native_embed(net, True)
    # Flax's training trace takes a key for the module's random streams (unused here).
    out, new_state = jp.apply(jp.params, jp.state, X, training=True, rng=jax.random.key(0))
    assert_close(out, expected, tolerance=STATISTICS)
    assert_close(new_state[MEAN], norm(trained).mean[...])
    assert_close(jp.regularization_loss(jp.params), by_hand(net))


def test_callable_errors():
    net = Net(nnx.Rngs(0))
    with pytest.raises(ValueError, match="names method 'encode', which Net does not have"):
        from_flax(net, input_signature=SIGNATURE, callables={"embed": ("encode", SIGNATURE)})
    with pytest.raises(TypeError, match=r"callables\['embed'\] must be \(method_name, input_signature\), got method\.$"):
        from_flax(net, input_signature=SIGNATURE, callables={"embed": net.embed})
    with pytest.raises(ValueError, match="'embed me': expected a Python identifier"):
        from_flax(net, input_signature=SIGNATURE, callables={"embed me": ("embed", SIGNATURE)})
