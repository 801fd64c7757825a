"""`from_keras`: a built Keras 3 layer or model as an in-process Reusable SavedModel."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias

import keras
import tensorflow as tf

from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.keras import _backends as backends

#: A named callable for `from_keras`: a sublayer, or a sublayer and its input signature.
KerasCallable: TypeAlias = keras.layers.Layer | tuple[keras.layers.Layer, Any]


def input_signature_of(layer: keras.layers.Layer, hint: str = "Pass input_signature=") -> Any:
    """The input specs of a model built on `keras.Input`s, batch dimension left open.

    Args:
      layer: A model, or a layer called once on symbolic inputs (in a functional or
        `Sequential` model).
      hint: How the caller gives the signature instead, for the error message.

    Raises:
      ValueError: if the layer was never called on symbolic inputs (no `input`), or on
        several (a shared layer).
    """
    try:
        inputs = layer.input
    except (AttributeError, ValueError) as error:
        # Keras 3's Sequential raises on `.input` even when it starts with keras.Input
        # (it is never "called"); its `.inputs` lists that one input.
        listed = getattr(layer, "inputs", None)
        if isinstance(listed, (list, tuple)) and len(listed) == 1:
            inputs = listed[0]
        else:
            raise ValueError(
                f"from_keras: cannot tell the inputs of {type(layer).__name__} {layer.name!r} "
                f"(it was not built on keras.Input: {error}). {hint}, e.g. "
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


def require_built_layer(layer: Any, what: str) -> None:
    """Raises unless `layer` is a built Keras 3 layer; `what` names it in messages."""
    if not isinstance(layer, keras.layers.Layer):
        raise TypeError(
            f"from_keras expects a Keras 3 layer or model (keras.layers.Layer) as {what}, "
            f"got {type(layer).__module__}.{type(layer).__name__}"
            + (" (a tf_keras object? save it with tf.saved_model.save instead)"
               if type(layer).__module__.startswith("tf_keras") else "")
            + "."
        )
    if not layer.built:
        raise ValueError(
            f"from_keras: {type(layer).__name__} {layer.name!r} is not built ({what}). Build "
            f"it first (call it on inputs, or model.build(input_shape))."
        )


def callable_layer(name: str, value: Any) -> tuple[keras.layers.Layer, Any]:
    """The sublayer and input signature of one entry of `from_keras(callables=...)`.

    Raises:
      TypeError: if `value` is not a layer or a `(layer, input_signature)` pair.
      ValueError: if the layer is not built, or its input signature cannot be read.
    """
    if isinstance(value, tuple):
        if len(value) != 2:
            raise TypeError(
                f"from_keras: callables[{name!r}] must be a layer or (layer, input_signature), "
                f"got a tuple of {len(value)}."
            )
        layer, input_signature = value
    else:
        layer, input_signature = value, None
    require_built_layer(layer, f"callables[{name!r}]")
    if input_signature is None:
        input_signature = input_signature_of(
            layer, f"Give callables[{name!r}] as (layer, input_signature)"
        )
    return layer, input_signature


def _callable_export(name: str, value: Any) -> KerasExport:
    """The `KerasExport` of one entry of `from_keras(callables=...)`."""
    return KerasExport(*callable_layer(name, value))


def from_keras(
    layer_or_model: keras.layers.Layer,
    *,
    input_signature: Any = None,
    callables: Mapping[str, KerasCallable] | None = None,
) -> rsm.Piece:
    """Wraps a built Keras 3 layer or model as an in-process Piece.

    The piece shares the layer's variables: training either trains both. Save it with
    `rsm.save(piece, path)` to publish a Reusable SavedModel.

    Named callables expose sublayers on their own, e.g. an encoder:
    `from_keras(model, callables={"encoder": model.get_layer("encoder")})` gives
    `piece.callables["encoder"]` (`obj.encoder(x, training=False)` once saved). Each is a
    `KerasExport` of the sublayer: its variables are the root's own (saved once), its
    `trainable_variables` the sublayer's trainable weights and its regularization losses
    those of their regularizers.

    Args:
      layer_or_model: A built `keras.layers.Layer` or `keras.Model` (TensorFlow backend).
      input_signature: A nest of `tf.TensorSpec` for the inputs; by default read from a
        functional or `Sequential` model's `keras.Input`s, with the batch dimension open.
      callables: Name -> a sublayer of `layer_or_model`, or `(sublayer, input_signature)`.
        A bare sublayer's signature is read from the symbolic input it was called on in
        a functional or `Sequential` model (the batch dimension open). Names are Python
        identifiers not starting with `_`.

    Returns:
      An `rsm.Piece` whose object is a `KerasExport`.

    Raises:
      TypeError: if `layer_or_model` or a callable is not a Keras 3 layer, or a
        callable is a tuple of other than two items.
      ValueError: if a layer is not built, an input signature is None and cannot be
        read from the model, a callable's name is not admissible, or a callable uses
        weights `layer_or_model` does not have.
      UnsupportedBackendError: unless Keras runs on TensorFlow (on JAX,
        `reusable_savedmodel.adapters.keras.from_keras` is
        `reusable_savedmodel.adapters.keras_jax.from_keras`).
    """
    backends.require_backend("tensorflow", "from_keras")
    require_built_layer(layer_or_model, "layer_or_model")
    if input_signature is None:
        input_signature = input_signature_of(layer_or_model)
    export = KerasExport(layer_or_model, input_signature)
    export.add_callables(callables or {}, _callable_export)
    return rsm.as_piece(export)
