"""`from_jax`: a JAX function and its params as an in-process Reusable SavedModel.

The forward pass runs in TF through `jax2tf` (see `tf_bridge`: first-order gradients,
saved with the model); params become trainable `tf.Variable`s, state non-trainable ones,
assigned in the `training=True` trace.
Each trace is also written as a `jax.export` serialization (see `embedded`), so that
`to_jax` of the saved model runs the original JAX code again: tf2jax cannot convert
the `XlaCallModule` ops jax2tf emits.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from typing import Any

import jax
import numpy as np
import tensorflow as tf

from reusable_savedmodel.adapters.jax.conversion import attach_exports, jax_to_tf, variable_name
from reusable_savedmodel.adapters.jax.runtime import dimension_names, raw_key
from reusable_savedmodel.interface import Piece, ReusableModule, as_piece

ApplyFn = Callable[..., Any]


def _pytree_path(path: tuple[Any, ...]) -> str:
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
    return "(" + ", ".join(dimension_names(spec.shape.as_list(), counter)) + ")"


@dataclasses.dataclass(frozen=True)
class JaxVariables:
    """The `tf.Variable`s behind a `from_jax` piece, shared by its named callables.

    Attributes:
      params: Trainable variables, one per leaf of the params pytree.
      state: Non-trainable variables, one per leaf of the state pytree.
      param_tree: The params pytree's structure.
      state_tree: The state pytree's structure (of `{}` without state).
      has_state: Whether a state pytree was given (it changes `apply_fn`'s form).
      regularization_loss: `regularization_loss(params) -> scalar`, or None.
    """

    params: tuple[tf.Variable, ...]
    state: tuple[tf.Variable, ...]
    param_tree: Any
    state_tree: Any
    has_state: bool
    regularization_loss: Callable[[Any], Any] | None

    @classmethod
    def create(
        cls, params: Any, state: Any = None, regularization_loss: Callable[[Any], Any] | None = None
    ) -> JaxVariables:
        """New variables holding the leaves of `params` and `state` (see `from_jax`)."""
        param_leaves, param_tree = jax.tree_util.tree_flatten_with_path(params)
        state_leaves, state_tree = jax.tree_util.tree_flatten_with_path(state if state is not None else {})
        return cls(
            params=tuple(
                tf.Variable(np.asarray(v), trainable=True, name=f"params/{_pytree_path(p)}") for p, v in param_leaves
            ),
            state=tuple(
                tf.Variable(np.asarray(v), trainable=False, name=f"state/{_pytree_path(p)}") for p, v in state_leaves
            ),
            param_tree=param_tree,
            state_tree=state_tree,
            has_state=state is not None,
            regularization_loss=regularization_loss,
        )


class JaxExport(ReusableModule):
    """The in-process object `from_jax` returns (a `ReusableModule`), and its named callables.

    Args:
      apply_fn: See `from_jax`.
      variables: The variables it reads; the root's own for a named callable.
      input_signature: A nest of `tf.TensorSpec` for the inputs.
    """

    def __init__(self, apply_fn: ApplyFn, variables: JaxVariables, *, input_signature: Any):
        super().__init__(input_signature)
        self._apply_fn = apply_fn
        parameters = inspect.signature(apply_fn).parameters
        self._takes_rng = "rng" in parameters
        # A plain inference function (no `training` parameter) serves both traces.
        self._takes_training = "training" in parameters or any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
        )
        self._jax_variables = variables
        self.params = list(variables.params)
        self.state = list(variables.state)
        counter = [0]
        polymorphic = tf.nest.map_structure(lambda s: _polymorphic(s, counter), input_signature)
        # Autograph would try to rewrite JAX's own Python (slowly, and with warnings); kept
        # off here rather than on `call`, whose signature peers inspect for `training`.
        self._converted = {
            training: tf.autograph.experimental.do_not_convert(
                jax_to_tf(
                    self._jax_function(training), polymorphic_shapes=[None, None, polymorphic, None]
                )
            )
            for training in (False, True)
        }

    @property
    def takes_rng(self) -> bool:
        """Whether `apply_fn` takes an `rng` (the training trace then draws a key)."""
        return self._takes_rng

    def _jax_function(self, training: bool) -> Callable[..., Any]:
        """`f(param_leaves, state_leaves, inputs, rng) -> (outputs, new_state_leaves)`."""
        trees = self._jax_variables

        def f(param_leaves, state_leaves, inputs, rng):
            params = trees.param_tree.unflatten(param_leaves)
            kwargs: dict[str, Any] = {"training": training} if self._takes_training else {}
            if self._takes_rng:
                kwargs["rng"] = rng if training else None
            if not trees.has_state:
                return self._apply_fn(params, inputs, **kwargs), list(state_leaves)
            state = trees.state_tree.unflatten(state_leaves)
            outputs, new_state = self._apply_fn(params, state, inputs, **kwargs)
            return outputs, trees.state_tree.flatten_up_to(new_state)

        return f

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

    def trace_in_jax(self) -> None:
        """Runs the JAX function's tracing once, with abstract values, outside TensorFlow.

        An `apply_fn` that does work on first call (e.g. `JaxPiece.apply`, which converts
        a trace on first use and creates TF objects doing so) must do it here, eagerly,
        not inside the graph TensorFlow builds while tracing `__call__`.
        """
        trees = self._jax_variables
        abstract = lambda v: jax.ShapeDtypeStruct(tuple(v.shape), v.dtype.as_numpy_dtype)  # noqa: E731
        inputs = tf.nest.map_structure(
            lambda spec: jax.ShapeDtypeStruct(
                tuple(1 if d is None else d for d in spec.shape), spec.dtype.as_numpy_dtype
            ),
            self.input_signature,
        )
        for training in (False, True):
            jax.eval_shape(
                self._jax_function(training),
                [abstract(v) for v in trees.params],
                [abstract(v) for v in trees.state],
                inputs,
                jax.ShapeDtypeStruct((2,), np.uint32),
            )

    def regularization(self) -> list[Callable[[], tf.Tensor]]:  # noqa: D102
        trees, regularization_loss = self._jax_variables, self._jax_variables.regularization_loss
        if regularization_loss is None:
            return []
        loss = jax_to_tf(lambda leaves: regularization_loss(trees.param_tree.unflatten(leaves)))
        return [tf.autograph.experimental.do_not_convert(lambda: loss([v.value() for v in self.params]))]

    def jax_apply(self, training: bool) -> Callable[..., Any]:
        """The trace as `f(variables: dict, inputs, tensor_kwargs, rng) -> (outputs, updated)`."""
        names = [variable_name(v) for v in self.params], [variable_name(v) for v in self.state]
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
        trees, regularization_loss = self._jax_variables, self._jax_variables.regularization_loss
        if regularization_loss is None:
            return None
        names = [variable_name(v) for v in self.params]
        return lambda variables, inputs, tensor_kwargs, rng: (
            regularization_loss(trees.param_tree.unflatten([variables[n] for n in names])),
            {},
        )


def _finalized(module: JaxExport, input_signature: Any) -> JaxExport:
    """Traces `module` and embeds its `jax.export` serializations (for `to_jax`)."""
    module.trace_in_jax()
    module.finalize_reusable()
    attach_exports(module, input_signature)
    return module


def _callable_export(name: str, value: Any, variables: JaxVariables) -> JaxExport:
    """The `JaxExport` of one entry of `from_jax(callables=...)`, over the root's variables."""
    if not (isinstance(value, tuple) and len(value) == 2 and callable(value[0])):
        raise TypeError(
            f"from_jax: callables[{name!r}] must be (apply_fn, input_signature) with apply_fn "
            f"in from_jax's form, got {type(value).__name__}."
        )
    apply_fn, input_signature = value
    return _finalized(JaxExport(apply_fn, variables, input_signature=input_signature), input_signature)


def from_jax(
    apply_fn: ApplyFn,
    params: Any,
    *,
    input_signature: Any,
    state: Any = None,
    regularization_loss: Callable[[Any], Any] | None = None,
    callables: Mapping[str, tuple[ApplyFn, Any]] | None = None,
) -> Piece:
    """Makes a JAX function a Reusable SavedModel (in process; `rsm.save` writes it).

    Named callables are further functions of the same `params` (and `state`), e.g.
    `callables={"embed": (embed_fn, tf.TensorSpec([None, 3], tf.float32))}` gives
    `piece.callables["embed"]` (`obj.embed(x, training=False)` once saved) and
    `to_jax(piece, callable="embed")`. Each runs on the root's own variables (saved once;
    fine-tuning the root changes it). JAX does not tell which leaves a function reads, so
    a callable's `variables`, `trainable_variables` and regularization loss are the
    root's, whichever leaves it uses.

    Args:
      apply_fn: With `state`: `apply_fn(params, state, inputs, *, training) -> (outputs,
        new_state)`; without: `apply_fn(params, inputs, *, training) -> outputs` (a
        function without a `training` parameter serves both traces). If it
        has an `rng` parameter it gets a fresh PRNG key in training and None otherwise.
        `JaxPiece.apply` has this form, so a converted piece exports back.
      params: A pytree of arrays: becomes `trainable_variables`.
      input_signature: A nest of `tf.TensorSpec` for `inputs`; None dimensions (the
        batch) stay symbolic.
      state: A pytree of arrays updated in training (e.g. batch-norm statistics):
        non-trainable variables, assigned in the `training=True` trace.
      regularization_loss: `regularization_loss(params) -> scalar`: becomes the
        piece's one regularization loss.
      callables: Name -> `(apply_fn, input_signature)`, `apply_fn` in the form above
        over the same `params` (and `state`). Names are Python identifiers not starting
        with `_`.

    Returns:
      A Piece over a `JaxExport`, traced for `training` False and True.

    Raises:
      TypeError: if a callable is not an `(apply_fn, input_signature)` pair.
      ValueError: if a callable's name is not admissible.
    """
    variables = JaxVariables.create(params, state, regularization_loss)
    module = _finalized(JaxExport(apply_fn, variables, input_signature=input_signature), input_signature)
    module.add_callables(callables or {}, lambda name, value: _callable_export(name, value, variables))
    return as_piece(module)
