"""The adapter kit: what every framework adapter shares, from the core.

Adapters import the core's public API (`reusable_savedmodel.interface`) and this module,
nothing else of the core. Everything here is documented and kept stable for adapters:

- Inputs: `coerce` (a value to a tensor nest matching a spec), `nest_matches`,
  `describe_value` (a short description of what a caller passed, for error messages).
- Calls: `validate_training` (a Python bool or a scalar bool tensor, or a clear error);
  `choose_entry_point` (what runs: `__call__`, `callable=`, `signature=`/`output_key=`, TF
  Hub's defaults for TF1 Hub modules; `EntryPoint`, `no_call_message`) and `SignatureCall`
  (a signature called with a Tensor or dict, `output_key` selecting one output).
- Traces: `TraceSpec` (one traced argument combination), `pristine_concrete_functions`,
  `argument_defaults`, `captured_variables`, `is_tf_function`, `call_zero_arg` (a
  zero-argument `tf.function`, such as a regularization loss, at graph speed when eager);
  `variable_name` (a variable's TF name without the `:0` suffix).
- Handles: `is_remote` (an http(s) handle), `Handle` (what counts as a handle); for the
  commands above the adapters, `Cache` (the download cache) and `cache_name` (a handle's
  cache entry); `TASKS` (the task names `check` knows).
- The protocol's attribute names: `LIST_ATTRIBUTES`.
- Packaging: `missing_extra` (the error an adapter raises when its framework is missing),
  `lazy_names` (a package's names imported on first use, as here),
  `private_symbol` (a framework's private API, resolved once, with a clear error when a
  release moved it) and TensorFlow's own `function_def_to_graph_def`.
- Messages: `counted` ("1 finding", "2 findings").

Each name is imported on first use, so importing the kit imports no TensorFlow (the CLI's
fast paths and the JAX adapter's TF-free half rely on it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reusable_savedmodel.interface._lazy import lazy_names

if TYPE_CHECKING:
    from reusable_savedmodel.interface._compat import function_def_to_graph_def, private_symbol
    from reusable_savedmodel.interface._dispatch import call_zero_arg
    from reusable_savedmodel.interface._entry_point import EntryPoint, choose_entry_point
    from reusable_savedmodel.interface._extras import missing_extra
    from reusable_savedmodel.interface._lazy import lazy_names
    from reusable_savedmodel.interface._piece import (
        coerce,
        describe_value,
        nest_matches,
        no_call_message,
        validate_training,
    )
    from reusable_savedmodel.interface._plurals import counted
    from reusable_savedmodel.interface._protocol import LIST_ATTRIBUTES
    from reusable_savedmodel.interface._signature_call import SignatureCall
    from reusable_savedmodel.interface._spec import TraceSpec
    from reusable_savedmodel.interface._tasks import TASKS
    from reusable_savedmodel.interface._tf_functions import (
        argument_defaults,
        captured_variables,
        is_tf_function,
        pristine_concrete_functions,
        variable_name,
    )
    from reusable_savedmodel.interface.handles import Cache, Handle, cache_name, is_remote

__getattr__, __dir__ = lazy_names(
    __name__,
    {
        **dict.fromkeys(
            ("function_def_to_graph_def", "private_symbol"), "reusable_savedmodel.interface._compat"
        ),
        "call_zero_arg": "reusable_savedmodel.interface._dispatch",
        **dict.fromkeys(
            ("EntryPoint", "choose_entry_point"), "reusable_savedmodel.interface._entry_point"
        ),
        "missing_extra": "reusable_savedmodel.interface._extras",
        "lazy_names": "reusable_savedmodel.interface._lazy",
        **dict.fromkeys(
            ("Cache", "Handle", "cache_name", "is_remote"), "reusable_savedmodel.interface.handles"
        ),
        **dict.fromkeys(
            ("coerce", "describe_value", "nest_matches", "no_call_message", "validate_training"),
            "reusable_savedmodel.interface._piece",
        ),
        "counted": "reusable_savedmodel.interface._plurals",
        "LIST_ATTRIBUTES": "reusable_savedmodel.interface._protocol",
        "SignatureCall": "reusable_savedmodel.interface._signature_call",
        "TraceSpec": "reusable_savedmodel.interface._spec",
        "TASKS": "reusable_savedmodel.interface._tasks",
        **dict.fromkeys(
            (
                "argument_defaults",
                "captured_variables",
                "is_tf_function",
                "pristine_concrete_functions",
                "variable_name",
            ),
            "reusable_savedmodel.interface._tf_functions",
        ),
    },
)

__all__ = [
    "LIST_ATTRIBUTES",
    "TASKS",
    "Cache",
    "EntryPoint",
    "Handle",
    "SignatureCall",
    "TraceSpec",
    "argument_defaults",
    "cache_name",
    "call_zero_arg",
    "captured_variables",
    "choose_entry_point",
    "coerce",
    "counted",
    "describe_value",
    "function_def_to_graph_def",
    "is_remote",
    "is_tf_function",
    "lazy_names",
    "missing_extra",
    "nest_matches",
    "no_call_message",
    "pristine_concrete_functions",
    "private_symbol",
    "validate_training",
    "variable_name",
]
