"""Consumers in JAX: `to_jax` (functional) and `FlaxModule` (nnx)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from reusable_savedmodel.adapters.crosscheck._compare import ValueGrad, cotangent, is_float, leaves
from reusable_savedmodel.adapters.crosscheck._consumer import Wrapped, handle
from reusable_savedmodel.adapters.flax import FlaxModule
from reusable_savedmodel.adapters.jax import to_jax

_KEY = 0


def weighted_sum(outputs: Any) -> jax.Array:
    """The loss gradients are taken of (`tf_values.weighted_sum`), in JAX: for every JAX-based consumer."""
    terms = [jnp.sum(leaf * cotangent(leaf.shape)) for leaf in jax.tree_util.tree_leaves(outputs) if is_float(leaf)]
    return sum(terms, jnp.zeros((), jnp.float32))


class JaxWrapped(Wrapped):
    """`to_jax(source, callable=...)`, run through `apply` with explicit params and state."""

    def __init__(self, source: Any, *, trainable: bool, callable: str | None, signature: str | None = None):
        del trainable  # JAX trains what the caller differentiates
        self.piece = to_jax(handle(source), callable=callable, signature=signature)

    def _apply(self, params: Any, inputs: Any, training: bool) -> tuple[Any, Any]:
        rng = jax.random.key(_KEY) if training else None
        return self.piece.apply(params, self.piece.state, inputs, training=training, rng=rng)

    def outputs(self, inputs, training):  # noqa: D102
        return leaves(self._apply(self.piece.params, inputs, training)[0])

    def value_grads(self, inputs, training) -> list[ValueGrad]:  # noqa: D102
        grads = jax.grad(lambda p: weighted_sum(self._apply(p, inputs, training)[0]))(self.piece.params)
        return [(np.asarray(self.piece.params[k]), np.asarray(grads[k])) for k in self.piece.params]

    def regularization(self):  # noqa: D102
        return float(self.piece.regularization_loss(self.piece.params))

    def trainable_count(self):  # noqa: D102
        return len(self.piece.params)

    def state_after_training(self, inputs):  # noqa: D102
        return [np.asarray(v) for v in self._apply(self.piece.params, inputs, True)[1].values()]

    def remember(self):  # noqa: D102
        pass  # `apply` is pure: nothing to put back

    def restore(self):  # noqa: D102
        pass


class FlaxWrapped(Wrapped):
    """`FlaxModule(source, callable=...)`, differentiated with `nnx.grad`."""

    def __init__(self, source: Any, *, trainable: bool, callable: str | None, signature: str | None = None):
        del trainable  # nnx trains what the optimizer is given (`wrt=nnx.Param`)
        self.module = FlaxModule(handle(source), callable=callable, signature=signature)

    def _call(self, module: FlaxModule, inputs: Any, training: bool) -> Any:
        return module(inputs, training=training, rngs=nnx.Rngs(_KEY) if training else None)

    def outputs(self, inputs, training):  # noqa: D102
        return leaves(self._call(self.module, inputs, training))

    def value_grads(self, inputs, training) -> list[ValueGrad]:  # noqa: D102
        grads = nnx.grad(lambda m: weighted_sum(self._call(m, inputs, training)))(self.module)
        values = jax.tree_util.tree_leaves(nnx.state(self.module, nnx.Param))
        return [(np.asarray(v), np.asarray(g)) for v, g in zip(values, jax.tree_util.tree_leaves(grads))]

    def regularization(self):  # noqa: D102
        return float(self.module.regularization_loss())

    def trainable_count(self):  # noqa: D102
        return len(self.module.params)

    def state_after_training(self, inputs):  # noqa: D102
        self._call(self.module, inputs, True)
        return [np.asarray(v) for v in jax.tree_util.tree_leaves(nnx.state(self.module, nnx.BatchStat))]

    def remember(self):  # noqa: D102
        self._recorded = nnx.clone(nnx.state(self.module))

    def restore(self):  # noqa: D102
        nnx.update(self.module, nnx.clone(self._recorded))
