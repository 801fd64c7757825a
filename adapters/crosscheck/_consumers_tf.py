"""Consumers in TensorFlow: the raw Piece, Keras 3, Sonnet, and tensorflow_hub on tf_keras."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any

import tensorflow as tf

from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.crosscheck._consumer import TensorFlowWrapped, handle
from reusable_savedmodel.interface.kit import SignatureCall


class PieceWrapped(TensorFlowWrapped):
    """`rsm.load(path)` or `rsm.as_piece(obj)`, called directly (no framework).

    With `signature`, the signature is called as the adapters call it (`SignatureCall`):
    inference only, nothing to train.
    """

    def __init__(self, source: Any, *, trainable: bool, callable: str | None, signature: str | None = None):
        del trainable  # a Piece trains whatever the caller differentiates
        root = rsm.as_piece(source)
        self.piece = root.callable(callable) if callable is not None else root
        self.signature = None if signature is None else SignatureCall(root, signature, None)

    def call(self, inputs, training):  # noqa: D102
        if self.signature is not None:
            return self.signature(inputs, {})
        return self.piece(inputs, training=training)

    def trainables(self):  # noqa: D102
        return () if self.signature is not None else self.piece.trainable_variables

    def state(self):  # noqa: D102
        return () if self.signature is not None else self.piece.non_trainable_variables

    def regularization(self):  # noqa: D102
        return 0.0 if self.signature is not None else float(self.piece.regularization_loss())


class KerasFamilyWrapped(TensorFlowWrapped):
    """A Keras-style layer (`self.layer`), called and read as Keras code does."""

    layer: Any

    @abc.abstractmethod
    def variable(self, weight: Any) -> tf.Variable:
        """The `tf.Variable` behind one of the layer's weights."""

    def call(self, inputs, training):  # noqa: D102
        return self.layer(inputs, training=training)

    def trainables(self):  # noqa: D102
        return [self.variable(w) for w in self.layer.trainable_weights]

    def state(self):  # noqa: D102
        return [self.variable(w) for w in self.layer.non_trainable_weights]

    def regularization(self):  # noqa: D102
        return float(sum(self.layer.losses)) if self.layer.losses else 0.0


class KerasWrapped(KerasFamilyWrapped):
    """`KerasLayer(source, trainable=..., callable=...)` in Keras 3."""

    def __init__(self, source: Any, *, trainable: bool, callable: str | None, signature: str | None = None):
        from reusable_savedmodel.adapters.keras import KerasLayer

        self.layer = KerasLayer(handle(source), trainable=trainable, callable=callable, signature=signature)

    def variable(self, weight):  # noqa: D102
        return weight.value  # a Keras 3 variable keeping the piece's tf.Variable


class HubWrapped(KerasFamilyWrapped):
    """tensorflow_hub's `KerasLayer` on tf_keras: the peer library, as its users call it."""

    def __init__(self, source: Any, *, trainable: bool, callable: str | None, signature: str | None = None):
        import tensorflow_hub as hub

        target = handle(source)
        if callable is not None:
            obj = hub.load(target) if isinstance(target, str) else _raw(target)
            target = getattr(obj, callable)
        elif not isinstance(target, str):
            target = _raw(target)
        # hub returns a signature's whole output dict only when told to.
        by_signature = {} if signature is None else {"signature": signature, "signature_outputs_as_dict": True}
        self.layer = hub.KerasLayer(target, trainable=trainable, **by_signature)

    def variable(self, weight):  # noqa: D102
        return weight  # tf_keras weights are tf.Variables


class SonnetWrapped(TensorFlowWrapped):
    """`SonnetModule(source, trainable=..., callable=...)`, called with `is_training`."""

    def __init__(self, source: Any, *, trainable: bool, callable: str | None, signature: str | None = None):
        from reusable_savedmodel.adapters.sonnet import SonnetModule

        self.module = SonnetModule(handle(source), trainable=trainable, callable=callable, signature=signature)

    def call(self, inputs, training):  # noqa: D102
        return self.module(inputs, is_training=training)

    def trainables(self):  # noqa: D102
        return self.module.trainable_variables

    def state(self):  # noqa: D102
        return _others(self.module.variables, self.module.trainable_variables)

    def regularization(self):  # noqa: D102
        return float(self.module.regularization_loss())


def _raw(source: Any) -> Any:
    """The object under a Piece: peers know nothing of Pieces."""
    return source.obj if isinstance(source, rsm.Piece) else source


def _others(variables: Sequence[tf.Variable], trainables: Sequence[tf.Variable]) -> list[tf.Variable]:
    train_ids = {id(v) for v in trainables}
    return [v for v in variables if id(v) not in train_ids]
