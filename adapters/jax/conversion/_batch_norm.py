"""Inference batch norm (`FusedBatchNorm*` with `is_training=False`) for tf2jax, folded.

tf2jax 0.3.8 converts every `FusedBatchNorm` the training way first: it computes the batch
mean and variance (two reductions over the activations) and then, in inference, discards
them, and it normalizes as `(x - mean) * inv + offset`. XLA drops the dead reductions, but
tracing and compiling still pay for them (about a quarter of a convnet's jaxpr), and the
normalization costs one subtraction per activation more than a native JAX network's
(Keras, Flax: `x * inv + (offset - mean * inv)`, where the mean folds into the per-channel
offset). Here the inference op is converted that way; the training op stays tf2jax's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import jax
import jax.numpy as jnp

from reusable_savedmodel.adapters.jax import _compat as compat

_OPS = ("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3")


def _parse(proto: Any, original: Callable[[Any], Any]) -> Callable[..., Any]:
    converted = original(proto)  # tf2jax's checks (attributes, data format)
    if proto.attr["is_training"].b:
        return converted
    channel_dim = 1 if proto.attr["data_format"].s == b"NCHW" else -1
    epsilon = proto.attr["epsilon"].f

    def batch_norm(x: Any, scale: Any, offset: Any, mean: Any, variance: Any) -> tuple[Any, Any, Any]:
        def per_channel(v: Any) -> Any:  # broadcast along the channel dimension
            return jnp.reshape(v, [-1 if d == channel_dim % x.ndim else 1 for d in range(x.ndim)])

        inv = scale * jax.lax.rsqrt(variance + epsilon)
        y = x * per_channel(inv) + per_channel(offset - mean * inv)
        # The running statistics pass through unchanged, as TensorFlow's inference op returns them.
        return jnp.asarray(y, x.dtype), mean, variance

    return batch_norm


@contextlib.contextmanager
def converting() -> Iterator[None]:
    """While tf2jax converts: inference `FusedBatchNorm*` ops as above."""
    with compat.op_parsers(dict.fromkeys(_OPS, _parse)):
        yield
