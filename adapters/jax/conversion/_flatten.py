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

Custom gradients (`tf.custom_gradient`, and so `tf.nn.silu`/swish) are `IdentityN` nodes
whose registered gradient function captures tensors of the graph the node was traced in,
by name. Inlining renames those tensors, so the caller says which tensors each gradient
captures (`gradient_captures`) and each such node gets them as extra inputs (and outputs),
renamed with everything else: the converter reads them there (see `_gradients.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import tensorflow as tf

from reusable_savedmodel.interface.kit import function_def_to_graph_def

# The one TF-internal helper used here: it rewrites a FunctionDef's nested tensor names
# ("node:output_arg:index") into GraphDef names ("node:index"), which needs every op's
# OpDef; TensorFlow's own SavedModel loader uses it for the same purpose.

CALL_OPS = frozenset({"PartitionedCall", "StatefulPartitionedCall"})
GRADIENT_ATTR = "_gradient_op_type"
#: How many data inputs were appended to a custom-gradient node: its gradient's captures.
CAPTURES_ATTR = "_rsm_gradient_captures"

#: A gradient's captured tensor: its name in the node's graph, and its dtype.
Capture = tuple[str, tf.DType]
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
    call: tf.compat.v1.NodeDef,
    functions: Mapping[str, tf.compat.v1.FunctionDef],
    gradient_captures: Mapping[bytes, Sequence[Capture]],
) -> tuple[list[tf.compat.v1.NodeDef], list[str], list[str]]:
    """Inlines one call node: returns its body nodes, output tensors and control outputs."""
    fdef = functions[call.attr["f"].func.name]
    body_def, nested_to_flat = function_def_to_graph_def(fdef)
    body = _inline_nodes(body_def.node, functions, gradient_captures)
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


def _with_captures(node: tf.compat.v1.NodeDef, gradient_captures: Mapping[bytes, Sequence[Capture]]) -> tf.compat.v1.NodeDef:
    """A copy of `node`; a custom-gradient node also gets its gradient's captures as inputs."""
    out = _copy(node)
    captures = gradient_captures.get(node.attr[GRADIENT_ATTR].s) if GRADIENT_ATTR in node.attr else None
    if node.op in CALL_OPS or not captures or CAPTURES_ATTR in node.attr:
        return out
    data = [r for r in out.input if not r.startswith("^")]
    controls = [r for r in out.input if r.startswith("^")]
    out.input[:] = data + [name for name, _ in captures] + controls
    out.attr["T"].list.type.extend(dtype.as_datatype_enum for _, dtype in captures)
    out.attr[CAPTURES_ATTR].i = len(captures)
    return out


def _inline_nodes(
    nodes: Iterable[tf.compat.v1.NodeDef],
    functions: Mapping[str, tf.compat.v1.FunctionDef],
    gradient_captures: Mapping[bytes, Sequence[Capture]],
) -> list[tf.compat.v1.NodeDef]:
    out: list[tf.compat.v1.NodeDef] = []
    aliases: dict[str, str] = {}
    for node in nodes:
        if node.op not in CALL_OPS:
            out.append(_with_captures(node, gradient_captures))
            continue
        body, outputs, controls = _inline_call(node, functions, gradient_captures)
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


def _referenced_functions(
    nodes: Iterable[tf.compat.v1.NodeDef], functions: Mapping[str, tf.compat.v1.FunctionDef]
) -> set[str]:
    """Names of the library functions that `nodes` (e.g. control flow) reference, recursively."""
    found: set[str] = set()
    pending = list(nodes)
    while pending:
        node = pending.pop()
        for value in node.attr.values():
            names = [value.func.name] if value.HasField("func") else [f.name for f in value.list.func]
            for name in names:
                if name in functions and name not in found:
                    found.add(name)
                    pending.extend(functions[name].node_def)
    return found


def inline_calls(
    graph_def: tf.compat.v1.GraphDef, gradient_captures: Mapping[bytes, Sequence[Capture]] | None = None
) -> tf.compat.v1.GraphDef:
    """Returns a copy of `graph_def` with every (Stateful)PartitionedCall inlined, recursively.

    Functions that other ops reference (control flow bodies) stay in the library; the
    inlined bodies and gradient functions leave it (tf2jax finds gradients by op type).

    Args:
      graph_def: A graph, e.g. a trace's `graph.as_graph_def()`.
      gradient_captures: Custom-gradient op type -> the tensors (names in the graph the
        node was traced in) its gradient function captures.

    Returns:
      The flat graph; call nodes become NoOps of the same name (for control edges); a
      custom-gradient node whose gradient captures tensors takes them as its last inputs
      (their number in its `CAPTURES_ATTR`).
    """
    functions = {f.signature.name: f for f in graph_def.library.function}
    flat = tf.compat.v1.GraphDef()
    flat.versions.CopyFrom(graph_def.versions)
    flat.node.extend(_inline_nodes(graph_def.node, functions, gradient_captures or {}))
    # A call that returns one of its arguments (forward functions of a differentiated
    # trace pass inputs on to the backward pass) leaves a control edge on a placeholder:
    # it orders nothing, and a converter that maps the placeholder's value would still
    # have to evaluate the placeholder itself.
    placeholders = {n.name for n in flat.node if n.op == "Placeholder"}
    for node in flat.node:
        node.input[:] = [r for r in node.input if not (r.startswith("^") and r[1:] in placeholders)]
    kept = _referenced_functions(flat.node, functions)
    flat.library.function.extend(f for f in graph_def.library.function if f.signature.name in kept)
    return flat
