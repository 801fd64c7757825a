"""Converting one TF trace (a concrete function) into a `JaxTrace` with tf2jax.

The trace is first flattened (`flatten.inline_calls`) and re-imported into a fresh
`tf.function` that captures *proxy* variables named by our unique variable paths: tf2jax
then keys its parameters by those names (the real variables may share names), and every
assignment sits at the top level where tf2jax returns it.
"""

from __future__ import annotations

import ast
import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import tensorflow as tf
import tf2jax

from reusable_savedmodel.adapters.jax import _compat as compat
from reusable_savedmodel.adapters.jax._errors import (
    UnconvertibleError,
    UnsupportedGradientError,
    XlaCallModuleError,
)
from reusable_savedmodel.adapters.jax.conversion import _batch_norm as batch_norm
from reusable_savedmodel.adapters.jax.conversion import _flatten as flatten
from reusable_savedmodel.adapters.jax.conversion import _gradients as gradients
from reusable_savedmodel.adapters.jax.conversion import _tensor_lists as tensor_lists
from reusable_savedmodel.adapters.jax.runtime import (
    JaxTrace,
    LeafSpec,
    PythonValue,
    TraceKey,
    any_wide,
)
from reusable_savedmodel.interface import NonConformingError
from reusable_savedmodel.interface.kit import TraceSpec, variable_name

# TF ops that draw random numbers (tf2jax feeds them from the `rng` key).
RANDOM_OPS = frozenset(
    {"RandomUniform", "RandomUniformInt", "RandomStandardNormal", "TruncatedNormal", "Multinomial"}
)
# Ops no JAX conversion can express: lookup tables and other resources that are not
# variables. String-typed ops are found by their dtypes.
_TABLE_OP_PREFIXES = ("LookupTable", "HashTable", "MutableHashTable", "InitializeTable")
_PLUMBING = frozenset({"Placeholder", "Const", "Identity", "NoOp"})
# Assertions (`tf.debugging.assert_*`, TFP's `validate_args=True`) carry string messages but
# compute nothing: tf2jax drops them, logging "Assert has no effect." (docs/compatibility.md).
_DROPPED = frozenset({"Assert"})
_UNSUPPORTED_PREFIX = "Unsupported operations in graph: "


def variable_paths(variables: Sequence[tf.Variable]) -> list[str]:
    """The variables' paths: the keys a `JaxPiece` gives their values by.

    A path is the variable's name, made unique (`_1`, `_2`... on repeats) and safe for
    tf2jax; the same variables give the same paths in every process.
    """
    names: list[str] = []
    taken: set[str] = set()
    for v in variables:
        base = variable_name(v).replace(":", "_").replace("^", "_")  # tf2jax splits names on these
        name, suffix = base, 0
        while name in taken:
            suffix += 1
            name = f"{base}_{suffix}"
        taken.add(name)
        names.append(name)
    return names


def leaf_spec(spec: tf.TensorSpec) -> LeafSpec:
    """The TF-free `LeafSpec` of a `tf.TensorSpec`."""
    shape = None if spec.shape.rank is None else tuple(spec.shape.as_list())
    return LeafSpec(shape, spec.dtype.name)


def _nest(specs: Any, path: str, name: str) -> Any:
    if isinstance(specs, tf.TensorSpec):
        return leaf_spec(specs)
    if isinstance(specs, tf.TypeSpec):
        raise UnconvertibleError(
            f"{name}: cannot convert to JAX: {path} is a {type(specs).__name__} ({specs}); JAX has "
            f"only dense arrays (no ragged, sparse or other composite tensors). Run the piece "
            f"in TensorFlow, or convert a callable or signature that takes dense tensors."
        )
    if isinstance(specs, Mapping):
        return {k: _nest(v, f"{path}[{k!r}]", name) for k, v in specs.items()}
    return [_nest(v, f"{path}[{i}]", name) for i, v in enumerate(specs)]


def trace_key(trace: TraceSpec, defaults: Mapping[str, Any], name: str = "piece") -> TraceKey:
    """The TF-free `TraceKey` of one `TraceSpec`.

    Raises:
      UnconvertibleError: if an input or keyword argument is a composite tensor (ragged,
        sparse), naming it; `name` (the piece's) starts the message.
    """
    kwargs = tuple(
        (key, PythonValue(value) if not isinstance(value, tf.TypeSpec) else _nest(value, f"argument {key!r}", name))
        for key, value in trace.kwargs.items()
    )
    known = tuple(
        (n, v) for n, v in defaults.items() if n in trace.kwargs and isinstance(v, (bool, int, float, str))
    )
    training = trace.training if isinstance(trace.training, bool) else None
    return TraceKey(inputs=_nest(trace.inputs, "input", name), training=training, kwargs=kwargs, defaults=known)


def _node_defs(graph_def: tf.compat.v1.GraphDef) -> Iterator[Any]:
    yield from graph_def.node
    for function in graph_def.library.function:
        yield from function.node_def


def unconvertible_ops(graph: tf.Graph) -> dict[str, list[str]]:
    """Op types in a graph (and the functions it calls) that no JAX conversion can express:
    string tensors, lookup tables; each with where it sits (`function: node`).

    Plumbing (placeholders, constants, identities) and function calls are left out: they
    are not what the user must avoid (the ops inside the called functions are listed).
    """
    found: dict[str, list[str]] = {}
    for current in compat.function_graphs(graph):
        for op in current.get_operations():
            if op.type in _PLUMBING or op.type in _DROPPED or op.type in flatten.CALL_OPS:
                continue
            tensors = [*op.inputs, *op.outputs]
            if op.type.startswith(_TABLE_OP_PREFIXES) or any(t.dtype == tf.string for t in tensors):
                found.setdefault(op.type, []).append(f"{current.name}: {op.name}")
    return found


def outputs_wide(concretes: Sequence[Any]) -> bool:
    """Whether any trace returns a 64-bit tensor (JAX narrows those unless they are carried: `runtime/_wide.py`)."""
    return any_wide(t.dtype.name for c in concretes for t in own_outputs(c))


def own_outputs(concrete: Any) -> list[tf.Tensor]:
    """A trace's own outputs, in `structured_outputs` order.

    Differentiating a restored trace (a `tf.GradientTape` step when fine-tuning) rewrites its
    graph in place: TensorFlow appends the intermediates the backward pass needs to
    `concrete.outputs`. Only the leading ones are the forward pass's results.
    """
    count = len(tf.nest.flatten(concrete.structured_outputs, expand_composites=True))
    return list(concrete.outputs[:count])


def holds_arrays(variable: tf.Variable) -> bool:
    """Whether a variable's values fit a JAX array (numbers and booleans; not strings)."""
    return variable.dtype.is_numpy_compatible and variable.dtype != tf.string


def refuse_string_variables(concretes: Sequence[Any], name: str) -> None:
    """Refuses traces that read variables JAX cannot hold (e.g. a retrieval index's string ids).

    Raises:
      UnconvertibleError: naming each such variable and its dtype.
    """
    bad = list(dict.fromkeys(
        f"{v.name} ({v.dtype.name})" for c in concretes for v in c.variables if not holds_arrays(v)
    ))
    if bad:
        raise UnconvertibleError(
            f"{name}: cannot convert to JAX: it reads variables {', '.join(bad)}, whose values "
            f"JAX arrays cannot hold (only numbers and booleans). Run it in TensorFlow, or "
            f"convert a callable or signature that does not read them."
        )


def merge_ops(found: Sequence[Mapping[str, list[str]]]) -> dict[str, list[str]]:
    """Merges `unconvertible_ops` results (of several traces)."""
    merged: dict[str, list[str]] = {}
    for ops in found:
        for op, where in ops.items():
            merged.setdefault(op, []).extend(w for w in where if w not in merged.get(op, []))
    return merged


def _random_ops_in_branches(flat_def: tf.compat.v1.GraphDef) -> dict[str, list[str]]:
    """Random ops inside the control-flow bodies of an inlined trace, by where they sit.

    Once calls are inlined, the library's functions are `If`/`While` bodies only, and tf2jax
    feeds the `rng` key to top-level ops only: a dropout under `tf.cond(training, ...)` would
    fail inside tf2jax with a bare TypeError.
    """
    found: dict[str, list[str]] = {}
    for function in flat_def.library.function:
        for node in function.node_def:
            if node.op in RANDOM_OPS:
                where = f"{function.signature.name}: {node.name}"
                found.setdefault(f"{node.op} inside a control-flow branch", []).append(where)
    return found


def _graph_ops(graph_def: tf.compat.v1.GraphDef) -> set[str]:
    return {n.op for n in _node_defs(graph_def)}


class Converter:
    """Converts traces of one piece, sharing its variable names."""

    def __init__(
        self, variables: Sequence[tf.Variable], names: Sequence[str], piece_name: str, hint: Callable[[], str]
    ):
        self._names = {v.handle.ref(): n for v, n in zip(variables, names)}
        self._variables = {v.handle.ref(): v for v in variables}
        self._piece_name = piece_name
        self._hint = hint

    def unconvertible(
        self, what: str, ops: Mapping[str, Sequence[str]] | Sequence[str], cause: Exception | None = None
    ) -> UnconvertibleError:
        """The one error for `what`: the offending ops (and where they sit), and what to convert instead."""
        listing = "; ".join(
            f"{op} (at {', '.join(ops[op][:2])}{', ...' if len(ops[op]) > 2 else ''})"
            if isinstance(ops, Mapping) else op
            for op in sorted(ops)
        )
        return UnconvertibleError(
            f"{self._piece_name}: cannot convert {what} to JAX: it uses operations JAX "
            f"cannot express or tf2jax does not support: {listing}. {self._hint()}"
            + (f"\n(tf2jax: {cause})" if cause is not None else "")
        )

    def convert(self, concrete: Any, key: TraceKey, what: str) -> JaxTrace:
        """Converts `concrete` (a trace, or a zero-argument loss function) to a `JaxTrace`.

        Raises:
          UnconvertibleError: if the trace uses operations that cannot be converted.
        """
        try:
            custom = gradients.collect(concrete.graph)
        except UnsupportedGradientError as error:
            raise self.unconvertible(what, ["IdentityN (custom gradient)"], error) from error
        flat_def = flatten.inline_calls(concrete.graph.as_graph_def(), gradients.captures_by_type(custom))
        outputs = [t.name for t in own_outputs(concrete)]
        gradients.cut_forward_regions(flat_def, custom, outputs)
        num_args = len(concrete.inputs) - len(concrete.captured_inputs)
        arguments = concrete.inputs[:num_args]
        captures = list(zip(concrete.inputs[num_args:], concrete.captured_inputs))
        unlisted = [v.name for v in concrete.variables if v.handle.ref() not in self._names]
        if unlisted:
            raise NonConformingError(
                f"{self._piece_name}: {what} uses variables missing from the piece's "
                f"`variables` list: {unlisted}; run rsm.check on it."
            )
        used = [c.ref() for _, c in captures if c.ref() in self._names]
        # Proxies carry our unique names into tf2jax; they live only while converting.
        proxies = {
            ref: tf.Variable(self._variables[ref], name=self._names[ref], trainable=False)
            for ref in used
        }
        specs = [tf.TensorSpec(t.shape, t.dtype) for t in arguments]

        @tf.function(autograph=False, input_signature=[specs])
        def flat(args):
            graph = tf.compat.v1.get_default_graph()
            input_map = {t.name: a for t, a in zip(arguments, args)}
            for placeholder, captured in captures:
                proxy = proxies.get(captured.ref())
                if proxy is not None:
                    graph.watch_variable(proxy)  # tf2jax reads variables from the trace
                    input_map[placeholder.name] = graph.capture(proxy.handle)
                else:  # constants, and table handles (reported as unconvertible below)
                    input_map[placeholder.name] = graph.capture(captured)
            return tf.graph_util.import_graph_def(
                flat_def, input_map=input_map, return_elements=outputs, name="flat"
            )

        flat_graph = flat.get_concrete_function().graph
        bad = {**unconvertible_ops(flat_graph), **_random_ops_in_branches(flat_def)}
        if bad:
            raise self.unconvertible(what, bad)
        needs_rng = bool(RANDOM_OPS & _graph_ops(flat_def))
        names = tuple(self._names[ref] for ref in used)
        dtypes = [np.dtype(t.dtype.as_numpy_dtype) for t in arguments]
        structure = jax.tree_util.tree_structure(
            tf.nest.map_structure(lambda _: 0, concrete.structured_outputs)
        )
        with (
            self._explained(what),
            _op_seeds_unreported(),
            gradients.converting(custom),
            tensor_lists.converting(),
            batch_norm.converting(),
        ):
            fn, _ = tf2jax.convert(flat, specs)
            if flat_def.library.function:
                # tf2jax converts control-flow bodies (the library's functions) on first
                # use: build them all now, under the parsers above. A graph without them
                # is converted already; tracing it here would double the first call's trace.
                jax.eval_shape(
                    lambda v, a, r: fn(v, a, rng=r),
                    {n: jax.ShapeDtypeStruct(proxies[r].shape, proxies[r].dtype.as_numpy_dtype)
                     for n, r in zip(names, used)},
                    [_example(t) for t in arguments],
                    jax.random.PRNGKey(0) if needs_rng else None,
                )

        def run(variables: Mapping[str, Any], inputs: Any, tensor_kwargs: tuple, rng: Any):
            leaves = jax.tree_util.tree_leaves(inputs) + list(tensor_kwargs)
            args = [jnp.asarray(x, dtype=d) for x, d in zip(leaves, dtypes)]
            flat_outputs, updated = fn(dict(variables), args, rng=rng)
            changed = {n: v for n, v in updated.items() if v is not variables[n]}
            return jax.tree_util.tree_unflatten(structure, list(flat_outputs)), changed

        return JaxTrace(key=key, fn=run, variable_paths=names, needs_rng=needs_rng)

    @contextlib.contextmanager
    def _explained(self, what: str) -> Iterator[None]:
        """Turns tf2jax's unsupported-op error into one `UnconvertibleError`."""
        try:
            yield
        except XlaCallModuleError as error:
            raise self.unconvertible(what, ["XlaCallModule"], error) from error
        except ValueError as error:
            text = str(error)
            if not text.startswith(_UNSUPPORTED_PREFIX):
                raise
            # tf2jax reports the op list only in its message: "...: ['A', 'B']\n..."
            ops = ast.literal_eval(text[len(_UNSUPPORTED_PREFIX):].split("\n")[0])
            raise self.unconvertible(what, ops, error) from error


class _OpSeedNotice(logging.Filter):
    """Drops tf2jax's "does not yet support non-zero seeds" warnings.

    A converted random op draws from the `rng` key its caller passes, never from the TF op's
    seed attributes (docs/jax-flax.md says so once), so the warning, repeated per op, tells
    the user nothing to act on. Every other tf2jax warning still shows.
    """

    def filter(self, record: logging.LogRecord) -> bool:  # noqa: D102
        return "does not yet support non-zero seeds" not in record.getMessage()


@contextlib.contextmanager
def _op_seeds_unreported() -> Iterator[None]:
    """Applies `_OpSeedNotice` to the absl logger (tf2jax's) while converting."""
    notice = _OpSeedNotice()
    absl_logger = logging.getLogger("absl")
    absl_logger.addFilter(notice)
    try:
        yield
    finally:
        absl_logger.removeFilter(notice)


def _example(tensor: tf.Tensor) -> jax.ShapeDtypeStruct:
    """An abstract array for `tensor`, unknown dimensions set to 2."""
    if tensor.shape.rank is None:
        return jax.ShapeDtypeStruct((), tensor.dtype.as_numpy_dtype)
    shape = tuple(2 if d is None else d for d in tensor.shape.as_list())
    return jax.ShapeDtypeStruct(shape, tensor.dtype.as_numpy_dtype)
