"""Private TensorFlow and tf2jax APIs the JAX adapter needs, all in one place.

Each is resolved at import through `interface.kit.private_symbol`, so a release that
moves one fails at once with an error naming it. `tests/adapters/jax/test_jax_compat.py`
imports every symbol in `PRIVATE_SYMBOLS`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import jax
import jax.extend.mlir
import tensorflow as tf
import tf2jax

from reusable_savedmodel.interface.kit import private_symbol

#: (module, name) of every private symbol this adapter uses.
PRIVATE_SYMBOLS = (
    ("tensorflow.python.framework.ops", "gradient_registry"),
    ("tf2jax._src.ops", "_jax_ops"),
    ("jax._src.interpreters", "mlir"),
    ("jax._src.lib.mlir", "ir"),
    ("jax._src.lib.mlir.dialects", "func"),
    ("jax._src.lib.mlir.dialects", "hlo"),
    ("jax._src.export._export", "_module_to_bytecode"),
    ("tf2jax._src.ops", "_StatelessWhile"),
)

# Custom gradients (`tf.custom_gradient`, and the gradients a SavedModel restores) are
# registered by op type here; TensorFlow has no public lookup.
_gradient_registry = private_symbol(*PRIVATE_SYMBOLS[0], framework="TensorFlow", version=tf.__version__)
# tf2jax's op-type -> parser table (see `identity_n_parser`).
_tf2jax_ops = private_symbol(*PRIVATE_SYMBOLS[1], framework="tf2jax", version=tf2jax.__version__)
# JAX's MLIR context and shape refinement, and the MLIR bindings it ships.
_jax_mlir = private_symbol(*PRIVATE_SYMBOLS[2], framework="JAX", version=jax.__version__)
_ir = private_symbol(*PRIVATE_SYMBOLS[3], framework="JAX", version=jax.__version__)
_func = private_symbol(*PRIVATE_SYMBOLS[4], framework="JAX", version=jax.__version__)
_stablehlo = private_symbol(*PRIVATE_SYMBOLS[5], framework="JAX", version=jax.__version__)
# What `jax.export` serializes its modules with (a StableHLO portable artifact).
_module_to_bytecode = private_symbol(*PRIVATE_SYMBOLS[6], framework="JAX", version=jax.__version__)
#: tf2jax's op class for `While` and `StatelessWhile`. tf2jax recognises ops with inner
#: functions (cond, body) by their class, so a loop op of our own must subclass it; it is
#: built with the parsed op's `inner_fn_names` and called with `cond_fun`, `body_fun`, `rng`.
WhileOp: type = private_symbol(*PRIVATE_SYMBOLS[7], framework="tf2jax", version=tf2jax.__version__)


def registered_gradient(op_type: bytes | str) -> Callable[..., Any] | None:
    """The gradient function registered for a custom-gradient op type, or None."""
    try:
        return _gradient_registry.lookup(op_type.decode() if isinstance(op_type, bytes) else op_type)
    except LookupError:
        return None


def function_graphs(graph: Any) -> list[Any]:
    """`graph` and the graphs of every library function it holds, recursively (calls, gradients)."""
    found, pending, seen = [], [graph], set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        # A graph lists its functions only in the private `_functions` map.
        pending.extend(f.graph for f in current._functions.values() if hasattr(f, "graph"))  # noqa: SLF001
    return found


@contextlib.contextmanager
def op_parsers(parsers: Mapping[str, Callable[..., Any]]) -> Iterator[None]:
    """Temporarily routes tf2jax's parsing of some op types through `parse(proto, original)`.

    tf2jax has no public hook for its op table: custom gradients (it handles one per
    graph) and `XlaCallModule` (its own needs an older JAX) are converted here instead.
    """
    originals = {op: _tf2jax_ops.get(op) for op in parsers}
    for op, parse in parsers.items():
        _tf2jax_ops[op] = functools.partial(parse, original=originals[op])
    try:
        yield
    finally:
        for op, original in originals.items():
            if original is None:
                del _tf2jax_ops[op]
            else:
                _tf2jax_ops[op] = original


def exported(
    *, name: str, in_avals: Sequence[Any], out_avals: Sequence[Any], platforms: Sequence[str], module: bytes, version: int
) -> Any:
    """A `jax.export.Exported` for a serialized StableHLO module.

    `jax.export` builds these only from a JAX function or its own serialization format;
    its constructor takes private sharding fields, set here to "unspecified", one device.
    With symbolic dimensions in `in_avals` (and `out_avals` in the same symbols) the module
    is shape-polymorphic: its `main` computes the dimension values from its arguments.
    """
    count, results = len(in_avals), len(out_avals)
    symbolic = any(jax.export.is_symbolic_dim(d) for aval in in_avals for d in aval.shape)
    return jax.export.Exported(
        fun_name=name,
        in_tree=jax.tree_util.tree_structure((tuple(range(count)), {})),
        in_avals=tuple(in_avals),
        out_tree=jax.tree_util.tree_structure(tuple(range(results))),
        out_avals=tuple(out_avals),
        **named_shardings(count, results),
        in_shardings_hlo=(None,) * count,
        out_shardings_hlo=(None,) * results,
        nr_devices=1,
        platforms=tuple(platforms),
        ordered_effects=(),
        unordered_effects=(),
        disabled_safety_checks=(),
        mlir_module_serialized=module,
        calling_convention_version=version,
        module_kept_var_idx=tuple(range(count)),
        uses_global_constants=symbolic,
        _get_vjp=None,
    )


#: Whether `jax.export.Exported` has the named-sharding fields (JAX 0.9 added them; 0.8 has not).
HAS_NAMED_SHARDINGS = "_has_named_shardings" in {f.name for f in dataclasses.fields(jax.export.Exported)}


def named_shardings(count: int, results: int) -> dict[str, Any]:
    """`Exported`'s named-sharding fields, all unspecified, where this JAX has them (else none)."""
    if not HAS_NAMED_SHARDINGS:
        return {}
    return {
        "_has_named_shardings": False,
        "_in_named_shardings": (None,) * count,
        "_out_named_shardings": (None,) * results,
    }


def evaluate_dimension(dimension: Any, values: dict[str, int]) -> int:
    """A `jax.export` symbolic dimension's size for the given sizes of its symbols.

    `_DimExpr` evaluates itself only through a private method.
    """
    return int(dimension._evaluate(values))  # noqa: SLF001


def static_module(module: bytes, in_avals: Sequence[tuple[tuple[int, ...], str]]) -> tuple[bytes, list[tuple[int, ...]]]:
    """A serialized StableHLO module specialized to static argument shapes, and its result shapes.

    A shape-polymorphic module (jax2tf's `polymorphic_shapes`) declares dynamic result
    dimensions; `jax.export` knows them only symbolically from the JAX function. Here a new
    `main` with static argument types calls the original one, and JAX's own shape
    refinement resolves the rest.

    Raises:
      ValueError: if the module cannot be refined for these shapes.
    """
    context = _jax_mlir.make_ir_context()
    with context, _ir.Location.unknown(context):
        parsed = jax.extend.mlir.deserialize_portable_artifact(module)
        symbols = _ir.SymbolTable(parsed.operation)
        original = symbols["main"]
        signature = _ir.FunctionType(_ir.TypeAttr(original.attributes["function_type"]).value)
        symbols.set_symbol_name(original, "_rsm_original_main")
        original.attributes["sym_visibility"] = _ir.StringAttr.get("private")
        # A new `main` with static argument types calls the original one.
        static = [
            _ir.RankedTensorType.get(list(shape), _ir.RankedTensorType(t).element_type)
            for (shape, _), t in zip(in_avals, signature.inputs)
        ]
        main = _func.FuncOp("main", _ir.FunctionType.get(static, list(signature.results)),
                            ip=_ir.InsertionPoint.at_block_begin(parsed.body))
        main.attributes["sym_visibility"] = _ir.StringAttr.get("public")
        block = main.add_entry_block()
        with _ir.InsertionPoint(block):
            arguments = [
                value if value.type == wanted else _stablehlo.ConvertOp(wanted, value).result
                for value, wanted in zip(block.arguments, signature.inputs)
            ]
            call = _func.CallOp(list(signature.results), _ir.FlatSymbolRefAttr.get("_rsm_original_main"), arguments)
            _func.ReturnOp(call.results)
        refined = _jax_mlir.refine_polymorphic_shapes(parsed)
    with refined.context:
        main = _ir.SymbolTable(refined.operation)["main"]
        types = _ir.FunctionType(_ir.TypeAttr(main.attributes["function_type"]).value).results
        return _module_to_bytecode(refined), [tuple(_ir.RankedTensorType(t).shape) for t in types]
