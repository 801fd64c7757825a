"""`from_keras`: a built Keras 3 layer or model as an in-process Reusable SavedModel."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import tensorflow as tf

from reusable_savedmodel import interface as rsm


def _input_signature_of(layer: keras.layers.Layer) -> Any:
    """The input specs of a model built on `keras.Input`s, batch dimension left open.

    Raises:
      ValueError: if the layer was never called on symbolic inputs (no `input`).
    """
    try:
        inputs = layer.input
    except (AttributeError, ValueError) as error:
        raise ValueError(
            f"from_keras: cannot tell the inputs of {type(layer).__name__} {layer.name!r} "
            f"(it was not built on keras.Input: {error}). Pass input_signature=, e.g. "
            f"tf.TensorSpec([None, 4], tf.float32)."
        ) from error
    return keras.tree.map_structure(
        lambda t: tf.TensorSpec((None, *t.shape[1:]), tf.as_dtype(t.dtype)), inputs
    )


class KerasExport(rsm.ReusableModule):
    """A Keras 3 layer or model behind the Reusable SavedModel protocol, in process.

    `__call__(inputs, training=False)` runs `layer(inputs, training=training)`, traced for
    both `training` values. `variables` are every variable the traces use (the Keras
    variables' own `tf.Variable`s, no copies), `trainable_variables` those of
    `layer.trainable_weights` (none when `layer.trainable` is False), and
    `regularization_losses` one function per trainable weight with a regularizer.
    Activity regularizers and `add_loss` losses depend on the inputs, so they have no
    place in the protocol and are not exported.

    Use `from_keras`, which also checks the layer.

    Args:
      layer: A built Keras 3 layer or model.
      input_signature: A nest of `tf.TensorSpec` for its inputs.
    """

    def __init__(self, layer: keras.layers.Layer, input_signature: Any):
        super().__init__(input_signature)
        # Private, so the saved object has no public attribute that is not protocol.
        self._layer = layer

    @property
    def layer(self) -> keras.layers.Layer:
        """The wrapped Keras layer or model."""
        return self._layer

    def call(self, inputs: rsm.Structure, training: bool = False) -> rsm.Structure:
        """Runs the Keras layer.

        Args:
          inputs: As declared by the input signature.
          training: Whether to run in training mode (dropout, batch norm).

        Returns:
          The layer's outputs.
        """
        return self.layer(inputs, training=training)

    def select_trainable_variables(self, variables: Sequence[tf.Variable]) -> Sequence[tf.Variable]:
        """Keeps the variables behind `layer.trainable_weights`, in trace order."""
        trainable = {id(w.value) for w in self.layer.trainable_weights}
        return [v for v in variables if id(v) in trainable]

    def regularization(self) -> Sequence[Callable[[], tf.Tensor]]:
        """One loss per trainable weight with a regularizer, as Keras adds them to `losses`."""
        return [
            _bind(weight.regularizer, weight)
            for weight in self.layer.trainable_weights
            if weight.regularizer is not None
        ]


def _bind(regularizer: Callable[[Any], Any], weight: keras.Variable) -> Callable[[], tf.Tensor]:
    """A zero-argument loss: `regularizer(weight)` as a float32 scalar."""
    return lambda: tf.cast(tf.reshape(regularizer(weight), []), tf.float32)


def from_keras(layer_or_model: keras.layers.Layer, *, input_signature: Any = None) -> rsm.Piece:
    """Wraps a built Keras 3 layer or model as an in-process Piece.

    The piece shares the layer's variables: training either trains both. Save it with
    `rsm.save(piece, path)` to publish a Reusable SavedModel.

    Args:
      layer_or_model: A built `keras.layers.Layer` or `keras.Model` (TensorFlow backend).
      input_signature: A nest of `tf.TensorSpec` for the inputs; by default read from a
        functional or `Sequential` model's `keras.Input`s, with the batch dimension open.

    Returns:
      An `rsm.Piece` whose object is a `KerasExport`.

    Raises:
      TypeError: if `layer_or_model` is not a Keras 3 layer.
      ValueError: if it is not built, or `input_signature` is None and cannot be read
        from the model.
    """
    if not isinstance(layer_or_model, keras.layers.Layer):
        raise TypeError(
            f"from_keras expects a Keras 3 layer or model (keras.layers.Layer), got "
            f"{type(layer_or_model).__module__}.{type(layer_or_model).__name__}"
            + (" (a tf_keras object? save it with tf.saved_model.save instead)"
               if type(layer_or_model).__module__.startswith("tf_keras") else "")
            + "."
        )
    if not layer_or_model.built:
        raise ValueError(
            f"from_keras: {type(layer_or_model).__name__} {layer_or_model.name!r} is not "
            f"built. Build it first (call it on inputs, or model.build(input_shape))."
        )
    if input_signature is None:
        input_signature = _input_signature_of(layer_or_model)
    return rsm.as_piece(KerasExport(layer_or_model, input_signature))
