"""TF-free descriptions of traces, and choosing the trace a call needs.

A `TraceKey` says what one trace accepts (input shapes and dtypes, the Python `training`
value, extra keyword arguments) in plain Python, so that a `JaxPiece` loaded without
TensorFlow can still pick traces, and so that keys serialize to JSON.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import numpy as np

from reusable_savedmodel.adapters.jax._errors import NoTraceError, RngRequiredError
from reusable_savedmodel.adapters.jax.runtime import _wide as wide


@dataclasses.dataclass(frozen=True)
class LeafSpec:
    """One array argument: shape (None for unknown dimensions) and dtype name."""

    shape: tuple[int | None, ...] | None
    dtype: str

    def accepts(self, value: Any, narrowed: bool = False) -> bool:
        """Whether an array (or scalar) `value` fits this spec (or, with `narrowed`, would
        fit it but for JAX's narrowing of 64-bit types)."""
        if not hasattr(value, "shape"):
            value = np.asarray(value)
        if np.dtype(value.dtype) != np.dtype(self.dtype) and not (narrowed and wide.narrowed(value, self.dtype)):
            return False
        if self.shape is None:
            return True
        return len(value.shape) == len(self.shape) and all(
            s is None or s == d for s, d in zip(self.shape, value.shape)
        )

    def __str__(self) -> str:
        if self.shape is None:
            return f"{self.dtype}[*]"
        return f"{self.dtype}[{','.join('?' if d is None else str(d) for d in self.shape)}]"


@dataclasses.dataclass(frozen=True)
class PythonValue:
    """A Python-valued keyword argument a trace was made for (e.g. `return_hidden=True`)."""

    value: Any


@dataclasses.dataclass(frozen=True)
class TraceKey:
    """What one trace accepts.

    Attributes:
      inputs: A nest (dict / list / tuple) of `LeafSpec` for the positional `inputs`.
      training: The trace's Python `training` value, or None if it takes no `training`.
      kwargs: Extra keyword arguments: name -> `LeafSpec` (array-valued) or `PythonValue`.
      defaults: Name -> the Python default used when the keyword is left out.
    """

    inputs: Any
    training: bool | None
    kwargs: tuple[tuple[str, LeafSpec | PythonValue], ...]
    defaults: tuple[tuple[str, Any], ...] = ()

    def leaves(self) -> list[LeafSpec]:
        """The array arguments' specs: the inputs' leaves, then the array-valued keyword arguments."""
        inputs = jax.tree_util.tree_leaves(self.inputs, is_leaf=lambda s: isinstance(s, LeafSpec))
        return [*inputs, *(s for _, s in self.kwargs if isinstance(s, LeafSpec))]

    def tensor_kwargs(self) -> tuple[str, ...]:
        """Names of the array-valued keyword arguments, in order."""
        return tuple(n for n, s in self.kwargs if isinstance(s, LeafSpec))

    def describe(self) -> str:
        """One line for error messages."""
        parts = [f"inputs {_describe(self.inputs)}"]
        if self.training is not None:
            parts.append(f"training={self.training}")
        for name, spec in self.kwargs:
            parts.append(f"{name}={spec.value!r}" if isinstance(spec, PythonValue) else f"{name}: {spec}")
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        """Returns the JSON-able form (see `from_json`)."""
        return {
            "inputs": _nest_to_json(self.inputs),
            "training": self.training,
            "kwargs": [[n, _nest_to_json(s)] for n, s in self.kwargs],
            "defaults": [[n, v] for n, v in self.defaults],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TraceKey:
        """Reads the form `to_json` writes."""
        return cls(
            inputs=_nest_from_json(data["inputs"]),
            training=data["training"],
            kwargs=tuple((n, _nest_from_json(s)) for n, s in data["kwargs"]),
            defaults=tuple((n, v) for n, v in data["defaults"]),
        )


def _describe(nest: Any) -> str:
    if isinstance(nest, LeafSpec):
        return str(nest)
    if isinstance(nest, Mapping):
        return "{" + ", ".join(f"{k!r}: {_describe(v)}" for k, v in nest.items()) + "}"
    return "[" + ", ".join(_describe(v) for v in nest) + "]"


def _nest_to_json(nest: Any) -> Any:
    if isinstance(nest, LeafSpec):
        return {"leaf": [None if nest.shape is None else list(nest.shape), nest.dtype]}
    if isinstance(nest, PythonValue):
        return {"python": nest.value}
    if isinstance(nest, Mapping):
        return {"dict": {k: _nest_to_json(v) for k, v in nest.items()}}
    return {"list": [_nest_to_json(v) for v in nest]}


def _nest_from_json(data: Mapping[str, Any]) -> Any:
    if "leaf" in data:
        shape, dtype = data["leaf"]
        return LeafSpec(None if shape is None else tuple(shape), dtype)
    if "python" in data:
        return PythonValue(data["python"])
    if "dict" in data:
        return {k: _nest_from_json(v) for k, v in data["dict"].items()}
    return [_nest_from_json(v) for v in data["list"]]


def _inputs_fit(inputs: Any, spec: Any, narrowed: bool) -> bool:
    if isinstance(spec, LeafSpec):
        return not isinstance(inputs, (Mapping, list, tuple)) and spec.accepts(inputs, narrowed)
    if isinstance(spec, Mapping):
        return isinstance(inputs, Mapping) and set(inputs) == set(spec) and all(
            _inputs_fit(inputs[k], spec[k], narrowed) for k in spec
        )
    return (
        isinstance(inputs, (list, tuple))
        and len(inputs) == len(spec)
        and all(_inputs_fit(v, s, narrowed) for v, s in zip(inputs, spec))
    )


def _is_array_like(value: Any) -> bool:
    return hasattr(value, "shape") or isinstance(value, (int, float, np.number))


def _score(
    key: TraceKey, inputs: Any, training: bool, kwargs: Mapping[str, Any], narrowed: bool = False
) -> int | None:
    """How well `key` fits a call: None if not at all; higher for exact Python matches.

    With `narrowed`, 64-bit inputs that JAX narrowed to 32 bits count as fitting.
    """
    if key.training is not None and key.training != training:
        return None
    if not _inputs_fit(inputs, key.inputs, narrowed):
        return None
    traced = dict(key.kwargs)
    defaults = dict(key.defaults)
    if set(kwargs) - set(traced):
        return None
    score = 0
    for name, spec in traced.items():
        if name in kwargs:
            value = kwargs[name]
            if isinstance(spec, PythonValue):
                if type(value) is not type(spec.value) or value != spec.value:
                    return None
                score += 1
            elif not _is_array_like(value):
                return None
        elif isinstance(spec, PythonValue):
            if name in defaults and spec.value != defaults[name]:
                return None
        elif _is_array_like(defaults.get(name)):
            score -= 1  # an array trace fed the default: usable, but a traced default is better
        else:
            return None
    return score


def select(
    keys: Sequence[TraceKey], inputs: Any, training: bool, kwargs: Mapping[str, Any], name: str
) -> int:
    """Returns the index of the trace that fits a call best.

    Args:
      keys: The traces' keys.
      inputs: The call's inputs (arrays, or tracers under `jit`).
      training: The Python `training` value.
      kwargs: The extra keyword arguments given.
      name: The piece's name, for the message.

    Raises:
      NoTraceError: if no trace fits (the message lists them all).
      X64RequiredError: if a trace would fit but for 64-bit inputs that JAX narrowed
        (64-bit types off), whose values may be lost.
    """
    best, best_score = None, -(2**31)
    for index, key in enumerate(keys):
        score = _score(key, inputs, training, kwargs)
        if score is not None and score > best_score:
            best, best_score = index, score
    if best is None and not wide.enabled():
        for key in keys:
            if _score(key, inputs, training, kwargs, narrowed=True) is not None:
                tensors = [kwargs.get(n) for n in key.tensor_kwargs()]
                given = jax.tree_util.tree_leaves(inputs) + tensors
                wide.require_exact(
                    name, ((f"input {i}", v, s.dtype) for i, (v, s) in enumerate(zip(given, key.leaves())))
                )
    if best is None:
        given = jax.tree_util.tree_map(
            lambda v: f"{np.dtype(v.dtype).name}{list(v.shape)}" if hasattr(v, "shape") else repr(v),
            inputs,
        )
        listing = "\n".join(f"  - {k.describe()}" for k in keys)
        raise NoTraceError(
            f"{name}: the call matches none of its {len(keys)} traces. Got inputs {given}, "
            f"training={training!r}, kwargs {sorted(kwargs)}.\nTraces:\n{listing}"
        )
    return best


@dataclasses.dataclass(frozen=True)
class JaxTrace:
    """One trace as a pure JAX function.

    Attributes:
      key: What it accepts.
      fn: `fn(variables, inputs, tensor_kwargs, rng) -> (outputs, updated)`: `variables`
        maps the names in `variable_paths` to arrays, `tensor_kwargs` is a tuple in the
        order of `key.tensor_kwargs()`, `updated` maps names of assigned variables to
        their new values.
      variable_paths: The variables the trace reads, by variable path (the keys of
        `JaxPiece.params` and `JaxPiece.state`).
      needs_rng: Whether it draws random numbers.
    """

    key: TraceKey
    fn: Callable[..., tuple[Any, dict[str, Any]]]
    variable_paths: tuple[str, ...]
    needs_rng: bool

    def __call__(self, variables: Mapping[str, Any], inputs: Any, kwargs: Mapping[str, Any], rng: Any, name: str):
        """Runs the trace; raises `RngRequiredError` if it needs `rng` and none is given."""
        if self.needs_rng and rng is None:
            raise RngRequiredError(
                f"{name}: the trace for {self.key.describe()} draws random numbers (e.g. "
                f"dropout in training); pass rng=jax.random.key(...) (or a PRNGKey)."
            )
        used = {n: variables[n] for n in self.variable_paths}
        defaults = dict(self.key.defaults)
        tensors = tuple(kwargs.get(n, defaults.get(n)) for n in self.key.tensor_kwargs())
        return self.fn(used, inputs, tensors, rng)
