"""TensorList ops (the while-loop pattern of Keras LSTM/GRU and Sonnet `dynamic_unroll`) for tf2jax.

tf2jax 0.3.8 converts the TensorList family, but its `TensorListSetItem` and
`TensorListGetItem` index a NumPy list (what `TensorListReserve` makes) with `.at[...]` /
plain indexing unless the index is already a JAX array; in a loop body whose index tf2jax
keeps as a NumPy constant that fails (`'numpy.ndarray' object has no attribute 'at'`).
Here both ops work on JAX arrays whatever the index is; the rest of the family is tf2jax's.
The loops themselves run through `loops` (reverse-mode differentiable where the step count
is static).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import jax.numpy as jnp
import tensorflow as tf

from reusable_savedmodel.adapters.jax import _compat as compat
from reusable_savedmodel.adapters.jax.conversion import _loops as loops


def _element_dtype(proto: Any) -> Any:
    return tf.as_dtype(proto.attr["element_dtype"].type).as_numpy_dtype


def _set_item(proto: Any, original: Callable[[Any], Any]) -> Callable[..., Any]:
    original(proto)  # tf2jax's checks (e.g. it refuses resize_if_index_out_of_bounds)
    dtype = _element_dtype(proto)

    def set_item(xs: Any, index: Any, item: Any) -> Any:
        if xs.size == 0:  # a list reserved without an element shape takes the item's
            xs = jnp.zeros((xs.shape[0], *jnp.shape(item)), dtype)
        return jnp.asarray(xs).at[index].set(item)

    return set_item


def _get_item(proto: Any, original: Callable[[Any], Any]) -> Callable[..., Any]:
    empty = original(proto)  # tf2jax's own answer for a list never written to

    def get_item(xs: Any, index: Any, element_shape: Any) -> Any:
        if xs.size == 0:
            return empty(xs, index, element_shape)
        return jnp.asarray(xs)[index]

    return get_item


@contextlib.contextmanager
def converting() -> Iterator[None]:
    """While tf2jax converts: `TensorListSetItem` and `TensorListGetItem` as above, while
    loops through `loops.parse`."""
    parsers = {
        "TensorListSetItem": _set_item,
        "TensorListGetItem": _get_item,
        "While": loops.parse,
        "StatelessWhile": loops.parse,
    }
    with compat.op_parsers(parsers):
        yield
