"""The JAX adapter's half that needs TensorFlow: converting between TF graphs and JAX.

TF to JAX (`to_jax`'s converter over tf2jax: graph inlining, custom gradients, tensor
lists, jax2tf's `XlaCallModule` ops, signatures) and JAX to TF (`from_jax`'s bridge over
jax2tf, and the `jax.export` serializations it embeds in the SavedModel for the way
back). What it builds runs on `adapters.jax.runtime`, which needs no TensorFlow.

The names below are this package's public surface (what `to_jax`, `from_jax` and Keras on
JAX use); its modules are internal.
"""

from reusable_savedmodel.adapters.jax.conversion._convert import (
    Converter,
    holds_arrays,
    merge_ops,
    outputs_wide,
    refuse_string_variables,
    trace_key,
    unconvertible_ops,
    variable_name,
    variable_paths,
)
from reusable_savedmodel.adapters.jax.conversion._embedded import attach as attach_exports
from reusable_savedmodel.adapters.jax.conversion._embedded import read as read_exports
from reusable_savedmodel.adapters.jax.conversion._signature import signature_to_jax
from reusable_savedmodel.adapters.jax.conversion._tf_bridge import convert as jax_to_tf

__all__ = [
    "Converter",
    "attach_exports",
    "holds_arrays",
    "jax_to_tf",
    "merge_ops",
    "outputs_wide",
    "read_exports",
    "refuse_string_variables",
    "signature_to_jax",
    "trace_key",
    "unconvertible_ops",
    "variable_name",
    "variable_paths",
]
