"""`from_keras` on Keras 3's JAX backend: the model as a pure function, exported by `from_jax`.

A Keras model on JAX is a pure function of its variables' values once run inside a
`keras.StatelessScope` (what `Layer.stateless_call` does). `from_keras` hands that function
to `reusable_savedmodel.adapters.jax.from_jax`: the trainable weights become the piece's
`trainable_variables`, every other variable (batch-norm statistics, dropout seed states)
non-trainable ones that the training trace assigns, and the weight regularizers its
regularization loss. Part of the Keras adapter's JAX-backend plugin
(`reusable_savedmodel.adapters.keras_jax`); imported only when Keras runs on JAX.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax.numpy as jnp
import keras
import numpy as np

from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.jax import from_jax
from reusable_savedmodel.adapters.keras import (
    KerasCallable,
    callable_layer,
    input_signature_of,
    require_backend,
    require_built_layer,
)

ApplyFn = Callable[..., tuple[Any, dict[str, Any]]]


def _variable_paths(variables: Sequence[keras.Variable]) -> list[str]:
    """The variables' Keras paths; a path two variables share gets the position appended."""
    paths = [variable.path for variable in variables]
    repeated = {path for path in paths if paths.count(path) > 1}
    names = [f"{path}_{i}" if path in repeated else path for i, path in enumerate(paths)]
    if len(set(names)) != len(names):
        raise rsm.UnsupportedError(f"from_keras: cannot name the model's variables uniquely: {names}")
    return names


class KerasVariables:
    """A model's variables by unique name: the trainable ones as params, the rest as state.

    Taken once, at export: changing `trainable` on the model later does not change them.

    Args:
      model: The built Keras layer or model being exported.
    """

    def __init__(self, model: keras.layers.Layer):
        self.trainable = list(model.trainable_variables)
        self.non_trainable = list(model.non_trainable_variables)
        names = _variable_paths([*self.trainable, *self.non_trainable])
        self.param_names = names[: len(self.trainable)]
        self.state_names = names[len(self.trainable) :]

    def params(self) -> dict[str, np.ndarray]:
        """The trainable variables' current values."""
        return {n: np.asarray(v.numpy()) for n, v in zip(self.param_names, self.trainable)}

    def state(self) -> dict[str, np.ndarray]:
        """The other variables' current values."""
        return {n: np.asarray(v.numpy()) for n, v in zip(self.state_names, self.non_trainable)}

    def apply_fn(self, layer: keras.layers.Layer) -> ApplyFn:
        """`apply(params, state, inputs, *, training) -> (outputs, new_state)` for `layer`.

        `layer` is the model or one of its sublayers: it runs with the model's variables
        set to `params` and `state`, and `new_state` holds what it assigned.
        """

        def apply(
            params: Mapping[str, Any], state: Mapping[str, Any], inputs: Any, *, training: bool
        ):
            mapping = [*zip(self.trainable, (params[n] for n in self.param_names))]
            mapping += zip(self.non_trainable, (state[n] for n in self.state_names))
            with keras.StatelessScope(state_mapping=mapping) as scope:
                outputs = layer(inputs, training=training)
            new_state = {
                n: scope.get_current_value(v) for n, v in zip(self.state_names, self.non_trainable)
            }
            return outputs, new_state

        return apply

    def regularization_loss(self) -> Callable[[Mapping[str, Any]], Any] | None:
        """The sum of the trainable weights' regularizers at `params`; None without any."""
        regularized = [
            (n, v) for n, v in zip(self.param_names, self.trainable) if v.regularizer is not None
        ]
        if not regularized:
            return None

        def loss(params: Mapping[str, Any]) -> Any:
            return sum(
                jnp.asarray(v.regularizer(params[n]), jnp.float32).reshape(())
                for n, v in regularized
            )

        return loss


def from_keras(
    layer_or_model: keras.layers.Layer,
    *,
    input_signature: Any = None,
    callables: Mapping[str, KerasCallable] | None = None,
) -> rsm.Piece:
    """Exports a built Keras 3 layer or model on the JAX backend as an in-process Piece.

    The same contract as `reusable_savedmodel.adapters.keras._produce.from_keras` (see
    there for `input_signature` and `callables`), with one difference the backend imposes:
    the piece holds `tf.Variable`s initialized from the model's current values, not the
    model's own variables (training one does not train the other). Its `__call__` runs
    the model through `jax2tf` for `training` False and True; the training trace assigns
    the new non-trainable values (batch-norm statistics, dropout seed states), so dropout
    differs between training calls. `variables` are the model's trainable variables
    (`trainable_variables`, none when `layer_or_model.trainable` is False) and the others;
    the weight regularizers, summed, are the one regularization loss. Activity
    regularizers and `add_loss` losses depend on the inputs and are not exported. The
    saved model also embeds the JAX functions, so `to_jax` (and `KerasLayer` on JAX) run
    them again without conversion.

    Args:
      layer_or_model: A built `keras.layers.Layer` or `keras.Model`.
      input_signature: A nest of `tf.TensorSpec` for the inputs; by default read from a
        functional or `Sequential` model's `keras.Input`s, with the batch dimension open.
      callables: Name -> a sublayer of `layer_or_model`, or `(sublayer, input_signature)`:
        named callables over the root's variables.

    Returns:
      An `rsm.Piece` whose object is a `reusable_savedmodel.adapters.jax.JaxExport`.

    Raises:
      TypeError: if `layer_or_model` or a callable is not a Keras 3 layer, or a
        callable is a tuple of other than two items.
      ValueError: if a layer is not built, an input signature is None and cannot be
        read from the model, or a callable's name is not admissible.
      UnsupportedBackendError: unless Keras runs on JAX.
    """
    require_backend("jax", "from_keras")
    require_built_layer(layer_or_model, "layer_or_model")
    if input_signature is None:
        input_signature = input_signature_of(layer_or_model)
    variables = KerasVariables(layer_or_model)
    named = {}
    for name, value in (callables or {}).items():
        layer, signature = callable_layer(name, value)
        named[name] = (variables.apply_fn(layer), signature)
    return from_jax(
        variables.apply_fn(layer_or_model),
        variables.params(),
        input_signature=input_signature,
        state=variables.state(),
        regularization_loss=variables.regularization_loss(),
        callables=named,
    )
