"""A JAX function as a TensorFlow function whose first-order gradient a SavedModel keeps.

`jax2tf.convert(f, with_gradient=True)` attaches a custom gradient that converts `f`'s
VJP again *with* gradients, so the gradient function itself holds custom gradients whose
own (second-order) gradient functions TensorFlow never traces, hence never saves: every
load then warns "Importing a function ... with ops with unsaved custom gradients". Here
the forward pass and its VJP are each converted without gradients and joined by a
`tf.custom_gradient`: the saved first-order gradient is complete, and a second-order
request meets the VJP's `PreventGradient` ops and raises `LookupError` saying so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import tensorflow as tf
from jax.experimental import jax2tf

#: What a second-order gradient request raises `LookupError` with.
SECOND_ORDER_MESSAGE = (
    "second-order gradients of a JAX function converted to TensorFlow are not available "
    "(only the first-order gradient is converted and saved); take those of the original "
    "JAX function in JAX"
)


def _differentiable(dtype: Any) -> bool:
    return bool(jax.numpy.issubdtype(dtype, jax.numpy.inexact))


def _shape_string(spec: jax.ShapeDtypeStruct) -> str:
    """A symbolic shape in jax2tf's `polymorphic_shapes` syntax, e.g. `(b, 4)`."""
    return "(" + ", ".join(str(d) for d in spec.shape) + ")"


def _arg_spec(tensor: tf.Tensor) -> jax.ShapeDtypeStruct:
    """A TF argument's shape (None for unknown sizes) and JAX dtype."""
    return jax.ShapeDtypeStruct(
        tuple(tensor.shape), jax.dtypes.canonicalize_dtype(tensor.dtype.as_numpy_dtype)
    )


def _vjp_function(
    fun: Callable[..., Any], in_tree: Any, in_diff: Sequence[bool], out_diff: Sequence[bool]
):
    """`vjp(*flat_args, *out_cts) -> in_cts`, over the differentiable leaves only.

    Integer inputs (keys, counters) get no cotangent and integer outputs take none, so
    no `float0` crosses into TensorFlow.
    """

    def vjp(*flat):
        flat_args, out_cts = flat[: len(in_diff)], flat[len(in_diff) :]
        diff_index = [i for i, d in enumerate(in_diff) if d]

        def differentiable_part(*diff_args):
            full = list(flat_args)
            for i, value in zip(diff_index, diff_args):
                full[i] = value
            flat_out = jax.tree_util.tree_leaves(fun(*jax.tree_util.tree_unflatten(in_tree, full)))
            return [o for o, d in zip(flat_out, out_diff) if d]

        _, pullback = jax.vjp(differentiable_part, *[flat_args[i] for i in diff_index])
        return pullback(list(out_cts))

    return vjp


def convert(
    fun: Callable[..., Any], polymorphic_shapes: Sequence[Any] | None = None
) -> Callable[..., Any]:
    """`fun` as a TF function of TF tensors, differentiable once, saveable with its gradient.

    Args:
      fun: A JAX function of positional pytree arguments returning a pytree of arrays.
      polymorphic_shapes: As for `jax2tf.convert`: one entry per positional argument
        (None, or a pytree prefix of shape strings such as `"(b, 4)"`).

    Returns:
      `f(*args)` on TF tensors (same pytrees), returning TF tensors in `fun`'s output
      structure. Its gradient for every floating input is `jax.vjp` of `fun`; integer
      inputs get None. Asking for the gradient of that gradient (e.g. a call under two
      nested `tf.GradientTape`s watching its inputs) raises `LookupError`.
    """
    forward = jax2tf.convert(fun, with_gradient=False, polymorphic_shapes=polymorphic_shapes)

    def call(*args: Any) -> Any:
        flat_args, in_tree = jax.tree_util.tree_flatten(args)
        specs = jax.export.symbolic_args_specs(
            jax.tree_util.tree_map(_arg_spec, args), polymorphic_shapes
        )
        flat_specs = jax.tree_util.tree_leaves(specs)
        out_specs, out_tree = jax.tree_util.tree_flatten(jax.eval_shape(fun, *specs))
        in_diff = [_differentiable(s.dtype) for s in flat_specs]
        out_diff = [_differentiable(s.dtype) for s in out_specs]
        # Cotangents have the outputs' shapes, in the inputs' dimension names.
        vjp_shapes = [_shape_string(s) for s in flat_specs] + [
            _shape_string(s) for s, d in zip(out_specs, out_diff) if d
        ]
        backward = jax2tf.convert(
            _vjp_function(fun, in_tree, in_diff, out_diff),
            with_gradient=False,
            polymorphic_shapes=vjp_shapes,
        )

        @tf.custom_gradient
        def differentiable(*flat: tf.Tensor) -> Any:
            flat_out = jax.tree_util.tree_leaves(
                forward(*jax.tree_util.tree_unflatten(in_tree, list(flat)))
            )

            def gradient(*dys: tf.Tensor | None) -> list[tf.Tensor | None]:
                # TensorFlow passes zeros for float outputs nothing depends on, and None
                # for integer outputs, which the VJP does not take.
                cts = [dy for dy, d in zip(dys, out_diff) if d]
                with tf.name_scope("jax_vjp"):
                    in_cts = iter(
                        tf.raw_ops.PreventGradient(input=g, message=SECOND_ORDER_MESSAGE)
                        for g in backward(*flat, *cts)
                    )
                return [next(in_cts) if d else None for d in in_diff]

            return flat_out, gradient

        return jax.tree_util.tree_unflatten(out_tree, differentiable(*flat_args))

    return call
