"""The lowest float precision a model computes in, read from its graphs.

A mixed-precision model (Keras's `mixed_float16` or `mixed_bfloat16` policy) keeps
float32 variables and often float32 outputs, but computes in half precision inside:
frameworks then agree only to half precision's rounding. The dtype shows in the graph,
on the casts and ops of every function the model's traces call.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tensorflow.core.framework import types_pb2

#: Half-precision types, lowest precision first.
_HALF = ((types_pb2.DT_BFLOAT16, "bfloat16"), (types_pb2.DT_HALF, "float16"))


def compute_dtype(concrete_functions: Iterable[Any]) -> str:
    """The lowest float precision any op of these functions (or what they call) uses.

    Args:
      concrete_functions: Concrete functions (a model's traces, or a signature).

    Returns:
      "bfloat16", "float16" or "float32".
    """
    found = set()
    for function in concrete_functions:
        graph_def = function.graph.as_graph_def()
        nodes = [*graph_def.node, *(n for f in graph_def.library.function for n in f.node_def)]
        for node in nodes:
            for value in node.attr.values():
                found.add(value.type)
                found.update(value.list.type)
    return next((name for dtype, name in _HALF if dtype in found), "float32")
