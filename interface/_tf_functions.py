"""Reading `tf.function`s: their traces, argument names and defaults, the variables they capture
(and a variable's name without TensorFlow's `:0` output suffix).

TensorFlow exposes the list of traces of a restored function publicly
(`concrete_functions`) but not of an in-process one; the one private call this
needs is kept here so nothing else depends on TF internals.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import tensorflow as tf

from reusable_savedmodel.interface import _compat as compat


def variable_name(variable: tf.Variable) -> str:
    """A variable's TF name without the output suffix: `dense/kernel` (it may repeat)."""
    return variable.name.removesuffix(":0")


def is_tf_function(value: Any) -> bool:
    """Whether `value` is a `tf.function` (restored or in process), not a concrete function."""
    return isinstance(value, tf.types.experimental.PolymorphicFunction)


def is_restored_function(value: Any) -> bool:
    """Whether `value` is a `tf.function` restored by `tf.saved_model.load`."""
    return is_tf_function(value) and hasattr(value, "concrete_functions")


def concrete_functions(function: Any) -> list[Any]:
    """Returns every trace of a `tf.function`: in the order they were made, or for a
    restored function in the order of their input signatures (a SavedModel stores them in
    an order that changes from one export to the next)."""
    if is_restored_function(function):
        return sorted(function.concrete_functions, key=lambda c: repr(c.structured_input_signature))
    return compat.all_concrete_functions(function)


def pristine_concrete_functions(function: Any) -> list[Any]:
    """Returns every trace of a `tf.function` as its graph was first traced.

    A restored function's traces are returned as they are. An in-process function is
    traced again, afresh, for each of its traces' input signatures: once TensorFlow
    differentiates an in-process trace it rewrites that trace's graph in place (extra
    outputs for the backward pass, nested calls switched to forward functions), which
    tools that read graphs (e.g. converters to JAX) cannot follow.
    """
    if is_restored_function(function):
        return concrete_functions(function)
    fresh = tf.function(function.python_function)
    return [
        fresh.get_concrete_function(*args, **kwargs)
        for args, kwargs in (c.structured_input_signature for c in concrete_functions(function))
    ]


def parameter_names(concrete: Any) -> list[str]:
    """The parameter names of one trace, `self` excluded, in positional order."""
    function_type = getattr(concrete, "function_type", None)
    if function_type is not None:
        return [n for n in function_type.parameters if n != "self"]
    return []


def bound_arguments(concrete: Any) -> dict[str, Any]:
    """Maps each parameter name of a trace to its `tf.TensorSpec` nest or Python value."""
    args, kwargs = concrete.structured_input_signature
    names = parameter_names(concrete)
    bound: dict[str, Any] = {}
    for i, value in enumerate(args):
        bound[names[i] if i < len(names) else f"arg{i}"] = value
    bound.update(kwargs)
    return bound


def argument_defaults(function: Any) -> Mapping[str, Any]:
    """The Python defaults of a `tf.function`'s parameters (`self` excluded)."""
    spec = getattr(function, "function_spec", None)
    argspec = getattr(spec, "fullargspec", None)
    if argspec is None:
        return {}
    args = [a for a in argspec.args if a != "self"]
    defaults = dict(zip(args[len(args) - len(argspec.defaults or ()) :], argspec.defaults or ()))
    defaults.update(argspec.kwonlydefaults or {})
    return defaults


def captured_variables(function: Any) -> list[tf.Variable]:
    """Every variable any trace of `function` captures, without duplicates, in trace order."""
    seen: dict[int, tf.Variable] = {}
    for concrete in concrete_functions(function):
        for v in concrete.variables:
            seen.setdefault(id(v), v)
    return list(seen.values())


def output_specs(concrete: Any) -> Any:
    """A trace's outputs as a nest of `tf.TensorSpec` (in-process traces hold symbolic Tensors).

    Dicts list their keys sorted, as `tf.nest` orders their values: a restored trace's
    output dict comes back in an order that changes from one process to the next.
    """
    return _sorted_dicts(
        tf.nest.map_structure(
            lambda t: tf.TensorSpec.from_tensor(t) if isinstance(t, tf.Tensor) else t,
            concrete.structured_outputs,
        )
    )


def _sorted_dicts(nest: Any) -> Any:
    if type(nest) is dict:
        return {key: _sorted_dicts(nest[key]) for key in sorted(nest)}
    if type(nest) in (list, tuple):
        return type(nest)(_sorted_dicts(item) for item in nest)
    return nest
