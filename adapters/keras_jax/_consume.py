"""`KerasLayer` on Keras 3's JAX backend: the piece runs as pure JAX through `to_jax`.

On `KERAS_BACKEND=jax` a Keras variable cannot keep a `tf.Variable` as its storage, so the
layer owns Keras variables initialized from the piece's values. The piece it hands out
(`layer.piece`) is never stale: every use of it (its object, variables, functions, named
callables, `rsm.save`) first writes the layer's current weights into the piece's
`tf.Variable`s, so training in Keras reaches an export of the piece. The piece's
`trainable_variables` become trainable Keras variables, its other `variables`
non-trainable ones. A training call runs the piece's training trace and assigns the new
state (e.g. batch-norm moving statistics) to the non-trainable variables inside `call`,
as Keras's own layers do on JAX: eager calls update them, and Keras's stateless calls
(`stateless_call`, jit-compiled `fit`) return the new values. Dropout draws a fresh key
from a `keras.random.SeedGenerator` on every training call.

Part of `reusable_savedmodel.adapters.keras_jax`, the Keras adapter's JAX-backend plugin;
imported only when Keras runs on JAX.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import keras
import numpy as np
import tensorflow as tf

from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.jax import JaxPiece, UnconvertibleError, X64RequiredError, to_jax
from reusable_savedmodel.adapters.jax.conversion import variable_paths
from reusable_savedmodel.adapters.jax.runtime import HOW_TO_ENABLE, NARROWED, x64_enabled
from reusable_savedmodel.adapters.keras import TensorFlowKerasLayer
from reusable_savedmodel.adapters.keras_jax import _synced as synced
from reusable_savedmodel.adapters.keras_jax._errors import StalePieceError
from reusable_savedmodel.interface.kit import SignatureCall


class _SignatureAsCall:
    """A signature as an in-process piece with a `__call__` over a dict of inputs.

    Every variable is non-trainable: signatures are inference only.
    """

    def __init__(self, function: Any, input_specs: Mapping[str, tf.TensorSpec]):
        self.__call__ = tf.function(
            lambda inputs: function(**inputs), input_signature=[dict(input_specs)]
        )
        self.variables = list(function.variables)
        self.trainable_variables: list[tf.Variable] = []


class JaxSignatureCall(SignatureCall):
    """A `SignatureCall` that runs the signature as JAX (converted once, with `to_jax`)."""

    def __init__(self, piece: rsm.Piece, name: str, output_key: str | None):
        super().__init__(piece, name, output_key)
        self.jax_piece = to_jax(_SignatureAsCall(self.function, self.input_specs))

    def run(self, named: Mapping[str, Any]) -> Mapping[str, Any]:
        """Runs the converted signature on named inputs (arrays); returns its output dict."""
        return self.jax_piece.apply({}, self.jax_piece.state, dict(named))[0]


def _keras_variable(value: jax.Array, name: str, trainable: bool) -> keras.Variable:
    """A Keras variable holding a copy of `value`, named after the piece's variable.

    A copy, not `value` itself: Keras's jit-compiled `fit` donates its variables' buffers,
    and the piece's own arrays must outlive that (its regularization losses read them).
    With JAX's 64-bit types off, Keras holds a 64-bit value in 32 bits: only a value that
    fits exactly (a batch-norm counter, a seed) is taken.

    Raises:
      X64RequiredError: for a 64-bit value that 32 bits cannot hold exactly.
    """
    copy = np.array(value)
    if copy.dtype in NARROWED and not x64_enabled():
        narrow = copy.astype(NARROWED[copy.dtype])
        if not np.array_equal(narrow.astype(copy.dtype), copy, equal_nan=copy.dtype.kind in "fc"):
            raise X64RequiredError(
                f"variable {name!r} is {copy.dtype.name} with values 32 bits cannot hold, and Keras "
                f"on JAX keeps variables in 32 bits while JAX's 64-bit types are off. "
                f"{HOW_TO_ENABLE}"
            )
    return keras.Variable(copy, trainable=trainable, dtype=value.dtype.name, name=name.replace("/", "_"))


def _to_jax_value(value: Any) -> Any:
    """A TF tensor as a JAX array; anything else as it is."""
    return jnp.asarray(np.asarray(value)) if tf.is_tensor(value) else value


@keras.saving.register_keras_serializable(package="reusable_savedmodel")
class KerasLayer(TensorFlowKerasLayer):
    """A Reusable SavedModel (or any `rsm.Piece`) as a Keras 3 layer, on the JAX backend.

    The same layer as `reusable_savedmodel.adapters.keras.TensorFlowKerasLayer` (arguments,
    config, `.keras` saving and safe mode alike; see there), running the piece converted
    to JAX (`reusable_savedmodel.adapters.jax.to_jax`). `reusable_savedmodel.adapters.keras`
    exports this class as `KerasLayer` when `keras.backend.backend()` is "jax"; a `.keras`
    file saved on either backend loads on both.

    The weights are Keras variables the layer owns, initialized from the piece's values
    (trainable ones for the piece's `trainable_variables`): training changes them, and
    `layer.piece` writes them into the piece's variables before every use of it (so
    `rsm.save(layer.piece, path)` exports the trained model). `training=True` on a trainable layer runs the training trace, assigns the
    new state to the non-trainable weights and draws dropout keys from the layer's
    `keras.random.SeedGenerator` (seeded from Keras's global seed; see
    `keras.utils.set_random_seed`). Regularization losses are the piece's, computed from
    the current weights, and count only while the layer is trainable.

    Raises:
      UnconvertibleError: if the piece (or signature) uses ops JAX cannot express.
      StalePieceError: if a converted variable matches none of the piece's (training
        could not be written back).
      (and everything `TensorFlowKerasLayer` raises)
    """

    _BACKEND = "jax"

    def _bind_variables(
        self, variables: Sequence[tf.Variable], trainable_variables: Sequence[tf.Variable]
    ) -> None:
        """Creates Keras variables from the converted piece's params and state.

        Also makes the piece `layer.piece` hands out, which writes these variables back
        into the piece's own (`synced.SyncedPiece`).
        """
        del trainable_variables  # the converted piece names and orders them
        try:
            if self._signature is not None:
                self._signature = JaxSignatureCall(
                    self._piece, self._options["signature"], self._options["output_key"]
                )
                jax_piece = self._signature.jax_piece
            else:
                jax_piece = to_jax(self._piece)
        except UnconvertibleError as error:
            raise UnconvertibleError(
                f"{error} On Keras's JAX backend KerasLayer runs the piece as JAX: do that "
                f"part outside the model (e.g. text preprocessing in tf.data), or use "
                f"KERAS_BACKEND=tensorflow."
            ) from error
        self._jax_piece: JaxPiece = jax_piece
        self._arguments = {k: _to_jax_value(v) for k, v in self._arguments.items()}
        self._param_names = list(jax_piece.params)
        self._state_names = list(jax_piece.state)
        # Assigned as attributes, the Keras variables and the seed generator are tracked
        # as the layer's weights (the generator's state non-trainable).
        self._params = [_keras_variable(jax_piece.params[n], n, True) for n in self._param_names]
        self._state = [_keras_variable(jax_piece.state[n], n, False) for n in self._state_names]
        self._piece_weights = [*self._params, *self._state]
        names = [*self._param_names, *self._state_names]
        # 64-bit values the Keras variables hold in 32 bits, each checked exact above.
        converted = [*jax_piece.params.values(), *jax_piece.state.values()]
        self._held_narrowed = frozenset(
            name
            for name, held, source in zip(names, self._piece_weights, converted)
            if np.dtype(held.value.dtype) != np.dtype(source.dtype)
        )
        # The converted piece keys its values by `variable_paths` of the variables it was
        # converted from (the piece's, or its signature's): pair each copy with its source.
        by_path = dict(zip(variable_paths(list(variables)), variables))
        unpaired = [name for name in names if name not in by_path]
        if unpaired:
            raise StalePieceError(
                f"{self._piece.name}: the converted piece's variables {unpaired} match none of "
                f"the piece's; the layer's training could not be written back into the piece."
            )
        write_back = synced.WriteBack([(v, by_path[n]) for n, v in zip(names, self._piece_weights)])
        self._synced_piece = synced.SyncedPiece(self._piece, write_back)
        self._seed_generator = keras.random.SeedGenerator()
        has_losses = self._signature is None and bool(self._piece.regularization_losses)
        self._regularization_losses = (self._regularization_loss,) if has_losses else ()

    @property
    def piece(self) -> rsm.Piece:
        """The wrapped piece, holding the layer's current weights whenever it is used.

        Every use of it (and of the named callables it hands out) first writes the
        layer's changed weights into the piece's `tf.Variable`s, so
        `rsm.save(layer.piece, path)` exports the trained model.
        """
        return self._synced_piece

    def _values(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The current params and state (the stateless scope's values inside one)."""
        params = dict(zip(self._param_names, (v.value for v in self._params)))
        state = dict(zip(self._state_names, (v.value for v in self._state)))
        return params, state

    def _run_piece(self, inputs: Any, training: Any, kwargs: Mapping[str, Any]) -> Any:
        """Runs the trace for `training`; in training assigns the new state."""
        params, state = self._values()
        jax_piece = self._jax_piece
        trace = jax_piece.trace(jax_piece.select(inputs, training, **kwargs))
        rng = self._seed_generator.next() if trace.needs_rng else None
        # Compiled when called eagerly; inside Keras's own jit or grad it traces like apply.
        outputs, new_state = jax_piece.jit_apply(
            params, state, inputs, training=training, rng=rng, held_narrowed=self._held_narrowed, **kwargs
        )
        if training:
            for name, variable in zip(self._state_names, self._state):
                variable.assign(new_state[name])
        return outputs

    def _regularization_loss(self) -> jax.Array:
        """The piece's regularization losses, summed, at the current params."""
        params, _ = self._values()
        return self._jax_piece.regularization_loss(params)

    def _coerce(self, inputs: Any) -> Any:
        """Turns numpy arrays and Python lists into JAX arrays as the piece expects."""
        return tf.nest.map_structure(_to_jax_value, super()._coerce(inputs))
