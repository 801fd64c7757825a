"""TensorFlow's private APIs, all in one place.

The library needs a few things TensorFlow offers no public accessor for. Each is resolved
here, at import, so that a TensorFlow release that moves one fails at once with an error
naming the symbol, instead of deep inside a call. `tests/interface/test_compat.py` imports
every symbol listed in `PRIVATE_SYMBOLS`.
"""

from __future__ import annotations

import importlib
from typing import Any

import tensorflow as tf


def private_symbol(module: str, name: str, *, framework: str, version: str) -> Any:
    """Returns `module.name`, or raises an ImportError that names it.

    Args:
      module: The dotted module path.
      name: The attribute of that module.
      framework: The framework's name, for the message.
      version: The installed version, for the message.

    Raises:
      ImportError: if the module or the attribute is missing in this release.
    """
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as error:
        raise ImportError(
            f"reusable_savedmodel uses {module}.{name}, a private {framework} API that "
            f"{framework} {version} does not have: this {framework} release is not supported "
            f"yet ({error})."
        ) from error


def _tf(module: str, name: str) -> Any:
    return private_symbol(module, name, framework="TensorFlow", version=tf.__version__)


#: (module, name) of every private TensorFlow symbol the library uses.
PRIVATE_SYMBOLS = (
    ("tensorflow.python.framework.op_def_registry", "get"),
    ("tensorflow.python.framework.function_def_to_graph", "function_def_to_graph_def"),
)

_op_def = _tf(*PRIVATE_SYMBOLS[0])

#: `function_def_to_graph_def(fdef) -> (GraphDef, nested_to_flat_tensor_name)`: the body
#: of a library function as a graph, with the map from its output names to graph tensors.
function_def_to_graph_def = _tf(*PRIVATE_SYMBOLS[1])


def is_registered_op(name: str) -> bool:
    """Whether `name` is an op type registered in this process."""
    return _op_def(name) is not None


def attr_default(op: str, attr: str) -> Any:
    """The registered default `AttrValue` of an op's attribute, or None (no default, no op)."""
    definition = _op_def(op)
    for candidate in definition.attr if definition is not None else ():
        if candidate.name == attr and candidate.HasField("default_value"):
            return candidate.default_value
    return None


def all_concrete_functions(function: Any) -> list[Any]:
    """Every concrete function an in-process `tf.function` has traced so far."""
    # In-process functions have no public listing of their traces.
    return list(function._list_all_concrete_functions())  # noqa: SLF001


def call_concrete_flat(concrete: Any, flat_inputs: list[Any]) -> Any:
    """Runs a concrete function on its flat tensor inputs, skipping argument binding.

    This is what a `tf.function` call does once it has picked the concrete function; the
    public `ConcreteFunction.__call__` binds the structured arguments again.
    """
    return concrete._call_flat(flat_inputs, concrete.captured_inputs)  # noqa: SLF001
