"""`KerasLayer`: a Reusable SavedModel as a Keras 3 layer (TensorFlow backend)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.keras import _backends as backends
from reusable_savedmodel.adapters.keras import _compat as compat
from reusable_savedmodel.adapters.keras import _config as config_lib
from reusable_savedmodel.adapters.keras import _fast_path as fast_path
from reusable_savedmodel.adapters.keras import _hub_args as hub_args
from reusable_savedmodel.adapters.keras._signature import SignatureCall
from reusable_savedmodel.interface.kit import call_zero_arg, choose_entry_point, coerce


def _keras_variable(variable: tf.Variable, trainable: bool) -> keras.Variable:
    """A Keras variable whose storage is `variable` itself (the TF backend keeps it)."""
    name = variable.name.split(":")[0].replace("/", "_")
    wrapped = keras.Variable(variable, trainable=trainable, dtype=variable.dtype.name, name=name)
    if wrapped.value is not variable:  # never train a copy: fine-tuning would be lost
        raise RuntimeError(
            f"keras.Variable copied {variable.name} instead of keeping it; KerasLayer needs "
            f"the TensorFlow backend (KERAS_BACKEND=tensorflow), got {keras.backend.backend()}."
        )
    return wrapped


def _tensor_arguments(piece: rsm.Piece, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Checks `arguments` against the piece's kwargs; tensor kwargs become Tensors once."""
    kwargs = {k.name: k for k in piece.call_spec.kwargs}
    converted = {}
    for name, value in arguments.items():
        if name not in kwargs:
            raise rsm.InputMismatchError(
                f"arguments: {piece.name} has no keyword argument {name!r}; it takes "
                f"{', '.join(kwargs) or 'none'}."
            )
        spec = kwargs[name].spec
        converted[name] = coerce(value, spec) if kwargs[name].kind == "tensor" else value
    return converted


def _has_host_values(inputs: Any) -> bool:
    """Whether `inputs` holds numpy arrays or Python numbers/strings (not only tensors)."""
    if tf.is_tensor(inputs):
        return False
    return any(
        isinstance(leaf, (np.ndarray, np.generic, float, int, str, bytes))
        for leaf in tf.nest.flatten(inputs)
    )


def _symbolic_inputs(shape: Any, spec: Any) -> Any:
    """`keras.KerasTensor`s of `shape` (a nest of shapes) with the dtypes of `spec`."""
    if isinstance(spec, tf.TensorSpec):
        return keras.tree.map_shape_structure(
            lambda s: keras.KerasTensor(s, dtype=spec.dtype.name), shape
        )
    if isinstance(spec, Mapping):
        return {k: _symbolic_inputs(shape[k], spec[k]) for k in shape}
    return [_symbolic_inputs(s, t) for s, t in zip(shape, spec, strict=True)]


@keras.saving.register_keras_serializable(package="reusable_savedmodel")
class KerasLayer(keras.layers.Layer):
    """A Reusable SavedModel (or any `rsm.Piece`) as a Keras 3 layer.

    The layer's weights are the piece's own variables (Keras variables that keep the
    piece's `tf.Variable`s as their storage): training the layer updates the piece, so
    `rsm.save(layer.piece, path)` re-exports the fine-tuned model. The piece's
    `trainable_variables` are the layer's trainable weights, the rest of its `variables`
    non-trainable ones.

    Frozen (`trainable=False`, the default) the layer has no trainable weights and no
    losses, and always runs the piece's `training=False` trace. Trainable, it forwards the
    `training` Keras passes (a Python bool, or a boolean Tensor: then both traces run
    under `tf.cond`) and lists the piece's `regularization_losses` in `layer.losses`.
    Setting `layer.trainable` later has the same effects.

    A model holding the layer saves to `.keras` and loads back with
    `keras.saving.load_model` when the layer was built from a string handle: the file
    keeps the handle and the current weights. In Keras' safe mode (its default) the
    handle must be local and pass `rsm.scan` (see `reusable_savedmodel.adapters.keras._config`).

    Example:
      model = keras.Sequential([
          keras.Input(shape=(4,)),
          KerasLayer("/path/to/saved_model", trainable=True),
          keras.layers.Dense(3),
      ])

    Args:
      handle_or_piece: A handle (directory, `file://` or `http(s)://`), a loaded object,
        an in-process object implementing the protocol, or an `rsm.Piece`.
      trainable: Whether the piece's `trainable_variables` train. False by default, as
        in tensorflow_hub's `KerasLayer` (whose users this layer replaces) and as Keras
        transfer learning starts: a reused piece is frozen until the caller opts in.
      arguments: Keyword arguments for every call of the piece (e.g.
        `{"dropout_rate": 0.2}`); tensor kwargs are converted to Tensors once. Call
        kwargs take precedence. With `signature`, further named inputs.
      callable: The name of a named callable to use instead of `__call__`.
      signature: The name of a signature to call instead of `__call__` (inference only).
      output_key: With `signature`, the one output to return (else the whole dict).
      signature_outputs_as_dict: With `signature`, return its whole output dict (hub's
        flag; excludes `output_key`).
      output_shape: The output shape without the batch dimension (a nest of shapes for
        nested outputs), for functional models; by default Keras finds it by tracing.
      tags: MetaGraph tags, when loading a handle.
      load_options: `tf.saved_model.LoadOptions`, when loading a handle (not kept in the
        config).
      input_shape: The input shape without the batch dimension, as in hub: a Sequential
        whose first layer this is starts with an input of this shape and of the layer's
        `dtype` (e.g. `input_shape=[], dtype=tf.string` for a text model).
      batch_input_shape: The same with the batch dimension first (tf_keras configs).
      **layer_kwargs: `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Raises:
      HandleError: if a handle cannot be loaded.
      NonConformingError: if the object does not implement the protocol, has no such
        named callable or signature (the message lists them), or is signature-only and no
        `signature` was given.
      InputMismatchError: if `arguments` names a keyword the piece does not take.
      UnsupportedError: for `trainable=True` with `signature`, or for a TF1 Hub module
        (inference only: its signature, by default `"default"` with output `"default"`,
        as in TF Hub) with `trainable=True` or `callable`.
      ValueError: for `output_key` without
        `signature`, both `callable` and `signature`, `tags`/`load_options` with an
        object rather than a handle, `signature_outputs_as_dict=True` without `signature`
        or with `output_key`, or disagreeing `input_shape` and `batch_input_shape`.
      UnsupportedBackendError: unless Keras runs on TensorFlow (this class) or JAX
        (`reusable_savedmodel.adapters.keras.KerasLayer` then is the subclass
        `reusable_savedmodel.adapters.keras_jax.KerasLayer`).
    """

    #: The Keras backend this implementation runs on.
    _BACKEND = "tensorflow"

    def __init__(
        self,
        handle_or_piece: Any,
        *,
        trainable: bool = False,
        arguments: Mapping[str, Any] | None = None,
        callable: str | None = None,  # the fixed public name, though it shadows a builtin
        signature: str | None = None,
        output_key: str | None = None,
        output_shape: Any = None,
        tags: Any = None,
        load_options: tf.saved_model.LoadOptions | None = None,
        signature_outputs_as_dict: bool | None = None,
        input_shape: Any = None,
        batch_input_shape: Any = None,
        **layer_kwargs: Any,
    ):
        backends.require_backend(self._BACKEND, "KerasLayer")
        # Kept from Keras (which would start a Sequential with a float input): see `input_shape`.
        self._input_shape = hub_args.input_shape(input_shape, batch_input_shape)
        handle = config_lib.handle_string(handle_or_piece)
        if handle is None and (tags is not None or load_options is not None):
            raise ValueError(
                f"tags and load_options apply to loading a handle; got a "
                f"{type(handle_or_piece).__name__}, which is already loaded."
            )
        super().__init__(trainable=trainable, **layer_kwargs)
        if handle is not None:
            root = rsm.load(handle, tags=tags, options=load_options)
        else:
            root = rsm.as_piece(handle_or_piece)
        entry = choose_entry_point(
            root,
            owner="KerasLayer",
            callable=callable,
            signature=signature,
            output_key=output_key,
            trainable=trainable,
            outputs_as_dict=bool(signature_outputs_as_dict),
            require_call=False,  # hub's argument errors come first
        )
        signature, output_key = entry.signature, entry.output_key
        # After TF1 Hub's defaults: hub checks the signature it will actually call.
        hub_args.check_signature_outputs(signature, output_key, signature_outputs_as_dict)
        entry.check_runnable()
        piece = entry.piece
        self._handle = handle
        self._piece = piece
        self._options = {
            "arguments": config_lib.to_config_value(dict(arguments or {})),
            "callable": callable,
            "signature": signature,
            "output_key": output_key,
            "output_shape": config_lib.to_config_value(output_shape),
            "tags": config_lib.to_config_value(tags),
            "signature_outputs_as_dict": bool(signature_outputs_as_dict),
            "input_shape": None if self._input_shape is None else list(self._input_shape),
        }
        self._output_shape = output_shape
        if signature is not None:
            self._signature: SignatureCall | None = SignatureCall(piece, signature, output_key)
            self._arguments = dict(arguments or {})
            trainable_variables: Sequence[tf.Variable] = ()
            variables: Sequence[tf.Variable] = self._signature.variables
        else:
            self._signature = None
            self._arguments = _tensor_arguments(piece, arguments or {})
            trainable_variables = piece.trainable_variables
            variables = piece.variables
        self._bind_variables(variables, trainable_variables)
        # Keras decides trainability per variable: a frozen layer's must say so, or an
        # enclosing model would train them.
        keras.layers.Layer.trainable.fset(self, self._trainable)
        self.built = True

    def _bind_variables(
        self, variables: Sequence[tf.Variable], trainable_variables: Sequence[tf.Variable]
    ) -> None:
        """Makes the piece's variables the layer's weights and its losses the layer's.

        Sets `_piece_weights` (Keras variables over the piece's own `tf.Variable`s) and
        `_regularization_losses` (zero-argument loss functions); the JAX backend's layer
        overrides this.
        """
        train_ids = {id(v) for v in trainable_variables}
        # Assigned as attributes, the Keras variables are tracked as the layer's weights
        # (trainable ones first, as Keras lists them).
        self._piece_weights = [
            _keras_variable(v, trainable=id(v) in train_ids) for v in variables
        ]
        self._regularization_losses = (
            tuple(self._piece.regularization_losses) if self._signature is None else ()
        )

    # -- properties ----------------------------------------------------------------

    @property
    def piece(self) -> rsm.Piece:
        """The wrapped piece (the named callable's, if `callable` was given)."""
        return self._piece

    @property
    def handle(self) -> str | None:
        """The handle the piece was loaded from, if the layer was built from one."""
        return self._handle

    @property
    def input_shape(self) -> tuple[int | None, ...]:
        """`(None, *input_shape)`, if `input_shape` was given (as in hub).

        A Sequential whose first layer has this attribute starts with an input of this
        shape and of the layer's compute dtype (Keras' own `input_shape=` handling would
        always make it float).

        Raises:
          AttributeError: if no `input_shape` was given.
        """
        if self._input_shape is None:
            raise AttributeError(f"{self.name} was built without input_shape.")
        return (None, *self._input_shape)

    @property
    def trainable(self) -> bool:
        """Whether the piece's trainable variables train (settable)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        if value and getattr(self, "_signature", None) is not None:
            raise rsm.UnsupportedError(
                f"{self.name}: a KerasLayer calling signature {self._options['signature']!r} "
                f"is inference only and cannot be made trainable"
                + (" (fine-tuning a TF1 Hub module is out of scope)." if self._piece.tf1_hub_module else ".")
            )
        keras.layers.Layer.trainable.fset(self, value)

    # -- calling -------------------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Calls the layer; plain eager calls skip Keras' bookkeeping (see `fast_path`)."""
        if args and _has_host_values(args[0]):
            args = (self._coerce(args[0]), *args[1:])
        if fast_path.applies(self, args, kwargs):
            return self.call(args[0], **kwargs)
        return super().__call__(*args, **kwargs)

    def call(self, inputs: Any, training: Any = None, **kwargs: Any) -> rsm.Structure:
        """Runs the piece (or its signature).

        Args:
          inputs: A Tensor, a list or a dict of Tensors.
          training: A Python bool or boolean Tensor; None means False. Ignored when the
            layer is frozen: it then runs the inference trace.
          **kwargs: The piece's extra keyword arguments (over `arguments`).

        Returns:
          The piece's outputs.

        Raises:
          InputMismatchError: if the arguments match no trace (the message lists the
            accepted inputs).
        """
        if self._arguments:
            kwargs = {**self._arguments, **kwargs}
        if self._signature is not None:
            return self._signature(inputs, kwargs)
        if training is None or not self._trainable:
            training = False
        return self._run_piece(inputs, training, kwargs)

    def _run_piece(self, inputs: Any, training: Any, kwargs: Mapping[str, Any]) -> Any:
        """Runs the piece's trace for `training` (the JAX backend's layer overrides this)."""
        return self._piece(inputs, training, **kwargs)

    def _coerce(self, inputs: Any) -> Any:
        """Turns numpy arrays and Python lists into Tensors as the piece expects."""
        if self._signature is not None:
            if isinstance(inputs, Mapping):
                return {k: coerce(v, self._signature.input_specs.get(k)) for k, v in inputs.items()}
            return inputs
        return self._piece.coerce_inputs(inputs)

    # -- losses --------------------------------------------------------------------

    def _get_own_losses(self) -> list[Any]:
        # Keras collects each layer's own losses through this hook (for `layer.losses`
        # and `model.losses`); the piece's losses are computed when asked for, so they
        # follow the current weights and `trainable`. An eager training step asks for them
        # every step: each runs its trace directly, not through its tf.function's dispatch.
        losses = super()._get_own_losses()
        if self._trainable:
            losses.extend(call_zero_arg(loss) for loss in self._regularization_losses)
        return losses

    # -- shapes --------------------------------------------------------------------

    def compute_output_spec(self, inputs: Any, training: Any = None, **kwargs: Any) -> Any:
        """The output as `keras.KerasTensor`s: from `output_shape` if given, else traced.

        Args:
          inputs: `keras.KerasTensor`s as for `call`.
          training: As for `call`.
          **kwargs: As for `call`.

        Returns:
          A nest of `keras.KerasTensor` like the outputs.
        """
        if self._output_shape is None:
            # Keras traces `call` on placeholders in a scratch graph: nothing runs. (Not
            # `super()`, which would call `compute_output_shape`, which calls this.)
            return compat.compute_output_spec(self.call, inputs, training=training, **kwargs)
        batch = keras.tree.flatten(inputs)[0].shape[0]
        dtype = self._output_dtype()
        return keras.tree.map_shape_structure(
            lambda shape: keras.KerasTensor((batch, *shape), dtype=dtype), self._output_shape
        )

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape(s) for inputs of `input_shape` (batch dimension included).

        Args:
          input_shape: A shape tuple, or a nest of them like the inputs.

        Returns:
          A shape tuple, or a nest of them like the outputs.
        """
        if self._output_shape is not None:
            batch = keras.tree.flatten(input_shape)[0] if input_shape else None
            return keras.tree.map_shape_structure(lambda shape: (batch, *shape), self._output_shape)
        if self._signature is not None:
            specs: Any = dict(self._signature.input_specs)
            if len(specs) == 1 and not isinstance(input_shape, Mapping):
                specs = next(iter(specs.values()))
        else:
            specs = self._piece.call_spec.inputs[0]
        symbolic = _symbolic_inputs(input_shape, specs)
        return keras.tree.map_structure(lambda t: t.shape, self.compute_output_spec(symbolic))

    def _output_dtype(self) -> str:
        """The outputs' dtype if they share one, else the layer's compute dtype."""
        if self._signature is not None:
            outputs = self._signature.outputs
        else:
            outputs = self._piece.call_spec.outputs
        dtypes = {s.dtype.name for s in tf.nest.flatten(outputs) if isinstance(s, tf.TensorSpec)}
        return dtypes.pop() if len(dtypes) == 1 else self.compute_dtype

    # -- config --------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """The config: the handle, the options, and `keras.layers.Layer`'s.

        Raises:
          NotImplementedError: if the layer was built from an object, not a handle.
        """
        if self._handle is None:
            raise NotImplementedError(
                f"{self.name}: KerasLayer has a config only when built from a handle (a path "
                f"or URL string); this one wraps a {type(self._piece.obj).__name__} object. "
                f"Save the piece with rsm.save(layer.piece, path) and build the layer from path."
            )
        return {**super().get_config(), "handle": self._handle, **self._options}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> KerasLayer:
        """Builds the layer from `get_config`'s output.

        In Keras' safe mode (on unless turned off) the handle must be local and the
        SavedModel must pass a strict `rsm.scan`.

        Raises:
          ValueError: in safe mode, for an http(s) handle.
          UnsafeModelError: in safe mode, if the scan flags any op.
        """
        config = dict(config)
        handle = config.pop("handle")
        if compat.in_safe_mode():
            config_lib.check_safe_to_load(handle)
        return cls(handle, **config)

    def __repr__(self) -> str:
        return (
            f"KerasLayer(name={self.name!r}, piece={self._piece.name!r}, "
            f"trainable={self._trainable}, weights={len(self._piece_weights)}, "
            f"trainable_weights={len(self.trainable_weights)}"
            + (f", signature={self._options['signature']!r}" if self._signature else "")
            + ")"
        )
