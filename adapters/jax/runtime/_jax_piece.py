"""`JaxPiece`: a Reusable SavedModel as pure JAX functions over explicit params and state.

This module imports no TensorFlow: a `JaxPiece` may come from `to_jax` (traces converted
from TF on first use) or from `load_jax_piece` (traces deserialized with `jax.export`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from reusable_savedmodel.adapters.jax._errors import MissingVariablesError
from reusable_savedmodel.adapters.jax.runtime import _saving as saving
from reusable_savedmodel.adapters.jax.runtime import _traces as traces_lib
from reusable_savedmodel.adapters.jax.runtime import _wide as wide_lib
from reusable_savedmodel.adapters.jax.runtime._traces import JaxTrace, TraceKey
from reusable_savedmodel.interface import UnsupportedError

#: `build(index) -> JaxTrace`: makes the trace `index` (converting or deserializing it).
TraceBuilder = Callable[[int], JaxTrace]

Params = dict[str, jax.Array]


def _keeps_dtypes(nest: Any) -> bool:
    """Whether every leaf is an array whose dtype `jax.jit` keeps (e.g. not int64 without x64)."""
    return all(
        hasattr(leaf, "dtype") and jax.dtypes.canonicalize_dtype(leaf.dtype) == leaf.dtype
        for leaf in jax.tree_util.tree_leaves(nest)
    )


def _detached(name: str) -> Callable[..., Any]:
    def build(*_: Any) -> Any:
        raise RuntimeError(f"{name}: detached, yet a trace was not built (a bug: detach builds them all)")

    return build


class JaxPiece:
    """A pure-JAX version of a piece: `apply` is jit-, grad- and vmap-able.

    Args:
      name: A name for messages.
      params: The trainable variables' values, keyed by unique variable paths.
      state: The other variables' values (e.g. batch-norm statistics), keyed likewise.
      keys: Each trace's `TraceKey`.
      build: Makes trace `i` on first use (each trace is built once).
      build_regularization: Makes the regularization losses as `JaxTrace`s with no
        inputs, on first use.
      wide: Whether the piece's outputs hold 64-bit values (its inputs and variables are
        read from `keys`, `params` and `state`). A piece with 64-bit inputs, variables or
        outputs is *wide*: its calls carry those values exactly (see `_wide.py`).

    Attributes:
      wide: Whether the piece is wide.
    """

    def __init__(
        self,
        *,
        name: str,
        params: Mapping[str, Any],
        state: Mapping[str, Any],
        keys: Sequence[TraceKey],
        build: TraceBuilder,
        build_regularization: Callable[[], Sequence[JaxTrace]],
        wide: bool = False,
    ):
        self.name = name
        self.keys = tuple(keys)
        self.wide = wide or wide_lib.any_wide(
            [*(np.asarray(v).dtype for v in [*params.values(), *state.values()]),
             *(leaf.dtype for key in self.keys for leaf in key.leaves())]
        )
        with wide_lib.scope(self.wide):  # 64-bit values stay 64-bit
            self.params: Params = {k: jnp.asarray(v) for k, v in params.items()}
            self.state: Params = {k: jnp.asarray(v) for k, v in state.items()}
        self._build = build
        self._build_regularization = build_regularization
        self._traces: dict[int, JaxTrace] = {}
        self._regularization: tuple[JaxTrace, ...] | None = None
        #: `jit_apply`'s compiled functions, by `training` and Python-valued kwargs.
        self._compiled: dict[tuple[Any, ...], Callable[..., tuple[Any, Params]]] = {}
        #: `_wide_reads`'s answers, by trace index.
        self._wide_reads_by_trace: dict[int, tuple[tuple[str, np.dtype], ...]] = {}

    @property
    def num_converted(self) -> int:
        """How many traces have been built (converted or deserialized) so far."""
        return len(self._traces)

    def trace(self, index: int) -> JaxTrace:
        """Returns trace `index`, converting (or deserializing) it on first use."""
        if index not in self._traces:
            with wide_lib.scope(self.wide):
                self._traces[index] = self._build(index)
        return self._traces[index]

    def detach(self) -> JaxPiece:
        """Converts every trace and regularization loss now, then lets go of their source.

        A piece from `to_jax` keeps the TensorFlow object to convert traces on first use;
        once detached it holds only JAX values and functions, so the TensorFlow object is
        freed when nothing else refers to it. Calls, `save` and `regularization_loss` work
        as before.

        Returns:
          The piece itself.

        Raises:
          UnconvertibleError: if a trace cannot be converted.
        """
        for index in range(len(self.keys)):
            self.trace(index)
        _ = self.regularization_traces
        self._build = _detached(self.name)
        self._build_regularization = _detached(self.name)
        return self

    @property
    def regularization_traces(self) -> tuple[JaxTrace, ...]:
        """The regularization losses as traces (built on first use)."""
        if self._regularization is None:
            with wide_lib.scope(self.wide):
                self._regularization = tuple(self._build_regularization())
        return self._regularization

    def select(self, inputs: Any, training: bool = False, **kwargs: Any) -> int:
        """Returns the index of the trace a call with these arguments runs.

        Raises:
          NoTraceError: if none fits.
        """
        return traces_lib.select(self.keys, inputs, bool(training), kwargs, self.name)

    def _exact_select(self, params: Mapping[str, Any], state: Mapping[str, Any], inputs: Any, training: bool,
                      kwargs: Mapping[str, Any], held_narrowed: Collection[str] = ()) -> int:
        """`select`, refusing the 64-bit values (inputs, params, state) JAX narrowed before the call.

        Runs in the caller's setting (outside `wide.scope`): only there does narrowing show.

        Raises:
          NoTraceError: if no trace fits.
          X64RequiredError: if a 64-bit value arrives narrowed.
        """
        index = self.select(inputs, training, **kwargs)
        if self.wide and not wide_lib.enabled():
            wide_lib.require_exact(
                self.name,
                ((f"variable {n!r}", params[n] if n in params else state[n], dtype)
                 for n, dtype in self._wide_reads(index)
                 if (n in params or n in state) and n not in held_narrowed),
            )
        return index

    def _wide_reads(self, index: int) -> tuple[tuple[str, np.dtype], ...]:
        """The 64-bit variables trace `index` reads, with their dtypes: the only values JAX
        can narrow. Found once per trace (a call checks these, not every variable)."""
        if index not in self._wide_reads_by_trace:
            own = {**self.state, **self.params}
            self._wide_reads_by_trace[index] = tuple(
                (n, own[n].dtype) for n in self.trace(index).variable_paths
                if n in own and wide_lib.is_wide(own[n].dtype)
            )
        return self._wide_reads_by_trace[index]

    def apply(
        self,
        params: Mapping[str, Any],
        state: Mapping[str, Any],
        inputs: Any,
        *,
        training: bool = False,
        rng: jax.Array | None = None,
        held_narrowed: Collection[str] = (),
        **kwargs: Any,
    ) -> tuple[Any, Params]:
        """Runs the forward pass.

        Args:
          params: Trainable values, as `self.params` (differentiate with respect to these).
          state: Other variables' values, as `self.state`.
          inputs: An array, a list or a dict of arrays, as the piece's inputs.
          training: A Python bool: selects the training or the inference trace.
          rng: A JAX PRNG key; required when the selected trace draws random numbers
            (e.g. dropout in training).
          held_narrowed: Paths of 64-bit variables that the caller holds in 32 bits, having
            checked that their values fit exactly (e.g. Keras's JAX backend, whose
            variables follow JAX's 64-bit setting); they are not refused as narrowed.
          **kwargs: The piece's extra keyword arguments (arrays or Python values).

        Returns:
          `(outputs, new_state)`: `new_state` holds the values the trace assigned (e.g.
          batch-norm moving statistics in training) and `state`'s other values.

        Raises:
          NoTraceError: if the arguments match no trace.
          RngRequiredError: if the trace needs `rng` and none is given.
          UnconvertibleError: if the trace is converted now and cannot be.
          X64RequiredError: if the piece is wide and 64-bit inputs or variables arrive
            narrowed to 32 bits (e.g. through a `jax.jit` with 64-bit types off).
          MissingVariablesError: if `params` and `state` lack a variable the trace reads.
          UnsupportedError: if the trace assigns a trainable variable.
          TypeError: if `training` is not a Python bool.
        """
        if not isinstance(training, bool):
            raise TypeError(
                f"{self.name}: `training` must be a Python bool (it selects a trace), got "
                f"{type(training).__name__}; use jax.lax.cond over two apply calls for a traced flag."
            )
        trace = self.trace(self._exact_select(params, state, inputs, training, kwargs, held_narrowed))
        variables = {**state, **params}
        missing = [n for n in trace.variable_paths if n not in variables]
        if missing:
            raise MissingVariablesError(f"{self.name}: params/state lack {missing}")
        with wide_lib.scope(self.wide):
            outputs, updated = trace(variables, inputs, kwargs, rng, self.name)
        assigned_params = sorted(set(updated) & set(params))
        if assigned_params:
            raise UnsupportedError(
                f"{self.name}: the trace assigns trainable variables {assigned_params}; "
                f"a functional apply cannot return them. Mark them non-trainable in the model."
            )
        return outputs, {**state, **{n: updated[n] for n in updated if n in state}}

    def jit_apply(
        self,
        params: Mapping[str, Any],
        state: Mapping[str, Any],
        inputs: Any,
        *,
        training: bool = False,
        rng: jax.Array | None = None,
        held_narrowed: Collection[str] = (),
        **kwargs: Any,
    ) -> tuple[Any, Params]:
        """`apply` compiled with `jax.jit`: the same results, without running op by op.

        One compiled function per `training` value and set of Python-valued keyword
        arguments (arrays are traced); `jax.jit` compiles it again per input shape. Inside
        another transformation (`jax.jit`, `nnx.jit`, `jax.grad`) it traces like `apply`.
        It takes `apply`'s arguments, returns what `apply` returns and raises what `apply`
        raises (see there).
        """
        python = tuple(sorted((k, v) for k, v in kwargs.items() if not hasattr(v, "shape")))
        key = (training, python)
        try:
            hash(key)
        except TypeError:  # an unhashable Python value (or a traced flag): apply reports it
            return self.apply(params, state, inputs, training=training, rng=rng, held_narrowed=held_narrowed, **kwargs)
        if self.wide and not wide_lib.enabled():
            # Refuse narrowed values here: inside the scope below they no longer show.
            self._exact_select(params, state, inputs, bool(training), kwargs, held_narrowed)
            with wide_lib.scope(True):
                return self.jit_apply(params, state, inputs, training=training, rng=rng, **kwargs)
        if not _keeps_dtypes((inputs, [v for v in kwargs.values() if hasattr(v, "shape")])):
            # jax.jit would turn these into other types before a trace is selected.
            return self.apply(params, state, inputs, training=training, rng=rng, **kwargs)
        compiled = self._compiled.get(key)
        if compiled is None:
            static = dict(python)

            def run(params: Any, state: Any, inputs: Any, arrays: Any, rng: Any) -> tuple[Any, Params]:
                outputs, new_state = self.apply(params, state, inputs, training=training, rng=rng, **static, **arrays)
                # Only the values the trace assigned leave the compiled function: handing
                # the whole state back would add an output per state entry to every call
                # (with MobileNetV2's 104 state arrays, about three times the dispatch time).
                return outputs, {n: v for n, v in new_state.items() if v is not state[n]}

            compiled = self._compiled[key] = jax.jit(run)
        arrays = {k: v for k, v in kwargs.items() if hasattr(v, "shape")}
        outputs, assigned = compiled(params, state, inputs, arrays, rng)
        return outputs, {**state, **assigned}

    def __call__(
        self, inputs: Any, *, training: bool = False, rng: jax.Array | None = None, jit: bool = True, **kwargs: Any
    ) -> Any:
        """Runs the forward pass with the piece's own `params` and `state`.

        Args:
          inputs: An array, a list or a dict of arrays, as the piece's inputs.
          training: A Python bool: selects the training or the inference trace.
          rng: A JAX PRNG key, for traces that draw random numbers.
          jit: Compile the call (`jit_apply`, the default); False runs `apply` op by op,
            which starts sooner only for a call made once on a tiny model.
          **kwargs: The piece's extra keyword arguments.

        Returns:
          Only the outputs (the state the training trace assigns is not kept).

        Raises:
          NoTraceError, RngRequiredError, UnconvertibleError: as `apply`.
        """
        run = self.jit_apply if jit else self.apply
        return run(self.params, self.state, inputs, training=training, rng=rng, **kwargs)[0]

    def regularization_loss(self, params: Mapping[str, Any]) -> jax.Array:
        """The sum of the piece's regularization losses at `params` (0.0 when none).

        Losses that read non-trainable variables use `self.state`.
        """
        total = jnp.zeros((), jnp.float32)
        variables = {**self.state, **params}
        for trace in self.regularization_traces:
            with wide_lib.scope(self.wide):
                value, _ = trace(variables, [], {}, None, self.name)
            total = total + jnp.asarray(value, jnp.float32)
        return total

    def save(self, path: str | os.PathLike, *, platforms: Sequence[str] = ("cpu", "cuda")) -> Path:
        """Serializes the piece with `jax.export` for use without TensorFlow (`load_jax_piece`).

        See `runtime.saving.save_jax_piece` (converts every trace not converted yet).
        """
        with wide_lib.scope(self.wide):
            return saving.save_jax_piece(self, path, platforms=platforms)

    def __repr__(self) -> str:
        return (
            f"JaxPiece({self.name!r}, params={len(self.params)}, state={len(self.state)}, "
            f"traces={len(self.keys)}, converted={len(self._traces)})"
        )
