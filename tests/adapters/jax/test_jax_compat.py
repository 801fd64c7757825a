"""Every private symbol the JAX adapter uses still exists; the version shims work on each JAX."""

from __future__ import annotations

import importlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from reusable_savedmodel.adapters.jax import _compat as compat


@pytest.mark.parametrize("module, name", compat.PRIVATE_SYMBOLS)
def test_private_symbol_exists(module, name):
    assert hasattr(importlib.import_module(module), name)


def test_exported_from_a_serialized_module_runs_it():
    """`compat.exported` on JAX 0.8 (no named-sharding fields) and 0.9+ (with them):
    the module `jax.export` serialized for a function, rebuilt, computes that function."""
    def f(x, y):
        return jnp.sin(x) * y, x + 1.0

    args = (np.arange(6, dtype=np.float32).reshape(2, 3), np.full((2, 3), 2.0, np.float32))
    reference = jax.export.export(jax.jit(f))(*(jax.ShapeDtypeStruct(a.shape, a.dtype) for a in args))
    rebuilt = compat.exported(
        name="f",
        in_avals=reference.in_avals,
        out_avals=reference.out_avals,
        platforms=reference.platforms,
        module=reference.mlir_module_serialized,
        version=reference.calling_convention_version,
    )

    for got, want in zip(rebuilt.call(*args), (np.sin(args[0]) * args[1], args[0] + 1.0), strict=True):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)
    major, minor = (int(part) for part in jax.__version__.split(".")[:2])
    assert compat.HAS_NAMED_SHARDINGS == ((major, minor) >= (0, 9))
