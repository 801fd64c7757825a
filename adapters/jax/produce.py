"""`from_jax`: a JAX function and its params as an in-process Reusable SavedModel.

The forward pass runs in TF through `jax2tf.convert` (gradients included); params become
trainable `tf.Variable`s, state non-trainable ones, assigned in the `training=True` trace.
Each trace is also written as a `jax.export` serialization (see `embedded`), so that
`to_jax` of the saved model runs the original JAX code again: tf2jax cannot convert
the `XlaCallModule` ops jax2tf emits.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import jax
import numpy as np
import tensorflow as tf
from jax.experimental import jax2tf

from reusable_savedmodel.adapters.jax import embedded
from reusable_savedmodel.adapters.jax.convert import trace_key
from reusable_savedmodel.adapters.jax.exported import raw_key
from reusable_savedmodel.interface import Piece, ReusableModule, as_piece
from reusable_savedmodel.interface.spec import TraceSpec

ApplyFn = Callable[..., Any]


def _path_name(path: tuple[Any, ...]) -> str:
    """`a/b/0` for a pytree path; a trailing `.value` (Flax nnx Variables) is dropped."""
    if path and getattr(path[-1], "name", None) == "value":
        path = path[:-1]
    parts = []
    for entry in path:
        for attr in ("key", "name", "idx"):
            if hasattr(entry, attr):
                parts.append(str(getattr(entry, attr)))
                break
    return "/".join(parts).replace(":", "_") or "value"


def _polymorphic(spec: tf.TensorSpec, counter: list[int]) -> str:
    dims = []
    for axis, dim in enumerate(spec.shape.as_list()):
        if dim is not None:
            dims.append(str(dim))
        elif axis == 0:
            dims.append("b")
        else:
            counter[0] += 1
            dims.append(f"d{counter[0]}")
    return "(" + ", ".join(dims) + ")"


class JaxExport(ReusableModule):
    """The in-process object `from_jax` returns (a `ReusableModule`).

    Args:
      apply_fn: See `from_jax`.
      params: A pytree of arrays: the trainable values.
      input_signature: A nest of `tf.TensorSpec` for the inputs.
      state: A pytree of the other values, or None.
      regularization_loss: `regularization_loss(params) -> scalar`, or None.
    """

    def __init__(
        self,
        apply_fn: ApplyFn,
        params: Any,
        *,
        input_signature: Any,
        state: Any = None,
        regularization_loss: Callable[[Any], Any] | None = None,
    ):
        super().__init__(input_signature)
        self._apply_fn = apply_fn
        self._has_state = state is not None
        self._takes_rng = "rng" in inspect.signature(apply_fn).parameters
        param_leaves, self._param_tree = jax.tree_util.tree_flatten_with_path(params)
        state_leaves, self._state_tree = jax.tree_util.tree_flatten_with_path(state if self._has_state else {})
        self.params = [
            tf.Variable(np.asarray(v), trainable=True, name=f"params/{_path_name(p)}") for p, v in param_leaves
        ]
        self.state = [
            tf.Variable(np.asarray(v), trainable=False, name=f"state/{_path_name(p)}") for p, v in state_leaves
        ]
        self._regularization_fn = regularization_loss
        counter = [0]
        polymorphic = tf.nest.map_structure(lambda s: _polymorphic(s, counter), input_signature)
        self._converted = {
            training: jax2tf.convert(
                self._jax_function(training),
                polymorphic_shapes=[None, None, polymorphic, None],
                with_gradient=True,
            )
            for training in (False, True)
        }

    @property
    def takes_rng(self) -> bool:
        """Whether `apply_fn` takes an `rng` (the training trace then draws a key)."""
        return self._takes_rng

    def _jax_function(self, training: bool) -> Callable[..., Any]:
        """`f(param_leaves, state_leaves, inputs, rng) -> (outputs, new_state_leaves)`."""

        def f(param_leaves, state_leaves, inputs, rng):
            params = self._param_tree.unflatten(param_leaves)
            kwargs: dict[str, Any] = {"training": training}
            if self._takes_rng:
                kwargs["rng"] = rng if training else None
            if not self._has_state:
                return self._apply_fn(params, inputs, **kwargs), list(state_leaves)
            state = self._state_tree.unflatten(state_leaves)
            outputs, new_state = self._apply_fn(params, state, inputs, **kwargs)
            return outputs, self._state_tree.flatten_up_to(new_state)

        return f

    # Autograph would try to rewrite JAX's own Python (slowly, and with warnings).
    @tf.autograph.experimental.do_not_convert
    def call(self, inputs: Any, training: bool = False) -> Any:  # noqa: D102 (documented on the base)
        # A fresh raw key per training call; inference draws no randomness.
        rng = tf.random.uniform([2], maxval=tf.int32.max, dtype=tf.int32) if training else tf.zeros([2], tf.int32)
        outputs, new_state = self._converted[training](
            [v.value() for v in self.params],
            [v.value() for v in self.state],
            inputs,
            tf.bitcast(rng, tf.uint32),
        )
        if training:
            for variable, value in zip(self.state, new_state):
                variable.assign(value)
        return outputs

    def regularization(self) -> list[Callable[[], tf.Tensor]]:  # noqa: D102
        if self._regularization_fn is None:
            return []
        loss = jax2tf.convert(lambda leaves: self._regularization_fn(self._param_tree.unflatten(leaves)))
        return [tf.autograph.experimental.do_not_convert(lambda: loss([v.value() for v in self.params]))]

    def jax_apply(self, training: bool) -> Callable[..., Any]:
        """The trace as `f(variables: dict, inputs, tensor_kwargs, rng) -> (outputs, updated)`."""
        names = [_name(v) for v in self.params], [_name(v) for v in self.state]
        jax_fn = self._jax_function(training)

        def f(variables: Mapping[str, Any], inputs: Any, tensor_kwargs: tuple, rng: Any):
            del tensor_kwargs  # from_jax traces take none
            outputs, new_state = jax_fn(
                [variables[n] for n in names[0]], [variables[n] for n in names[1]], inputs, raw_key(rng)
            )
            return outputs, dict(zip(names[1], new_state)) if training else {}

        return f

    def jax_regularization(self) -> Callable[..., Any] | None:
        """The regularization loss as `f(variables, inputs, tensor_kwargs, rng) -> (loss, {})`."""
        if self._regularization_fn is None:
            return None
        names = [_name(v) for v in self.params]
        return lambda variables, inputs, tensor_kwargs, rng: (
            self._regularization_fn(self._param_tree.unflatten([variables[n] for n in names])),
            {},
        )


def _name(variable: tf.Variable) -> str:
    return variable.name[:-2] if variable.name.endswith(":0") else variable.name


def from_jax(
    apply_fn: ApplyFn,
    params: Any,
    *,
    input_signature: Any,
    state: Any = None,
    regularization_loss: Callable[[Any], Any] | None = None,
) -> Piece:
    """Makes a JAX function a Reusable SavedModel (in process; `rsm.save` writes it).

    Args:
      apply_fn: With `state`: `apply_fn(params, state, inputs, *, training) -> (outputs,
        new_state)`; without: `apply_fn(params, inputs, *, training) -> outputs`. If it
        has an `rng` parameter it gets a fresh PRNG key in training and None otherwise.
        `JaxPiece.apply` has this form, so a converted piece exports back.
      params: A pytree of arrays: becomes `trainable_variables`.
      input_signature: A nest of `tf.TensorSpec` for `inputs`; None dimensions (the
        batch) stay symbolic.
      state: A pytree of arrays updated in training (e.g. batch-norm statistics):
        non-trainable variables, assigned in the `training=True` trace.
      regularization_loss: `regularization_loss(params) -> scalar`: becomes the
        piece's one regularization loss.

    Returns:
      A Piece over a `JaxExport`, traced for `training` False and True.
    """
    module = JaxExport(
        apply_fn, params, input_signature=input_signature, state=state, regularization_loss=regularization_loss
    )
    module.finalize_reusable()
    embedded.attach(module, input_signature)
    return as_piece(module)


def keys_for(input_signature: Any) -> dict[bool, Any]:
    """The `TraceKey`s of a `from_jax` piece's two traces."""
    return {
        training: trace_key(TraceSpec(inputs=input_signature, training=training, kwargs={}, outputs=None), {})
        for training in (False, True)
    }
