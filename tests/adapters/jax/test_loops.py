"""`loops`: a while loop's step count is computed only when values known while tracing fix
it (then it runs as `lax.scan`); anything that reads traced data leaves the loop a
`lax.while_loop`, refused in reverse mode only where it is differentiated."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from reusable_savedmodel.adapters.jax import UnconvertibleError
from reusable_savedmodel.adapters.jax.conversion import _loops as loops


def _counting(constants, carry):
    (limit,) = constants
    step, total = carry
    return step < limit


def _step(constants, carry):
    step, total = carry
    return step + 1, total + jnp.sin(total)


def test_a_counter_against_a_known_limit_is_counted_even_under_jit():
    counted = []

    @jax.jit
    def run(total):
        counted.append(loops.static_steps(_counting, _step, [np.int32(7)], (np.int32(2), total)))
        return total

    run(jnp.float32(0.5))
    assert counted == [5]  # 2, 3, 4, 5, 6 < 7


def test_a_traced_limit_or_a_data_condition_is_not_static():
    found = []

    @jax.jit
    def run(limit, total):
        # The limit is traced (an argument), so the count is not known while tracing.
        found.append(loops.static_steps(_counting, _step, [limit], (np.int32(0), total)))
        # The condition reads the data-dependent part of the carry.
        found.append(loops.static_steps(lambda c, carry: carry[1] < 3.0, _step, [], (np.int32(0), total)))
        # A condition that closes over a traced value.
        found.append(loops.static_steps(lambda c, carry: carry[0] < limit, _step, [], (np.int32(0), total)))
        return total

    run(jnp.int32(4), jnp.float32(0.5))
    assert found == [None, None, None]


def test_run_matches_a_python_loop_and_differentiates_in_reverse_mode():
    def python_loop(total):
        for _ in range(5):
            total = total + jnp.sin(total)
        return total

    def converted(total):
        return loops.run(_counting, _step, [np.int32(5)], (np.int32(0), total), "test")[1]

    np.testing.assert_allclose(converted(0.5), python_loop(0.5), rtol=1e-6)
    np.testing.assert_allclose(jax.grad(converted)(0.5), jax.grad(python_loop)(0.5), rtol=1e-6)


def test_a_data_dependent_loop_refuses_reverse_mode_only_where_it_is_differentiated():
    def f(x):
        doubled = loops.run(lambda c, carry: carry[0] < 3.0, lambda c, carry: (carry[0] * 2.0,), [], (x,), "'w'")[0]
        return x * 3.0, doubled

    assert float(f(1.0)[1]) == 4.0  # forward: 1 -> 2 -> 4
    # A loss that does not read the loop's result differentiates, eagerly and under jit.
    assert float(jax.grad(lambda x: f(x)[0])(1.0)) == 3.0
    assert float(jax.jit(jax.grad(lambda x: f(x)[0]))(1.0)) == 3.0
    with pytest.raises(UnconvertibleError, match="while loop 'w'"):
        jax.jit(jax.grad(lambda x: f(x)[1]))(1.0)
