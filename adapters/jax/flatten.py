"""Inlining function calls so that tf2jax sees every variable assignment.

Why this exists (the batch-norm failure): tf2jax 0.3.8 converts a `PartitionedCall` /
`StatefulPartitionedCall` node by converting the called `FunctionDef` as a *stateless*
library function. Variables reach such a function as resource arguments (placeholders),
so an `AssignVariableOp` inside it updates a name that the outer graph does not know,
and tf2jax stops with "Some updated parameters are lost". Every restored trace reached
through a wrapper `tf.function` (the usual way to call tf2jax on a loaded model), and
every SavedModel whose traces call nested functions (tf_keras saves one per layer), puts
the batch-norm updates inside such a call. Inlining all calls into one flat graph moves
the assignments to the top level, where tf2jax maps them back to captured variables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import tensorflow as tf

from reusable_savedmodel.interface import compat

# The one TF-internal helper used here: it rewrites a FunctionDef's nested tensor names
# ("node:output_arg:index") into GraphDef names ("node:index"), which needs every op's
# OpDef; TensorFlow's own SavedModel loader uses it for the same purpose.

CALL_OPS = frozenset({"PartitionedCall", "StatefulPartitionedCall"})
# Colocation hints name nodes that inlining renames; they carry no meaning for JAX.
_DROPPED_ATTRS = ("_class",)


def _split(ref: str) -> tuple[bool, str, int]:
    """Parses a GraphDef input: `(is_control, node_name, output_index)`."""
    if ref.startswith("^"):
        return True, ref[1:], 0
    name, _, index = ref.partition(":")
    return False, name, int(index) if index else 0


def _join(is_control: bool, name: str, index: int) -> str:
    return f"^{name}" if is_control else f"{name}:{index}"


def _resolve(ref: str, aliases: Mapping[str, str]) -> str:
    """Follows call-output aliases (`call:k` -> the inlined tensor) to a real tensor."""
    is_control, name, index = _split(ref)
    if is_control:
        return ref
    key = f"{name}:{index}"
    while key in aliases:
        key = aliases[key]
    return key


def _copy(node: tf.compat.v1.NodeDef) -> tf.compat.v1.NodeDef:
    out = tf.compat.v1.NodeDef()
    out.CopyFrom(node)
    for attr in _DROPPED_ATTRS:
        if attr in out.attr:
            del out.attr[attr]
    return out


def _inline_call(
    call: tf.compat.v1.NodeDef, functions: Mapping[str, tf.compat.v1.FunctionDef]
) -> tuple[list[tf.compat.v1.NodeDef], list[str], list[str]]:
    """Inlines one call node: returns its body nodes, output tensors and control outputs."""
    fdef = functions[call.attr["f"].func.name]
    body_def, nested_to_flat = compat.function_def_to_graph_def(fdef)
    body = _inline_nodes(body_def.node, functions)
    data_inputs = [r for r in call.input if not r.startswith("^")]
    call_controls = [r for r in call.input if r.startswith("^")]
    arguments = {arg.name: data_inputs[i] for i, arg in enumerate(fdef.signature.input_arg)}
    prefix = f"{call.name}/"

    def rename(ref: str) -> str:
        is_control, name, index = _split(ref)
        if name in arguments:
            _, arg_name, arg_index = _split(arguments[name])
            return _join(is_control, arg_name, arg_index)
        return _join(is_control, prefix + name, index)

    nodes = []
    for node in body:
        if node.name in arguments:  # argument placeholders are replaced by the call's inputs
            continue
        inlined = _copy(node)
        inlined.name = prefix + node.name
        # The call's own control inputs must precede everything in its body (e.g. a read
        # that follows an assignment made before the call).
        inlined.input[:] = [rename(r) for r in node.input] + call_controls
        nodes.append(inlined)
    outputs = [
        rename(nested_to_flat.get(fdef.ret[arg.name], fdef.ret[arg.name]))
        for arg in fdef.signature.output_arg
    ]
    controls = [prefix + name for name in fdef.control_ret.values()]
    return nodes, outputs, controls


def _inline_nodes(
    nodes: Iterable[tf.compat.v1.NodeDef], functions: Mapping[str, tf.compat.v1.FunctionDef]
) -> list[tf.compat.v1.NodeDef]:
    out: list[tf.compat.v1.NodeDef] = []
    aliases: dict[str, str] = {}
    for node in nodes:
        if node.op not in CALL_OPS:
            out.append(_copy(node))
            continue
        body, outputs, controls = _inline_call(node, functions)
        out.extend(body)
        for k, tensor in enumerate(outputs):
            aliases[f"{node.name}:{k}"] = tensor
        # A NoOp keeps the call's name so that control edges on the call still order
        # everything after the whole inlined body.
        done = tf.compat.v1.NodeDef(name=node.name, op="NoOp")
        done.input.extend(sorted({"^" + _split(t)[1] for t in outputs} | {"^" + c for c in controls}))
        out.append(done)
    for node in out:
        node.input[:] = [_resolve(r, aliases) for r in node.input]
    return out


def inline_calls(graph_def: tf.compat.v1.GraphDef) -> tf.compat.v1.GraphDef:
    """Returns a copy of `graph_def` with every (Stateful)PartitionedCall inlined, recursively.

    Functions that other ops reference (control flow bodies, gradients) stay in the library.

    Args:
      graph_def: A graph, e.g. a trace's `graph.as_graph_def()`.

    Returns:
      The flat graph; call nodes become NoOps of the same name (for control edges).
    """
    functions = {f.signature.name: f for f in graph_def.library.function}
    flat = tf.compat.v1.GraphDef()
    flat.versions.CopyFrom(graph_def.versions)
    flat.library.CopyFrom(graph_def.library)
    flat.node.extend(_inline_nodes(graph_def.node, functions))
    return flat
