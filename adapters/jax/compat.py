"""Private TensorFlow and tf2jax APIs the JAX adapter needs, all in one place.

Each is resolved at import through `interface.compat.private_symbol`, so a release that
moves one fails at once with an error naming it. `tests/adapters/jax/test_compat.py`
imports every symbol in `PRIVATE_SYMBOLS`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import tensorflow as tf
import tf2jax

from reusable_savedmodel.interface.compat import private_symbol

#: (module, name) of every private symbol this adapter uses.
PRIVATE_SYMBOLS = (
    ("tensorflow.python.framework.ops", "gradient_registry"),
    ("tf2jax._src.ops", "_jax_ops"),
)

# Custom gradients (`tf.custom_gradient`, and the gradients a SavedModel restores) are
# registered by op type here; TensorFlow has no public lookup.
_gradient_registry = private_symbol(*PRIVATE_SYMBOLS[0], framework="TensorFlow", version=tf.__version__)
# tf2jax's op-type -> parser table (see `identity_n_parser`).
_tf2jax_ops = private_symbol(*PRIVATE_SYMBOLS[1], framework="tf2jax", version=tf2jax.__version__)


def registered_gradient(op_type: bytes | str) -> Callable[..., Any] | None:
    """The gradient function registered for a custom-gradient op type, or None."""
    try:
        return _gradient_registry.lookup(op_type.decode() if isinstance(op_type, bytes) else op_type)
    except LookupError:
        return None


def function_graphs(graph: Any) -> list[Any]:
    """The graphs of the library functions a graph holds (nested calls, gradients)."""
    # A graph lists its functions only in the private `_functions` map.
    return [f.graph for f in graph._functions.values() if hasattr(f, "graph")]  # noqa: SLF001


@contextlib.contextmanager
def identity_n_parser(parse: Callable[[Any, Callable[[Any], Any]], Any]) -> Iterator[None]:
    """Temporarily routes tf2jax's parsing of `IdentityN` nodes through `parse(proto, original)`.

    tf2jax has no public hook for custom gradients beyond its own (one per graph).
    """
    original = _tf2jax_ops["IdentityN"]
    _tf2jax_ops["IdentityN"] = lambda proto: parse(proto, original)
    try:
        yield
    finally:
        _tf2jax_ops["IdentityN"] = original
