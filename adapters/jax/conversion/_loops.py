"""TF while loops (`While` / `StatelessWhile`) in JAX, differentiable in reverse mode where TF's are.

tf2jax 0.3.8 turns every TF while loop into `lax.while_loop`, which JAX cannot differentiate
in reverse mode: `jax.grad` through a tf_keras LSTM or a Sonnet `dynamic_unroll` fails inside
JAX. Most such loops run a number of steps fixed by shapes alone (a time counter against a
sequence length): here, when the loop condition depends only on loop variables whose values
are known while tracing (NumPy constants in tf2jax's conversion) and whose updates depend only
on such values, the step count is computed once and the loop runs as `lax.scan`, which JAX
differentiates both ways. Any other loop (a condition that reads data) stays a
`lax.while_loop` for the forward pass; `jax.grad` through it raises `UnconvertibleError`
naming the loop (forward-mode derivatives of such a loop are not available either).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.extend.core
import jax.numpy as jnp
import numpy as np

from reusable_savedmodel.adapters.jax import _compat as compat
from reusable_savedmodel.adapters.jax._errors import UnconvertibleError


def _known(value: Any) -> bool:
    """Whether a loop variable's value is known while tracing (not an input- or param-dependent array)."""
    return isinstance(value, (np.ndarray, np.generic, int, float, bool))


def _dependencies(fn: Callable[..., Any], args: Sequence[Any]) -> list[set[int]]:
    """For each flat output of `fn(*args)`, the indices of the flat arguments it may depend on.

    Read from the jaxpr: an equation's outputs depend on all of its inputs (over-approximating
    nested calls and control flow), which can only make a loop look less static than it is.
    A value `fn` closes over that is itself traced (not known now) counts as index -1.
    """
    closed = jax.make_jaxpr(fn)(*args)
    depends: dict[Any, set[int]] = {
        v: {-1} if isinstance(c, jax.core.Tracer) else set() for v, c in zip(closed.jaxpr.constvars, closed.consts)
    }
    depends.update({v: {i} for i, v in enumerate(closed.jaxpr.invars)})
    for eqn in closed.jaxpr.eqns:
        found = set().union(
            *(depends.get(v, set()) for v in eqn.invars if not isinstance(v, jax.extend.core.Literal))
        )
        for out in eqn.outvars:
            depends[out] = found
    return [set() if isinstance(v, jax.extend.core.Literal) else depends.get(v, set()) for v in closed.jaxpr.outvars]


Cond = Callable[[Sequence[Any], Sequence[Any]], Any]
Body = Callable[[Sequence[Any], Sequence[Any]], Sequence[Any]]


def static_steps(cond: Cond, body: Body, constants: Sequence[Any], carry: Sequence[Any]) -> int | None:
    """The number of steps of `while cond(constants, carry): carry = body(constants, carry)`
    when values known while tracing alone fix it.

    Args:
      cond: The loop condition.
      body: The loop body, returning the next carry.
      constants: What the loop reads but never changes; NumPy values are known now.
      carry: The initial carry (a tuple of arrays); NumPy values are known now.

    Returns:
      The step count, or None if the condition may depend on values not known while tracing.
    """
    values = [*constants, *carry]
    count = len(constants)
    abstract = [jax.ShapeDtypeStruct(jnp.shape(x), jnp.result_type(x)) for x in values]
    # One trace for both: the condition's dependencies, then each updated carry value's.
    cond_deps, *body_deps = _dependencies(
        lambda *xs: (cond(xs[:count], xs[count:]), *body(xs[:count], xs[count:])), abstract
    )
    known = {i for i, x in enumerate(values) if _known(x)}
    while True:  # a carried value stays known only if its update reads known values alone
        kept = {i for i in known if i < count or body_deps[i - count] <= known}
        if kept == known:
            break
        known = kept
    if not cond_deps <= known:
        return None
    carried = sorted(i - count for i in known if i >= count)

    def fill(start: int, given: dict[int, Any]) -> tuple[Any, ...]:
        # Unknown values are zeros: nothing the count reads depends on them.
        return tuple(
            given[i] if i in given else jnp.zeros(s.shape, s.dtype) for i, s in enumerate(abstract[start:], start)
        )

    def fixed() -> tuple[Any, ...]:
        return fill(0, {i: values[i] for i in known if i < count})[:count]

    def full(state: Sequence[Any]) -> tuple[Any, ...]:
        return fill(count, {count + i: v for i, v in zip(carried, state)})

    def count_cond(state: tuple[Any, Any]) -> Any:
        return cond(fixed(), full(state[0]))

    def count_body(state: tuple[Any, Any]) -> tuple[Any, Any]:
        updated = body(fixed(), full(state[0]))
        return tuple(updated[i] for i in carried), state[1] + 1

    with jax.ensure_compile_time_eval():  # a concrete number even inside jit or grad
        initial = tuple(jnp.asarray(carry[i]) for i in carried)
        _, steps = jax.lax.while_loop(count_cond, count_body, (initial, 0))
    return int(steps)


def run(cond: Cond, body: Body, constants: Sequence[Any], carry: Sequence[Any], where: str) -> tuple[Any, ...]:
    """Runs a TF while loop: as `lax.scan` when its step count is static, else as `lax.while_loop`.

    Args:
      cond: The loop condition, a function of the constants and the carry.
      body: The loop body, returning the next carry (same structure and types).
      constants: What the loop reads but never changes.
      carry: The initial carry.
      where: The loop's node and body function, for the error message.

    Returns:
      The final carry.
    """
    carry = tuple(carry)
    steps = static_steps(cond, body, constants, carry)
    if steps is not None:
        final, _ = jax.lax.scan(lambda c, _: (tuple(body(constants, c)), None), carry, length=steps)
        return final
    return _data_dependent(functools.partial(cond, constants), functools.partial(body, constants), where)(carry)


def _data_dependent(cond: Callable[..., Any], body: Callable[..., Any], where: str) -> Callable[[Any], Any]:
    """A `lax.while_loop` whose reverse-mode derivative is a typed refusal instead of JAX's ValueError."""

    @jax.custom_vjp
    def loop(carry: Any) -> Any:
        return jax.lax.while_loop(cond, lambda c: tuple(body(c)), carry)

    def forward(carry: Any) -> tuple[Any, None]:
        return loop(carry), None

    def backward(_: None, cotangents: Any) -> Any:
        raise UnconvertibleError(
            f"cannot differentiate the TF while loop {where} in JAX: its step count depends on "
            f"the data (its condition reads values computed from the inputs or parameters), and "
            f"JAX has no reverse-mode derivative for such a loop. The forward pass works "
            f"(to_jax / FlaxModule without jax.grad); to fine-tune, use the piece in TensorFlow "
            f"(rsm.load, KerasLayer(trainable=True) or SonnetModule)."
        )

    loop.defvjp(forward, backward)
    return loop


class _While(compat.WhileOp):
    """tf2jax's while-loop op, running its loop through `run`."""

    where = ""

    def __call__(self, *all_args: Any, cond_fun: Any, body_fun: Any, rng: Any = None) -> tuple[Any, ...]:
        # As tf2jax does: loop variables the body passes through unchanged are constants.
        passed = body_fun.output_is_input
        looped = [i for i, p in enumerate(passed) if not p]
        fixed = [i for i, p in enumerate(passed) if p]
        # The carry is the looped variables, then the random key when there is one.
        keyed = rng is not None

        def merge(constants: Sequence[Any], values: Sequence[Any]) -> list[Any]:
            merged: list[Any] = [None] * len(all_args)
            for i, value in [*zip(fixed, constants), *zip(looped, values)]:
                merged[i] = value
            return merged

        def split(carry: Sequence[Any]) -> tuple[list[Any], Any]:
            return (list(carry[:-1]), carry[-1]) if keyed else (list(carry), None)

        def cond(constants: Sequence[Any], carry: Sequence[Any]) -> Any:
            values, key = split(carry)
            cond_key = None if key is None else jax.random.split(key, 3)[1]
            (outputs,) = cond_fun(*merge(constants, values), rng=cond_key)
            return outputs

        def body(constants: Sequence[Any], carry: Sequence[Any]) -> tuple[Any, ...]:
            values, key = split(carry)
            key, _, body_key = [None] * 3 if key is None else jax.random.split(key, 3)
            outputs = body_fun(*merge(constants, values), rng=body_key)
            return (*(outputs[i] for i in looped), *([key] if keyed else []))

        constants = [all_args[i] for i in fixed]
        initial = [all_args[i] for i in looped] + ([rng] if keyed else [])
        # A TensorList reserved without an element shape starts empty: give it the body's shape.
        specs = jax.eval_shape(functools.partial(body, constants), tuple(initial))
        initial = [
            jnp.zeros(s.shape, s.dtype) if jnp.size(x) == 0 and jnp.shape(x) != s.shape else x
            for x, s in zip(initial, specs)
        ]
        final, _ = split(run(cond, body, constants, initial, self.where))
        return tuple(merge(constants, final))


def parse(proto: Any, original: Callable[[Any], Any]) -> Any:
    """tf2jax's parser for `While` / `StatelessWhile`, with the loop run by `run`."""
    parsed = original(proto)  # tf2jax's checks of the node's attributes
    op = _While(parsed.inner_fn_names)
    op.where = f"{proto.name!r} (body {proto.attr['body'].func.name})"
    return op
