"""Custom gradients (`tf.custom_gradient`, swish, restored SavedModel gradients) in JAX.

TensorFlow marks a custom gradient with an `IdentityN` node: its inputs are the forward
results followed by the arguments, and the function registered for its
`_gradient_op_type` maps the results' cotangents to the arguments' gradients, reading
tensors of the graph the node sits in (captures). tf2jax 0.3.8 handles these only one per
graph and by the captures' names, which inlining changes; so the converter does it here:
`flatten.inline_calls` appends each gradient's captures to its node's inputs, and while
tf2jax converts, such a node becomes a `jax.custom_vjp` identity whose backward pass is the
registered gradient, converted to JAX on its own. The forward results get a zero
cotangent, as in TensorFlow, so only the custom gradient reaches the arguments.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import tensorflow as tf
import tf2jax

from reusable_savedmodel.adapters.jax import _compat as compat
from reusable_savedmodel.adapters.jax._errors import UnsupportedGradientError
from reusable_savedmodel.adapters.jax.conversion import _flatten as flatten
from reusable_savedmodel.adapters.jax.conversion import _xla_call_module as xla_call_module


class CustomGradient:
    """One registered custom gradient, traced on the shapes of a node that uses it.

    Args:
      op_type: The node's `_gradient_op_type`.
      op: A node using it (its inputs give the gradient's argument specs).
      gradient: The registered gradient function, `gradient(op, *dys)`.

    Raises:
      UnsupportedGradientError: if the gradient reads variables.
    """

    def __init__(self, op_type: bytes, op: Any, gradient: Any):
        self.op_type = op_type
        self._dy_specs = [tf.TensorSpec(t.shape, t.dtype) for t in op.inputs]
        self._traced = tf.function(lambda *dys: gradient(None, *dys), autograph=False).get_concrete_function(
            *self._dy_specs
        )
        captured = self._traced.captured_inputs
        if any(t.dtype == tf.resource for t in captured):
            raise UnsupportedGradientError(f"custom gradient {op_type.decode()} of {op.name} reads variables")
        # Graph tensors (not constants) are what inlining renames.
        self._renamed = [i for i, t in enumerate(captured) if not hasattr(t, "numpy")]
        #: The captured graph tensors: (name in the node's graph, dtype).
        self.captures: list[flatten.Capture] = [(captured[i].name, captured[i].dtype) for i in self._renamed]
        self._jax: Any = None
        outputs = tf.nest.flatten(self._traced.structured_outputs)
        #: How many of the node's inputs are forward results (their gradients are None).
        self.num_results = next((i for i, t in enumerate(outputs) if t is not None), len(outputs))

    def _convert(self) -> Any:
        """The gradient as a JAX function of `(dys..., captures...)` (converted once)."""
        if self._jax is not None:
            return self._jax
        traced = self._traced
        flat_def = flatten.inline_calls(traced.graph.as_graph_def())
        # Control edges on the arguments order nothing once they are inputs; tf2jax would
        # try to evaluate the placeholders they name.
        arguments = {n.name for n in flat_def.node if n.op == "Placeholder"}
        for node in flat_def.node:
            node.input[:] = [r for r in node.input if not (r.startswith("^") and r[1:] in arguments)]
        placeholders = [t.name for t in traced.inputs]
        self._outputs = tf.nest.flatten(traced.structured_outputs)
        names = [t.name for t in self._outputs if t is not None]
        capture_specs = [tf.TensorSpec(traced.captured_inputs[i].shape, dtype) for i, (_, dtype) in zip(self._renamed, self.captures)]
        num_dys = len(self._dy_specs)

        @tf.function(autograph=False, input_signature=[self._dy_specs + capture_specs])
        def explicit(args):
            graph = tf.compat.v1.get_default_graph()
            given = dict(zip(self._renamed, args[num_dys:]))
            captured = [given[i] if i in given else graph.capture(t) for i, t in enumerate(traced.captured_inputs)]
            return tf.graph_util.import_graph_def(
                flat_def,
                input_map=dict(zip(placeholders, list(args[:num_dys]) + captured)),
                return_elements=names,
                name="gradient",
            )

        with converting({}):  # e.g. jax2tf's gradients are `XlaCallModule` ops too
            self._jax, self._params = tf2jax.convert(explicit, self._dy_specs + capture_specs)
        return self._jax

    def identity(self) -> Any:
        """The JAX function for a node: identity forward, this gradient backward.

        The node's inputs are the gradient's inputs followed by its captures (which
        `flatten.inline_calls` appended); all pass through unchanged.
        """
        num_inputs = len(self._dy_specs)
        convert = self._convert
        convert()  # now, while the caller's conversion reports errors

        @jax.custom_vjp
        def identity(*xs):
            return tuple(xs)

        def forward(*xs):
            return tuple(xs), tuple(xs[num_inputs:])

        def backward(captures, cotangents):
            dys = list(cotangents[:num_inputs])
            values = iter(convert()(self._params, [*dys, *captures])[0])
            grads = [None if t is None else next(values) for t in self._outputs]
            if len(grads) != num_inputs:
                raise UnsupportedGradientError(
                    f"custom gradient {self.op_type.decode()} returned {len(grads)} gradients "
                    f"for {num_inputs} inputs"
                )
            inputs = [jnp.zeros_like(dy) if g is None else jnp.reshape(g, jnp.shape(dy)) for g, dy in zip(grads, dys)]
            return tuple(inputs) + tuple(jnp.zeros_like(c) for c in captures)

        identity.defvjp(forward, backward)
        return identity


def collect(graph: Any) -> dict[bytes, CustomGradient]:
    """Every custom gradient used in `graph` or the functions it calls, by op type.

    Gradients that are not registered (a SavedModel saved without
    `experimental_custom_gradients`) are left out: TensorFlow itself then differentiates
    the forward pass, and so does JAX.
    """
    found: dict[bytes, CustomGradient] = {}
    for current in compat.function_graphs(graph):
        for op in current.get_operations():
            if op.type != "IdentityN":
                continue
            try:
                op_type = op.get_attr(flatten.GRADIENT_ATTR)
            except ValueError:
                continue
            gradient = compat.registered_gradient(op_type)
            if gradient is not None and op_type not in found:
                found[op_type] = CustomGradient(op_type, op, gradient)
    return found


def _split(ref: str) -> tuple[str, str]:
    """`(node name, tensor name)` of a data input."""
    name, _, index = ref.partition(":")
    return name, f"{name}:{index or 0}"


def cut_forward_regions(
    graph_def: tf.compat.v1.GraphDef, gradients: Mapping[bytes, CustomGradient], outputs: Sequence[str]
) -> None:
    """Makes each custom gradient's forward computation read its arguments through StopGradient.

    TensorFlow never differentiates the forward part of a custom gradient; JAX would (with
    a zero cotangent), which fails where that part has no derivative in JAX (a jax2tf
    `XlaCallModule` without a VJP). Nodes that also feed something outside the region are
    left alone (autodiff through them is then needed, and correct).

    Args:
      graph_def: The flat graph (changed in place).
      gradients: The custom gradients by op type.
      outputs: The graph's output tensors (what is not computed for them does not count).
    """
    nodes = {n.name: n for n in graph_def.node}
    live, pending = set(), [_split(r)[0] for r in outputs]
    while pending:
        name = pending.pop()
        if name not in live and name in nodes:
            live.add(name)
            pending.extend(r.lstrip("^").partition(":")[0] for r in nodes[name].input)
    consumers: dict[str, set[str]] = {}
    for node in graph_def.node:
        for ref in node.input:
            if node.name in live and not ref.startswith("^"):
                consumers.setdefault(ref.partition(":")[0], set()).add(node.name)
    for node in list(graph_def.node):
        found = gradients.get(node.attr[flatten.GRADIENT_ATTR].s) if flatten.GRADIENT_ATTR in node.attr else None
        if node.op != "IdentityN" or found is None:
            continue
        data = [r for r in node.input if not r.startswith("^")]
        count = node.attr[flatten.CAPTURES_ATTR].i if flatten.CAPTURES_ATTR in node.attr else 0
        arguments = {_split(r)[1] for r in data[found.num_results : len(data) - count]}
        region: set[str] = set()
        pending = [_split(r)[0] for r in data[: found.num_results] if _split(r)[1] not in arguments]
        while pending:
            name = pending.pop()
            if name in region or name not in nodes:
                continue
            region.add(name)
            pending.extend(
                _split(r)[0] for r in nodes[name].input if not r.startswith("^") and _split(r)[1] not in arguments
            )
        if any(consumers.get(n, set()) - region - {node.name} for n in region):
            continue
        stops: dict[str, str] = {}
        for name in region:
            inner = nodes[name]
            for i, ref in enumerate(inner.input):
                if ref.startswith("^") or _split(ref)[1] not in arguments:
                    continue
                tensor = _split(ref)[1]
                if tensor not in stops:
                    stop = graph_def.node.add(name=f"{node.name}/rsm_stop_{len(stops)}", op="StopGradient", input=[tensor])
                    stop.attr["T"].type = _dtype_of(tensor, node)
                    stops[tensor] = f"{stop.name}:0"
                inner.input[i] = stops[tensor]


def _dtype_of(tensor: str, identity: Any) -> int:
    """The dtype enum of an argument tensor of a custom-gradient `IdentityN` node."""
    data = [_split(r)[1] for r in identity.input if not r.startswith("^")]
    return identity.attr["T"].list.type[data.index(tensor)]


def captures_by_type(gradients: Mapping[bytes, CustomGradient]) -> dict[bytes, Sequence[flatten.Capture]]:
    """What `flatten.inline_calls` needs: op type -> the tensors its gradient captures."""
    return {t: g.captures for t, g in gradients.items() if g.captures}


@contextlib.contextmanager
def converting(gradients: Mapping[bytes, CustomGradient]) -> Iterator[None]:
    """While tf2jax converts: `gradients`' nodes become `CustomGradient.identity`, and
    `XlaCallModule` ops run through `xla_call_module`."""

    def parse(proto: Any, original: Any) -> Any:
        found = gradients.get(proto.attr[flatten.GRADIENT_ATTR].s) if flatten.GRADIENT_ATTR in proto.attr else None
        if found is None:
            return original(proto)
        return found.identity()

    def run_module(proto: Any, original: Any) -> Any:
        return xla_call_module.parse(proto)

    parsers = {"IdentityN": parse, "XlaCallModule": run_module}
    with tf2jax.override_config("convert_custom_gradient", False), compat.op_parsers(parsers):
        yield
