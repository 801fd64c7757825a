"""`Piece`: the one typed view over any object that implements the protocol."""

from __future__ import annotations

import functools
import logging
import reprlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from reusable_savedmodel.interface import _spec as spec_lib
from reusable_savedmodel.interface import _tf_functions as tf_functions
from reusable_savedmodel.interface._dispatch import EagerDispatch, call_zero_arg
from reusable_savedmodel.interface._errors import InputMismatchError, NonConformingError
from reusable_savedmodel.interface._protocol import FRAMEWORK_INTERNALS, LIST_ATTRIBUTES, Structure

_log = logging.getLogger(__name__)

#: tf.functions tf_keras saves on every layer: its own machinery, not entry points.
_TF_KERAS_FUNCTIONS = frozenset(
    {"call_and_return_all_conditional_losses", "call_and_return_conditional_losses"}
)

# Attributes tf_keras adds to every saved layer; they are Keras internals, not named callables.


def describe_value(value: Any) -> str:
    """Describes call arguments by dtype, shape and structure, for error messages."""
    if isinstance(value, (tf.Tensor, tf.Variable, np.ndarray)):
        shape = "[" + ",".join("?" if d is None else str(d) for d in tf.TensorShape(value.shape).as_list()) + "]" \
            if tf.TensorShape(value.shape).rank is not None else "[*]"
        return f"{tf.as_dtype(value.dtype).name}{shape}"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k!r}: {describe_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(describe_value(v) for v in value) + "]"
    return f"{type(value).__name__} {value!r}"


def _leaf_matches(value: Any, spec: Any) -> bool:
    if isinstance(spec, tf.TensorSpec):
        if not isinstance(value, (tf.Tensor, tf.Variable, np.ndarray)):
            return False
        return tf.as_dtype(value.dtype) == spec.dtype and spec.shape.is_compatible_with(value.shape)
    return type(value) is type(spec) and value == spec


def nest_matches(value: Any, spec: Any) -> bool:
    """Whether a nest of tensors fits a nest of `tf.TensorSpec` (lists and tuples alike)."""
    try:
        tf.nest.assert_same_structure(value, spec, check_types=False)
    except (ValueError, TypeError):
        return False
    return all(_leaf_matches(v, s) for v, s in zip(tf.nest.flatten(value), tf.nest.flatten(spec)))


def _to_tensor(value: Any, spec: tf.TensorSpec) -> Any:
    if isinstance(value, (tf.Tensor, tf.Variable)) or tf.is_symbolic_tensor(value):
        return value
    try:
        array = np.asarray(value)
        if spec.dtype == tf.string:
            return tf.constant(value, dtype=tf.string)
    except (ValueError, TypeError) as error:
        # reprlib: bounded in depth and length (a deep nest's repr would recurse without end).
        raise InputMismatchError(f"expected input convertible to {spec}, got {reprlib.repr(value)} ({error}).") from error
    if value is None or array.dtype.kind == "O":  # TensorFlow's own error here is a bare ValueError
        raise InputMismatchError(
            f"expected input convertible to {spec}, got "
            f"{'None' if value is None else 'a numpy array of Python objects (dtype=object)'}."
        )
    # Only numeric-to-numeric conversions are implicit; anything else is left for the
    # mismatch error to report.
    if array.dtype.kind in "biuf" and (spec.dtype.is_floating or spec.dtype.is_integer or spec.dtype.is_bool):
        if array.dtype.kind == "f" and not spec.dtype.is_floating:
            return tf.convert_to_tensor(array)
        return tf.convert_to_tensor(array.astype(spec.dtype.as_numpy_dtype))
    return tf.convert_to_tensor(array)


def coerce(value: Any, spec: Any) -> Any:
    """Turns numpy arrays and Python lists into Tensors as `spec` expects.

    A list where `spec` is one TensorSpec becomes one Tensor; a list or dict where `spec`
    is a list or dict is converted element by element.
    """
    if isinstance(spec, tf.TensorSpec):
        return _to_tensor(value, spec)
    if isinstance(spec, Mapping) and isinstance(value, Mapping):
        return {k: coerce(v, spec[k]) if k in spec else v for k, v in value.items()}
    if isinstance(spec, (list, tuple)) and isinstance(value, (list, tuple)) and len(spec) == len(value):
        return [coerce(v, s) for v, s in zip(value, spec)]
    return value


def _is_tensor(value: Any) -> bool:
    return isinstance(value, (tf.Tensor, tf.Variable))


def validate_training(training: Any, *, where: str, argument: str = "training") -> None:
    """Raises unless `training` is a Python bool or a scalar `tf.bool` tensor.

    Raises:
      InputMismatchError: naming `argument` and what came instead.
    """
    if isinstance(training, (bool, np.bool_)):
        return
    if not (_is_tensor(training) and training.dtype == tf.bool and training.shape.rank == 0):
        raise InputMismatchError(
            f"{where}: {argument} must be a Python bool or a scalar tf.bool tensor, "
            f"got {describe_value(training)}."
        )


def _call_function_of(obj: Any) -> Any:
    """The `tf.function` behind `obj.__call__`, or None."""
    if tf_functions.is_tf_function(obj):
        return None  # a bare tf.function is not a named callable
    call = getattr(obj, "__call__", None)
    return call if tf_functions.is_tf_function(call) else None


def listed(obj: Any, name: str) -> tuple[Any, ...]:
    """`obj.<name>` as a tuple, as the object lists it (`None` entries included).

    Raises:
      NonConformingError: if the attribute is not a list.
    """
    value = getattr(obj, name, None)
    if value is None:
        return ()
    if isinstance(value, (tf.Variable, str, bytes)) or not isinstance(value, Sequence):
        raise NonConformingError(
            f"`{name}` must be a list, got {type(value).__name__}. The protocol expects "
            f"a list of {'tf.functions' if name == 'regularization_losses' else 'tf.Variables'}."
        )
    return tuple(value)


def bare_functions(obj: Any) -> dict[str, Any]:
    """The public `tf.function` attributes of `obj` that are not protocol lists, by name.

    They are not named callables (those are objects with a `__call__`): e.g. the `f` that
    jax2tf exports put on the root, or a Keras 3 export's endpoints.
    """
    if not hasattr(obj, "__dict__"):
        return {}
    return {
        attr: value
        for attr, value in sorted(vars(obj).items())
        if not attr.startswith("_")
        and attr.isidentifier()
        and attr not in LIST_ATTRIBUTES
        and attr not in FRAMEWORK_INTERNALS
        and attr not in _TF_KERAS_FUNCTIONS
        and tf_functions.is_tf_function(value)
    }


class BareFunction(tf.__internal__.tracking.AutoTrackable):
    """A bare `tf.function` as a protocol object, so that a `Piece` can wrap it.

    Its `variables` are what the function's traces capture, `trainable_variables` those
    of them whose `trainable` flag is set; it has no regularization losses. Saved, it is a
    conforming Reusable SavedModel.

    Args:
      function: The `tf.function`.
    """

    def __init__(self, function: Any):
        super().__init__()
        self.__call__ = function
        captured = tf_functions.captured_variables(function)
        self.variables = list(captured)
        self.trainable_variables = [v for v in captured if v.trainable]
        self.regularization_losses: list[Any] = []


class Piece:
    """A typed view over an object implementing the Reusable SavedModel protocol.

    The object may be loaded (`tf.saved_model.load`), or in process (any object with a
    `tf.function` `__call__` and the optional `variables`, `trainable_variables` and
    `regularization_losses` lists). The Piece holds no copies: its variables are the
    object's own.

    A root without `__call__` is a Piece too when it has named callables, bare
    `tf.function`s or signatures: pick what runs with `callable(name)` or `signature(name)`.

    Args:
      obj: The object.
      handle: Where it was loaded from, if anywhere (for messages and re-export).
      name: A name for messages.
      tf1_hub_module: Whether `obj` was loaded from a TF1 Hub module (`tfhub_module.pb`):
        inference only, through its signatures (by default `"default"`).

    Raises:
      NonConformingError: if `obj` has no `tf.function` `__call__`, no named callables,
        no bare `tf.function`s and no signatures.
    """

    def __init__(
        self,
        obj: Any,
        *,
        handle: str | None = None,
        name: str | None = None,
        tf1_hub_module: bool = False,
    ):
        self._obj = obj
        self._handle = handle
        self._name = name or (handle or type(obj).__name__)
        self._tf1_hub_module = tf1_hub_module
        self._warned_none: set[str] = set()
        self._function = _call_function_of(obj)
        if self._function is None and not (self.signatures or self.callables or self.functions):
            raise NonConformingError(
                f"{self._name}: expected an object with a tf.function `__call__` (or named "
                f"callables, tf.functions or signatures to pick from), got "
                f"{type(obj).__name__} "
                f"{'whose __call__ is not a tf.function' if callable(obj) else 'that is not callable'}."
            )

    # -- the object ----------------------------------------------------------------

    @property
    def obj(self) -> Any:
        """The underlying object."""
        return self._obj

    @property
    def handle(self) -> str | None:
        """The handle it was loaded from, or None."""
        return self._handle

    @property
    def name(self) -> str:
        """A name for messages."""
        return self._name

    @property
    def function(self) -> Any:
        """The `tf.function` behind `__call__`, or None for a root without one."""
        return self._function

    @property
    def is_bare_function(self) -> bool:
        """Whether this piece wraps a bare `tf.function` (`callable(name)` of one)."""
        return isinstance(self._obj, BareFunction)

    @property
    def tf1_hub_module(self) -> bool:
        """Whether the piece was loaded from a TF1 Hub module (inference only)."""
        return self._tf1_hub_module

    def _list(self, name: str) -> tuple[Any, ...]:
        """`obj.<name>` without `None` entries, which are logged once per piece and list.

        tf_keras objects that own lookup tables (e.g. `TextVectorization`) save `None`
        among their `variables`; `rsm.check` reports those lists (RSM125).
        """
        values = listed(self._obj, name)
        if all(v is not None for v in values):
            return values
        if name not in self._warned_none:
            self._warned_none.add(name)
            where = [i for i, v in enumerate(values) if v is None]
            _log.warning(
                "%s: `%s` lists None at positions %s (not a variable); ignoring it. "
                "rsm.check reports this as RSM125.", self._name, name, where,
            )
        return tuple(v for v in values if v is not None)

    @property
    def variables(self) -> tuple[tf.Variable, ...]:
        """All variables any `__call__` trace uses (empty when absent)."""
        return self._list("variables")

    @property
    def trainable_variables(self) -> tuple[tf.Variable, ...]:
        """The variables to fine-tune (empty when absent)."""
        return self._list("trainable_variables")

    @property
    def non_trainable_variables(self) -> tuple[tf.Variable, ...]:
        """`variables` that are not in `trainable_variables`, in order."""
        trainable = {id(v) for v in self.trainable_variables}
        return tuple(v for v in self.variables if id(v) not in trainable)

    @property
    def regularization_losses(self) -> tuple[Any, ...]:
        """Zero-argument functions returning scalar float losses (empty when absent)."""
        return self._list("regularization_losses")

    def regularization_loss(self) -> tf.Tensor:
        """Returns the sum of the regularization losses (a float32 zero when there are none)."""
        losses = [call_zero_arg(loss) for loss in self.regularization_losses]
        if not losses:
            return tf.constant(0.0)
        return tf.add_n([tf.cast(x, losses[0].dtype) for x in losses])

    @property
    def signatures(self) -> Mapping[str, Any]:
        """Inference signatures, name -> concrete function (empty when none)."""
        value = getattr(self._obj, "signatures", None)
        return dict(value) if isinstance(value, Mapping) else {}

    @functools.cached_property
    def callables(self) -> Mapping[str, Piece]:
        """Named callables, one level deep: attribute name -> Piece."""
        if self._function is None and not hasattr(self._obj, "__dict__"):
            return {}
        found: dict[str, Piece] = {}
        for attr, value in sorted(vars(self._obj).items()):
            if (
                attr.startswith("_")
                or not attr.isidentifier()
                or attr in LIST_ATTRIBUTES
                or attr in FRAMEWORK_INTERNALS
                or value is self._obj
            ):
                continue
            if _call_function_of(value) is not None:
                found[attr] = Piece(value, handle=self._handle, name=f"{self._name}.{attr}")
        return found

    @functools.cached_property
    def functions(self) -> Mapping[str, Any]:
        """Bare `tf.function` attributes (not named callables): name -> `tf.function`."""
        return bare_functions(self._obj)

    @functools.cached_property
    def _function_pieces(self) -> dict[str, Piece]:
        return {
            attr: Piece(BareFunction(fn), handle=self._handle, name=f"{self._name}.{attr}")
            for attr, fn in self.functions.items()
        }

    def callable(self, name: str) -> Piece:
        """Returns the named callable `name`, or the Piece of the bare `tf.function` `name`.

        A bare function's Piece takes its variables from what the function captures (see
        `BareFunction`); `rsm.check` notes it is not a protocol callable (RSM105).

        Raises:
          NonConformingError: if there is no such named callable or function (the message
            lists them).
        """
        if name in self.callables:
            return self.callables[name]
        if name in self._function_pieces:
            return self._function_pieces[name]
        raise NonConformingError(
            f"{self._name} has no named callable {name!r}; available: "
            f"{', '.join(self.callables) or 'none'} (tf.functions: "
            f"{', '.join(self.functions) or 'none'}; signatures: "
            f"{', '.join(self.signatures) or 'none'})."
        )

    @property
    def is_signature_only(self) -> bool:
        """Whether the piece has no `__call__` and no named callables, but signatures.

        Bare `tf.function`s may sit beside the signatures (Keras 3 exports have `serve`).
        """
        return self._function is None and not self.callables and bool(self.signatures)

    @functools.cached_property
    def spec(self) -> spec_lib.PieceSpec:
        """The `PieceSpec`, read from the traces (computed once)."""
        return spec_lib.PieceSpec(
            call=spec_lib.call_spec(self._function) if self._function is not None else None,
            num_variables=len(self.variables),
            num_trainable_variables=len(self.trainable_variables),
            variable_bytes=sum(int(np.prod(v.shape)) * v.dtype.size for v in self.variables),
            num_regularization_losses=len(self.regularization_losses),
            callables={k: v.spec for k, v in self.callables.items()},
            signatures={k: spec_lib.signature_spec(v) for k, v in self.signatures.items()},
            functions={k: spec_lib.call_spec(v) for k, v in self.functions.items()},
        )

    @property
    def call_spec(self) -> spec_lib.CallSpec:
        """The `CallSpec` of `__call__` (`spec.call`, for a piece known to have one).

        Raises:
          NonConformingError: for a root without `__call__` (the message lists what can run).
        """
        call = self.spec.call
        if call is None:
            raise NonConformingError(no_call_message(self, _PIECE_ARGUMENTS))
        return call

    # -- calling -------------------------------------------------------------------

    def __call__(self, inputs: Any, training: Any = False, **kwargs: Any) -> Structure:
        """Runs the forward pass.

        Args:
          inputs: A Tensor, list or dict of Tensors; numpy arrays and Python lists are
            converted where the traces expect Tensors.
          training: A Python bool, or a boolean Tensor (then both traces run under `tf.cond`,
            or the one its constant value selects).
          **kwargs: Extra keyword arguments of the piece.

        Returns:
          The outputs.

        Raises:
          InputMismatchError: if the arguments match no trace (the message lists the
            accepted input specs and what came).
          NonConformingError: for a root without `__call__` (the message lists what can run).
        """
        if self._function is None:
            raise NonConformingError(no_call_message(self, _PIECE_ARGUMENTS))
        if not _is_tensor(inputs):
            inputs = self.coerce_inputs(inputs)
        if isinstance(training, (bool, np.bool_)):
            training = bool(training)
            if not kwargs:
                return self._eager_dispatch(inputs, training, lambda: self._call(inputs, training, kwargs))
            return self._call(inputs, training, kwargs)
        validate_training(training, where=self._name)
        static = tf.get_static_value(training)
        if static is not None:
            return self._call(inputs, bool(static), kwargs)
        if not self.call_spec.accepts_training:
            return self._call(inputs, False, kwargs)
        return tf.cond(
            tf.convert_to_tensor(training, tf.bool),
            lambda: self._call(inputs, True, kwargs),
            lambda: self._call(inputs, False, kwargs),
        )

    @functools.cached_property
    def _eager_dispatch(self) -> EagerDispatch:
        # Eager calls skip the tf.function's own dispatch once a signature has run.
        return EagerDispatch(self._function, self.call_spec.accepts_training)

    def coerce_inputs(self, inputs: Any) -> Any:
        """Converts numpy arrays and Python lists in `inputs` to Tensors the traces accept.

        Tries each accepted input structure in turn; inputs that fit none are returned
        converted as for the first, so the call reports the mismatch.
        """
        accepted = self.call_spec.inputs
        for spec in accepted:
            converted = coerce(inputs, spec)
            if nest_matches(converted, spec):
                return converted
        return coerce(inputs, accepted[0]) if accepted else inputs

    def _call(self, inputs: Any, training: bool, kwargs: Mapping[str, Any]) -> Structure:
        try:
            if self.call_spec.accepts_training:
                return self._function(inputs, training=training, **kwargs)
            return self._function(inputs, **kwargs)
        except (ValueError, TypeError) as error:
            mismatch = self._mismatch(inputs, training, kwargs)
            if mismatch is None:
                raise
            raise InputMismatchError(mismatch) from error

    def _mismatch(self, inputs: Any, training: bool, kwargs: Mapping[str, Any]) -> str | None:
        """Explains why a call matches no trace, or returns None when some trace fits."""
        call = self.call_spec
        for trace in call.traces:
            if not nest_matches(inputs, trace.inputs):
                continue
            if call.accepts_training and trace.training != training:
                continue
            if all(self._kwarg_fits(trace, name, value) for name, value in kwargs.items()):
                return None
        accepted = "\n".join(f"  - {spec_lib.format_spec(s)}" for s in call.inputs)
        lines = [
            f"{self._name}: the call matches none of the {len(call.traces)} traces of `__call__`.",
            f"Got inputs {describe_value(inputs)}, training={training!r}"
            + (f", kwargs {describe_value(dict(kwargs))}" if kwargs else "") + ".",
            f"Accepted inputs:\n{accepted}",
        ]
        if call.accepts_training:
            lines.append(f"training: traced for {list(call.training_values)}")
        if call.kwargs:
            lines.append("kwargs:\n" + "\n".join(f"  - {k}" for k in call.kwargs))
        return "\n".join(lines)

    @staticmethod
    def _kwarg_fits(trace: spec_lib.TraceSpec, name: str, value: Any) -> bool:
        if name not in trace.kwargs:
            return False
        expected = trace.kwargs[name]
        if isinstance(expected, tf.TensorSpec):
            return _is_tensor(value) or isinstance(value, (np.ndarray, float, int))
        return type(expected) is type(value) and expected == value

    def __repr__(self) -> str:
        kind = "not callable" if self._function is None else "callable"
        return (
            f"Piece({self._name!r}, {kind}, variables={len(self.variables)}, "
            f"trainable={len(self.trainable_variables)}, "
            f"regularization_losses={len(self.regularization_losses)})"
        )


#: How an adapter's caller names an entry point, for error messages.
ADAPTER_ARGUMENTS = ("callable=NAME", "signature=NAME")
#: How a Piece's caller runs an entry point, for error messages.
_PIECE_ARGUMENTS = ("piece.callable(NAME)", "piece.signatures[NAME](**tensors)")


def no_call_message(piece: Piece, how: tuple[str, str] = ADAPTER_ARGUMENTS) -> str:
    """The one wording of "this model has no `__call__`: pick what runs".

    Args:
      piece: The root without `__call__`.
      how: How the caller names a callable and a signature, e.g. `("callable=NAME",
        "signature=NAME")` or `("--callable NAME", "--signature NAME")`.

    Returns:
      The message, listing what can run.
    """
    runnable = ", ".join([*piece.callables, *piece.functions]) or "none"
    what = "is signature-only: it has no `__call__`" if piece.is_signature_only else "has no `__call__`"
    return (
        f"{piece.name} {what}; pick what runs: {how[0]} for a named callable or tf.function "
        f"({runnable}), or {how[1]} for inference through a signature "
        f"({', '.join(piece.signatures) or 'none'})."
        + (" It is a TF1 Hub module: adapters run its 'default' signature." if piece.tf1_hub_module else "")
    )
