"""The example MLP written natively in Flax nnx: what the converted model is compared with on GPU.

Built with a converted piece's weights, so it computes the same function (inference:
input scaling, dense, batch norm with moving statistics, relu, dense).
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
from flax import nnx


class MLP(nnx.Module):
    """`features -> hidden -> classes` logits, as the example MLP computes them in inference.

    Args:
      features: Input width.
      hidden: Hidden width.
      classes: Output width.
      rngs: Initializer keys (the weights are replaced by `from_piece`).
    """

    def __init__(self, features: int, hidden: int, classes: int, *, rngs: nnx.Rngs):
        self.input_scale = nnx.Variable(jnp.ones(features))
        self.dense = nnx.Linear(features, hidden, rngs=rngs)
        self.norm = nnx.BatchNorm(hidden, use_running_average=True, momentum=0.9, epsilon=1e-3, rngs=rngs)
        self.head = nnx.Linear(hidden, classes, rngs=rngs)

    def __call__(self, x: jnp.ndarray) -> jnp.ndarray:
        """Returns the logits for inputs `x` of shape `(batch, features)`."""
        return self.head(nnx.relu(self.norm(self.dense(x * self.input_scale[...]))))


def from_piece(jax_piece: Any) -> MLP:
    """The native network holding a converted example MLP's weights.

    Args:
      jax_piece: A `JaxPiece` of the example MLP.

    Returns:
      The network.

    Raises:
      ValueError: if the piece is not the example MLP (no native network is written for it).
    """
    p, s = jax_piece.params, jax_piece.state
    if "encoder/dense/kernel" not in p or "decoder/dense/kernel" not in p:
        raise ValueError(f"no native Flax network for {jax_piece.name!r}: only the example MLP has one")
    features, hidden = p["encoder/dense/kernel"].shape
    model = MLP(features, hidden, p["decoder/dense/kernel"].shape[1], rngs=nnx.Rngs(0))
    values = [
        (model.input_scale, s["encoder/input_scale"]),
        (model.dense.kernel, p["encoder/dense/kernel"]),
        (model.dense.bias, p["encoder/dense/bias"]),
        (model.norm.scale, p["encoder/batch_norm/gamma"]),
        (model.norm.bias, p["encoder/batch_norm/beta"]),
        (model.norm.mean, s["encoder/batch_norm/moving_mean"]),
        (model.norm.var, s["encoder/batch_norm/moving_variance"]),
        (model.head.kernel, p["decoder/dense/kernel"]),
        (model.head.bias, p["decoder/dense/bias"]),
    ]
    for variable, value in values:
        variable.value = jnp.asarray(value)
    return model
