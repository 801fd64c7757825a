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
  zero-argument `tf.function`, such as a regularization loss, at graph speed when eager).
- Handles: `is_remote` (an http(s) handle), `Handle` (what counts as a handle).
- The protocol's attribute names: `LIST_ATTRIBUTES`.
"""

from __future__ import annotations

from reusable_savedmodel.interface.dispatch import call_zero_arg
from reusable_savedmodel.interface.entry_point import EntryPoint, choose_entry_point
from reusable_savedmodel.interface.handles.resolve import Handle, is_remote
from reusable_savedmodel.interface.piece import (
    coerce,
    describe_value,
    nest_matches,
    no_call_message,
    validate_training,
)
from reusable_savedmodel.interface.protocol import LIST_ATTRIBUTES
from reusable_savedmodel.interface.signature_call import SignatureCall
from reusable_savedmodel.interface.spec import TraceSpec
from reusable_savedmodel.interface.tf_functions import (
    argument_defaults,
    captured_variables,
    is_tf_function,
    pristine_concrete_functions,
)

__all__ = [
    "LIST_ATTRIBUTES",
    "EntryPoint",
    "Handle",
    "SignatureCall",
    "TraceSpec",
    "argument_defaults",
    "call_zero_arg",
    "captured_variables",
    "choose_entry_point",
    "coerce",
    "describe_value",
    "is_remote",
    "is_tf_function",
    "nest_matches",
    "no_call_message",
    "pristine_concrete_functions",
    "validate_training",
]
