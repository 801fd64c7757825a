"""Producer: plain JAX functions over parameter pytrees, exported with `from_jax`."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import tensorflow as tf

from conformance import architecture as arch
from conformance.produced import Produced
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.crosscheck._compare import CallableTruth, Truth, cotangent, leaves
from reusable_savedmodel.adapters.jax import from_jax

_FEATURES = tf.TensorSpec([None, arch.FEATURES], tf.float32)


def _encode(params: Any, state: Any, x: Any, *, training: bool) -> tuple[Any, Any]:
    """Dense, batch norm (moving statistics updated in training), relu."""
    h = x @ params["dense"]["kernel"] + params["dense"]["bias"]
    if training:
        mean, variance = jnp.mean(h, axis=0), jnp.var(h, axis=0)
        state = {
            "moving_mean": arch.MOMENTUM * state["moving_mean"] + (1 - arch.MOMENTUM) * mean,
            "moving_variance": arch.MOMENTUM * state["moving_variance"] + (1 - arch.MOMENTUM) * variance,
        }
    else:
        mean, variance = state["moving_mean"], state["moving_variance"]
    h = (h - mean) * jax.lax.rsqrt(variance + arch.EPSILON) * params["norm"]["gamma"] + params["norm"]["beta"]
    return jax.nn.relu(h), state


def encoder_apply(params: Any, state: Any, x: Any, *, training: bool) -> tuple[Any, Any]:
    """The named callable: the encoder over the whole model's params and state."""
    hidden, encoder_state = _encode(params["encoder"], state["encoder"], x, training=training)
    return hidden, {"encoder": encoder_state}


def apply_fn(kind: str):
    """The model of `kind` as `apply(params, state, inputs, *, training, rng)`."""

    def apply(params: Any, state: Any, inputs: Any, *, training: bool, rng: Any) -> tuple[Any, Any]:
        features = inputs if kind == "mlp" else inputs["features"]
        hidden, new_state = encoder_apply(params, state, features, training=training)
        if kind == "rich":
            hidden = hidden * inputs["scale"]
            if training:
                keep = jax.random.bernoulli(rng, 1 - arch.DROPOUT, hidden.shape)
                hidden = jnp.where(keep, hidden / (1 - arch.DROPOUT), 0.0)
        return hidden @ params["head"]["kernel"] + params["head"]["bias"], new_state

    return apply


def initial_values() -> tuple[dict[str, Any], dict[str, Any]]:
    """`(params, state)` from the shared initial values."""
    v = {k: jnp.asarray(x) for k, x in arch.weights().items()}
    params = {
        "encoder": {
            "dense": {"kernel": v["dense_kernel"], "bias": v["dense_bias"]},
            "norm": {"gamma": v["gamma"], "beta": v["beta"]},
        },
        "head": {"kernel": v["head_kernel"], "bias": v["head_bias"]},
    }
    state = {"encoder": {"moving_mean": v["moving_mean"], "moving_variance": v["moving_variance"]}}
    return params, state


def regularization_loss(params: Any) -> jax.Array:
    """L2 on both kernels."""
    return arch.L2 * (jnp.sum(params["encoder"]["dense"]["kernel"] ** 2) + jnp.sum(params["head"]["kernel"] ** 2))


def signature(kind: str) -> Any:
    """The input signature of the model of `kind`."""
    return _FEATURES if kind == "mlp" else {"features": _FEATURES, "scale": tf.TensorSpec([None, 1], tf.float32)}


def build(kind: str) -> Produced:
    """Builds the model of `kind` as JAX functions and exports it in process."""
    params, state = initial_values()
    apply = apply_fn(kind)
    callables = {arch.CALLABLE: (encoder_apply, _FEATURES)} if kind == "rich" else None
    piece = from_jax(
        apply,
        params,
        state=state,
        input_signature=signature(kind),
        regularization_loss=regularization_loss,
        callables=callables,
    )
    inputs = arch.inputs(kind)
    truth = jax_truth(
        lambda p, s, x, training, rng: apply(p, s, x, training=training, rng=rng),
        params,
        state,
        kind,
        inputs,
        regularization=arch.l2(params["encoder"]["dense"]["kernel"], params["head"]["kernel"]),
        callable_call=lambda x, training: encoder_apply(params, state, x, training=training)[0],
    )
    return Produced(in_process=piece, save=lambda path: rsm.save(piece, path), truth=truth, inputs=inputs)


def jax_truth(
    apply: Any,
    params: Any,
    state: Any,
    kind: str,
    inputs: Any,
    *,
    regularization: float,
    callable_call: Any,
) -> Truth:
    """The truth of a functional JAX model, from JAX's own calls and `jax.grad`.

    Args:
      apply: `apply(params, state, inputs, training, rng) -> (outputs, new_state)`.
      params: The trainable pytree.
      state: The other values' pytree.
      kind: `mlp` or `rich` (whose training call is random).
      inputs: The cell's inputs.
      regularization: The regularization total, computed by hand.
      callable_call: `callable_call(x, training) -> outputs` of the `encoder`.
    """
    stochastic = kind == "rich"
    rng = jax.random.key(0)
    outputs = {False: leaves(apply(params, state, inputs, False, None)[0])}
    if not stochastic:
        outputs[True] = leaves(apply(params, state, inputs, True, rng)[0])
    gradient_training = not stochastic

    def loss(p):
        out = apply(p, state, inputs, gradient_training, rng)[0]
        return jnp.sum(out * cotangent(out.shape))

    grads = jax.grad(loss)(params)
    gradients = [
        (np.asarray(v), np.asarray(g))
        for v, g in zip(jax.tree_util.tree_leaves(params), jax.tree_util.tree_leaves(grads))
    ]
    new_state = apply(params, state, inputs, True, rng)[1]
    callables = {}
    if kind == "rich":
        features = inputs["features"]
        callables[arch.CALLABLE] = CallableTruth(
            features, {t: leaves(callable_call(features, t)) for t in (False, True)}
        )
    return Truth(
        outputs=outputs,
        stochastic_training=stochastic,
        gradient_training=gradient_training,
        gradients=gradients,
        regularization=regularization,
        state_after_training=[np.asarray(v) for v in jax.tree_util.tree_leaves(new_state)],
        callables=callables,
    )
