"""Producer: a Flax `nnx.Module`, exported with `from_flax`."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from conformance import architecture as arch
from conformance.produce_jax import jax_truth, signature
from conformance.produced import Produced
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.flax import from_flax


class _Model(nnx.Module):
    def __init__(self, kind: str, rngs: nnx.Rngs):
        self.kind = kind
        self.dense = nnx.Linear(arch.FEATURES, arch.HIDDEN, rngs=rngs)
        self.norm = nnx.BatchNorm(arch.HIDDEN, momentum=arch.MOMENTUM, epsilon=arch.EPSILON, rngs=rngs)
        self.head = nnx.Linear(arch.HIDDEN, arch.CLASSES, rngs=rngs)
        self.dropout = nnx.Dropout(arch.DROPOUT, rngs=rngs)

    def encode(self, x):
        """The named callable `encoder`."""
        return jax.nn.relu(self.norm(self.dense(x)))

    def __call__(self, inputs):
        if self.kind == "mlp":
            return self.head(self.encode(inputs))
        return self.head(self.dropout(self.encode(inputs["features"]) * inputs["scale"]))


def _regularization(model: _Model) -> jax.Array:
    return arch.L2 * (jnp.sum(model.dense.kernel[...] ** 2) + jnp.sum(model.head.kernel[...] ** 2))


def build(kind: str) -> Produced:
    """Builds the model of `kind` as an nnx module and exports it in process."""
    model = _Model(kind, nnx.Rngs(0))
    values = arch.weights()
    model.dense.kernel.value = jnp.asarray(values["dense_kernel"])
    model.dense.bias.value = jnp.asarray(values["dense_bias"])
    model.norm.scale.value = jnp.asarray(values["gamma"])
    model.norm.bias.value = jnp.asarray(values["beta"])
    model.norm.mean.value = jnp.asarray(values["moving_mean"])
    model.norm.var.value = jnp.asarray(values["moving_variance"])
    model.head.kernel.value = jnp.asarray(values["head_kernel"])
    model.head.bias.value = jnp.asarray(values["head_bias"])
    callables = {arch.CALLABLE: ("encode", signature("mlp"))} if kind == "rich" else None
    piece = from_flax(
        model, input_signature=signature(kind), regularization_loss=_regularization, callables=callables
    )
    graphdef, params, state = nnx.split(model, nnx.Param, ...)

    def apply(p: Any, s: Any, x: Any, training: bool, rng: Any, method: str = "__call__") -> tuple[Any, Any]:
        clone = nnx.merge(graphdef, p, s, copy=True)
        clone.train() if training else clone.eval()
        if rng is not None:
            nnx.reseed(clone, dropout=rng)
        out = getattr(clone, method)(x)
        return out, nnx.state(clone, nnx.BatchStat)

    inputs = arch.inputs(kind)
    truth = jax_truth(
        apply,
        params,
        state,
        kind,
        inputs,
        regularization=arch.l2(values["dense_kernel"], values["head_kernel"]),
        callable_call=lambda x, training: apply(params, state, x, training, None, method="encode")[0],
    )
    return Produced(in_process=piece, save=lambda path: rsm.save(piece, path), truth=truth, inputs=inputs)
