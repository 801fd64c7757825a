"""Eager calls at graph speed: straight to the trace a `tf.function` chose before.

An eager call of a `tf.function` spends most of a small model's time in Python: binding
the arguments, building their trace type and looking it up among the traces. Inside an
outer `tf.function` that is paid once, at tracing. `EagerDispatch` pays it once per input
signature too: after a call has run through the `tf.function` (which picked, or traced,
the concrete function), later eager calls with the same dtypes, shapes and `training`
run that concrete function directly. Gradient tapes, variable watching and outputs are
the concrete function's own, so results are identical.

Only the plainest calls take this path: inputs that are one eager Tensor, or a flat list,
tuple or dict of distinct eager Tensors, a Python-bool `training` and no other keyword
arguments, eagerly, outside distribution strategies, with `tf.config.run_functions_eagerly`
off. Everything else, and
the first call of each signature, goes through the `tf.function`.

`call_zero_arg` does the same for a zero-argument `tf.function` (a regularization loss):
an eager training step calls each one, and its dispatch costs as much as the loss itself.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from typing import Any

import tensorflow as tf

from reusable_savedmodel.interface import _compat as compat

_EAGER_TENSOR = type(tf.constant(0))
#: Input signatures remembered per function; past this the memory starts afresh (a
#: caller feeding ever-new shapes gains nothing from it anyway).
_MAX_SIGNATURES = 64


def _leaf_key(value: Any) -> tuple[Any, ...] | None:
    if type(value) is not _EAGER_TENSOR:
        return None
    return (value.dtype, tuple(value.shape))


def _flat_inputs(inputs: Any) -> tuple[Hashable, list[tf.Tensor]] | None:
    """The signature key and the flat tensors of `inputs`, or None when it takes no fast path."""
    if type(inputs) is _EAGER_TENSOR:
        return (inputs.dtype, tuple(inputs.shape)), [inputs]
    if type(inputs) is dict:
        names = sorted(inputs) if all(type(k) is str for k in inputs) else None
        if names is None:
            return None
        flat = [inputs[k] for k in names]  # tf.nest flattens a dict in sorted key order
        keys: tuple[Any, ...] = tuple(names)
    elif type(inputs) in (list, tuple):
        flat, keys = list(inputs), ()
    else:
        return None
    leaves = [_leaf_key(v) for v in flat]
    # A tensor passed twice is passed once to the trace (aliasing): leave that to TF.
    if None in leaves or len({id(v) for v in flat}) != len(flat):
        return None
    return (type(inputs), keys, tuple(leaves)), flat


def _direct_path_allowed() -> bool:
    """Whether an eager call may run a remembered concrete function directly."""
    # Under a distribution strategy the tf.function resolves distributed variables per
    # replica; a concrete function called directly would read (and tape) the wrong ones.
    return (
        tf.executing_eagerly()
        and not tf.config.functions_run_eagerly()
        and not tf.distribute.has_strategy()
    )


class EagerDispatch:
    """Remembers which concrete function a `tf.function` runs for each eager signature.

    Args:
      function: The `tf.function` (restored or in process).
      accepts_training: Whether it takes the `training` keyword.
    """

    def __init__(self, function: Any, accepts_training: bool):
        self._function = function
        self._accepts_training = accepts_training
        self._chosen: dict[Hashable, Any] = {}

    def __call__(self, inputs: Any, training: bool, slow: Callable[[], Any]) -> Any:
        """Runs the call, directly when a call of the same signature ran before.

        Args:
          inputs: The call's inputs (already converted to Tensors).
          training: The Python bool `training` (ignored when not accepted).
          slow: Makes the call through the `tf.function` (with the caller's error handling).

        Returns:
          The outputs.
        """
        found = _flat_inputs(inputs) if _direct_path_allowed() else None
        if found is None:
            return slow()
        key, flat = found
        key = (training, key)
        concrete = self._chosen.get(key)
        if concrete is not None:
            return compat.call_concrete_flat(concrete, flat)
        outputs = slow()
        # Only after the call succeeded: the `tf.function` has traced (or restored) the
        # trace for these inputs, so looking it up traces nothing new.
        if len(self._chosen) >= _MAX_SIGNATURES:
            self._chosen.clear()
        if self._accepts_training:
            self._chosen[key] = self._function.get_concrete_function(inputs, training=training)
        else:
            self._chosen[key] = self._function.get_concrete_function(inputs)
        return outputs


#: Zero-argument tf.function -> the concrete function its first eager call ran. Weak keys:
#: an entry goes with its function (a concrete function holds no reference to it).
_ZERO_ARG_TRACES: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def call_zero_arg(function: Callable[[], Any]) -> Any:
    """Calls a zero-argument function; eagerly, a `tf.function`'s trace directly.

    The first eager call goes through the `tf.function` (which traces, or restores, its
    one trace); later eager calls run that trace directly. Calls while tracing a graph,
    under a distribution strategy or with `tf.config.run_functions_eagerly` go through
    `function` itself, as does every call of a callable that is not a `tf.function`.

    Args:
      function: A zero-argument callable, typically a (restored) `tf.function`.

    Returns:
      What `function()` returns.
    """
    if not hasattr(function, "get_concrete_function") or not _direct_path_allowed():
        return function()
    concrete = _ZERO_ARG_TRACES.get(function)
    if concrete is not None:
        return compat.call_concrete_flat(concrete, [])
    outputs = function()
    # After the call succeeded: the trace exists, so looking it up traces nothing.
    _ZERO_ARG_TRACES[function] = function.get_concrete_function()
    return outputs
