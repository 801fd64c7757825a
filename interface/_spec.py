"""Typed, printable, JSON-able descriptions of what a piece accepts and returns.

Everything here is read from the concrete functions (traces) a `tf.function` holds,
restored or in process: no call is made to find it out.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

import tensorflow as tf

from reusable_savedmodel.interface import _tf_functions as tf_functions

#: Name of the protocol's training flag.
TRAINING = "training"


def spec_to_json(nest: Any) -> Any:
    """Converts a nest of `tf.TensorSpec` (and Python values) into JSON-able data."""
    if isinstance(nest, tf.TensorSpec):
        return {"dtype": nest.dtype.name, "shape": nest.shape.as_list() if nest.shape.rank is not None else None}
    if isinstance(nest, Mapping):
        return {str(k): spec_to_json(v) for k, v in nest.items()}
    if isinstance(nest, (list, tuple)):
        return [spec_to_json(v) for v in nest]
    if isinstance(nest, tf.TypeSpec):
        return {"type_spec": repr(nest)}
    return nest


def format_spec(nest: Any) -> str:
    """A short human form of a spec nest: `float32[?,4]`, `{'a': int32[?]}`, `[...]`."""
    if isinstance(nest, tf.TensorSpec):
        if nest.shape.rank is None:
            return f"{nest.dtype.name}[*]"
        dims = ",".join("?" if d is None else str(d) for d in nest.shape.as_list())
        return f"{nest.dtype.name}[{dims}]"
    if isinstance(nest, Mapping):
        return "{" + ", ".join(f"{k!r}: {format_spec(v)}" for k, v in nest.items()) + "}"
    if isinstance(nest, (list, tuple)):
        return "[" + ", ".join(format_spec(v) for v in nest) + "]"
    return repr(nest)


@dataclasses.dataclass(frozen=True)
class KwargSpec:
    """An extra keyword argument of `__call__`.

    Attributes:
      name: The keyword.
      kind: `"tensor"` (a Tensor may be passed; a Python default otherwise) or `"python"`
        (a Python value selects among traces).
      default: The value used when the keyword is left out.
      values: For `"python"` kwargs, the values some trace exists for.
      spec: For `"tensor"` kwargs, the accepted `tf.TensorSpec`.
    """

    name: str
    kind: str
    default: Any = None
    values: tuple[Any, ...] = ()
    spec: tf.TensorSpec | None = None

    def to_json(self) -> dict[str, Any]:
        """Returns the JSON-able form."""
        return {
            "name": self.name,
            "kind": self.kind,
            "default": spec_to_json(self.default),
            "values": [spec_to_json(v) for v in self.values],
            "spec": spec_to_json(self.spec) if self.spec is not None else None,
        }

    def __str__(self) -> str:
        if self.kind == "tensor":
            return f"{self.name}: tensor {format_spec(self.spec)} (default {self.default!r})"
        return f"{self.name}: python, one of {list(self.values)} (default {self.default!r})"


@dataclasses.dataclass(frozen=True)
class TraceSpec:
    """One concrete function (trace) of a callable: what it takes and returns.

    Attributes:
      inputs: Nest of `tf.TensorSpec` for the positional `inputs`.
      training: The Python `training` value of this trace, or None if there is no such
        parameter; a `tf.TensorSpec` if `training` was (wrongly) traced as a tensor.
      kwargs: The other arguments: a `tf.TensorSpec` or the Python value traced.
      outputs: Nest of `tf.TensorSpec` returned.
    """

    inputs: Any
    training: Any
    kwargs: Mapping[str, Any]
    outputs: Any

    def to_json(self) -> dict[str, Any]:
        """Returns the JSON-able form."""
        return {
            "inputs": spec_to_json(self.inputs),
            "training": spec_to_json(self.training),
            "kwargs": {k: spec_to_json(v) for k, v in self.kwargs.items()},
            "outputs": spec_to_json(self.outputs),
        }


@dataclasses.dataclass(frozen=True)
class CallSpec:
    """What a callable (`__call__` or a named callable's) accepts, read from its traces.

    Attributes:
      inputs: The distinct input nests accepted, in trace order.
      outputs: The distinct output nests returned, in trace order.
      accepts_training: Whether `training` is a parameter.
      training_values: The Python `training` values some trace exists for.
      kwargs: Extra keyword arguments.
      traces: Every trace, in order.
    """

    inputs: tuple[Any, ...]
    outputs: tuple[Any, ...]
    accepts_training: bool
    training_values: tuple[bool, ...]
    kwargs: tuple[KwargSpec, ...]
    traces: tuple[TraceSpec, ...]

    def to_json(self) -> dict[str, Any]:
        """Returns the JSON-able form."""
        return {
            "inputs": [spec_to_json(s) for s in self.inputs],
            "outputs": [spec_to_json(s) for s in self.outputs],
            "accepts_training": self.accepts_training,
            "training_values": list(self.training_values),
            "kwargs": [k.to_json() for k in self.kwargs],
            "traces": [t.to_json() for t in self.traces],
        }

    def lines(self) -> list[str]:
        """Human-readable lines, used by `PieceSpec.tree`."""
        out = [f"inputs:  {' | '.join(format_spec(s) for s in self.inputs) or '(none)'}"]
        out.append(f"outputs: {' | '.join(format_spec(s) for s in self.outputs) or '(none)'}")
        if self.accepts_training:
            out.append(f"training: traced for {list(self.training_values)}")
        else:
            out.append("training: not a parameter")
        out.extend(f"kwarg {k}" for k in self.kwargs)
        out.append(f"traces: {len(self.traces)}")
        return out


@dataclasses.dataclass(frozen=True)
class SignatureSpec:
    """An inference signature: keyword inputs and a dict of outputs."""

    inputs: Mapping[str, tf.TensorSpec]
    outputs: Mapping[str, tf.TensorSpec]

    def to_json(self) -> dict[str, Any]:
        """Returns the JSON-able form."""
        return {"inputs": spec_to_json(dict(self.inputs)), "outputs": spec_to_json(dict(self.outputs))}


@dataclasses.dataclass(frozen=True)
class PieceSpec:
    """Everything a consumer needs to know about a piece before calling it.

    Attributes:
      call: The `__call__` spec, or None for a root without `__call__`.
      num_variables: `len(variables)`.
      num_trainable_variables: `len(trainable_variables)`.
      variable_bytes: Total size of `variables`.
      num_regularization_losses: `len(regularization_losses)`.
      callables: Named callables (one level), name -> their spec.
      signatures: Signature name -> `SignatureSpec`.
      functions: Bare `tf.function` attributes (not protocol callables), name -> spec.
    """

    call: CallSpec | None
    num_variables: int
    num_trainable_variables: int
    variable_bytes: int
    num_regularization_losses: int
    callables: Mapping[str, PieceSpec]
    signatures: Mapping[str, SignatureSpec]
    functions: Mapping[str, CallSpec] = dataclasses.field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Returns the JSON-able form."""
        return {
            "call": self.call.to_json() if self.call else None,
            "num_variables": self.num_variables,
            "num_trainable_variables": self.num_trainable_variables,
            "variable_bytes": self.variable_bytes,
            "num_regularization_losses": self.num_regularization_losses,
            "callables": {k: v.to_json() for k, v in self.callables.items()},
            "signatures": {k: v.to_json() for k, v in self.signatures.items()},
            "functions": {k: v.to_json() for k, v in self.functions.items()},
        }

    def dumps(self) -> str:
        """Returns the spec as a JSON string."""
        return json.dumps(self.to_json(), indent=2)

    def tree(self, name: str = "piece") -> str:
        """Returns the spec as an indented tree for people."""
        lines = [name]
        lines.extend("  " + line for line in self.body_lines())
        return "\n".join(lines)

    def body_lines(self) -> list[str]:
        """The description's lines under its heading (the piece's tree indents them)."""
        lines: list[str] = []
        if self.call is None:
            lines.append(
                "__call__: absent (signature-only: inference through signatures)"
                if self.signatures and not self.callables
                else "__call__: absent (pick a named callable or tf.function)"
            )
        else:
            lines.append("__call__")
            lines.extend("  " + line for line in self.call.lines())
        lines.append(
            f"variables: {self.num_variables} ({self.num_trainable_variables} trainable, "
            f"{self.variable_bytes:,} bytes)"
        )
        lines.append(f"regularization_losses: {self.num_regularization_losses}")
        for cname, cspec in self.callables.items():
            lines.append(f"callable {cname}")
            lines.extend("  " + line for line in cspec.body_lines())
        for fname, fspec in self.functions.items():
            lines.append(f"tf.function {fname} (not a protocol callable)")
            lines.extend("  " + line for line in fspec.lines())
        for sname, sig in self.signatures.items():
            ins = ", ".join(f"{k}={format_spec(v)}" for k, v in sig.inputs.items())
            outs = ", ".join(f"{k}={format_spec(v)}" for k, v in sig.outputs.items())
            lines.append(f"signature {sname}({ins}) -> {{{outs}}}")
        return lines

    def __str__(self) -> str:
        return self.tree()


def trace_spec(concrete: Any) -> TraceSpec:
    """Reads one concrete function's `TraceSpec`."""
    arguments = tf_functions.bound_arguments(concrete)
    if not arguments:
        return TraceSpec(inputs=None, training=None, kwargs={}, outputs=tf_functions.output_specs(concrete))
    names = list(arguments)
    inputs = arguments[names[0]]
    training = arguments.get(TRAINING)
    kwargs = {k: v for k, v in arguments.items() if k not in (names[0], TRAINING)}
    return TraceSpec(inputs=inputs, training=training, kwargs=kwargs, outputs=tf_functions.output_specs(concrete))


def call_spec(function: Any) -> CallSpec:
    """Reads the `CallSpec` of a `tf.function` (restored or in process) from its traces."""
    traces = tuple(trace_spec(c) for c in tf_functions.concrete_functions(function))
    defaults = tf_functions.argument_defaults(function)
    accepts_training = TRAINING in defaults or any(t.training is not None for t in traces)
    training_values = tuple(sorted({t.training for t in traces if isinstance(t.training, bool)}))
    return CallSpec(
        inputs=_distinct(t.inputs for t in traces),
        outputs=_distinct(t.outputs for t in traces),
        accepts_training=accepts_training,
        training_values=training_values,
        kwargs=_kwarg_specs(traces, defaults),
        traces=traces,
    )


def _kwarg_specs(traces: Sequence[TraceSpec], defaults: Mapping[str, Any]) -> tuple[KwargSpec, ...]:
    names: list[str] = []
    for t in traces:
        names.extend(k for k in t.kwargs if k not in names)
    specs = []
    for name in names:
        seen = [t.kwargs[name] for t in traces if name in t.kwargs]
        tensors = [v for v in seen if isinstance(v, tf.TensorSpec)]
        python_values = _distinct(v for v in seen if not isinstance(v, tf.TypeSpec))
        default = defaults.get(name, python_values[0] if python_values else None)
        if tensors:
            specs.append(KwargSpec(name, "tensor", default=default, spec=tensors[0]))
        else:
            specs.append(KwargSpec(name, "python", default=default, values=python_values))
    return tuple(specs)


def _distinct(items: Any) -> tuple[Any, ...]:
    out: list[Any] = []
    for item in items:
        if not any(_same(item, o) for o in out):
            out.append(item)
    return tuple(out)


def _same(a: Any, b: Any) -> bool:
    try:
        tf.nest.assert_same_structure(a, b, check_types=False)
    except (ValueError, TypeError):
        return False
    return all(
        type(x) is type(y) and x == y for x, y in zip(tf.nest.flatten(a), tf.nest.flatten(b))
    )


def signature_spec(concrete: Any) -> SignatureSpec:
    """Reads a signature's keyword inputs and outputs."""
    _, kwargs = concrete.structured_input_signature
    # TF1 signatures (wrapped functions) hold symbolic Tensors as outputs: read their specs.
    return SignatureSpec(inputs=dict(kwargs), outputs=dict(tf_functions.output_specs(concrete)))
