"""The Reusable SavedModel protocol as static types.

These describe what a loaded (or in-process) object offers; `Piece` is the typed
view the rest of the library works with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeAlias, runtime_checkable

import tensorflow as tf

#: What `__call__` takes and returns: a Tensor, a list of Tensors, or a dict of Tensors.
Structure: TypeAlias = tf.Tensor | Sequence[tf.Tensor] | Mapping[str, tf.Tensor]


@runtime_checkable
class ReusableCallable(Protocol):
    """An object callable as `obj(inputs, training=..., **kwargs)`.

    `variables`, `trainable_variables` and `regularization_losses` are optional in the
    protocol (absent means empty); `Piece` supplies the empty defaults.
    """

    def __call__(self, inputs: Structure, *args: Any, **kwargs: Any) -> Structure: ...


@runtime_checkable
class ReusableSavedModel(ReusableCallable, Protocol):
    """A Reusable SavedModel with all three variable/loss lists present."""

    variables: Sequence[tf.Variable]
    trainable_variables: Sequence[tf.Variable]
    regularization_losses: Sequence[Any]


#: The optional list attributes of a protocol object, in the protocol's order.
LIST_ATTRIBUTES = ("variables", "trainable_variables", "regularization_losses")

#: Attributes frameworks attach to exported objects that are not named callables.
FRAMEWORK_INTERNALS = frozenset({"keras_api"})
