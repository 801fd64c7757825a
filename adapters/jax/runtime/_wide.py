"""64-bit values in JAX: carried exactly, or refused (the one rule, for every call path).

JAX without `jax_enable_x64` narrows int64, uint64, float64 and complex128 to their 32-bit
counterparts, wrapping integers above 2**31 into other valid-looking numbers with only a
UserWarning. A piece whose inputs, variables or outputs are 64-bit ("wide") therefore
runs its own work (reading variables, converting, calling, saving) with 64-bit types
enabled for the duration of that work only (`scope`); the user's global setting is never
changed. What arrives already narrowed (a `jax.jit` boundary or `jnp.asarray` with x64
off turned an int64 into an int32) cannot be repaired: `require_exact` refuses it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

import jax
import numpy as np

from reusable_savedmodel.adapters.jax._errors import X64RequiredError

#: 64-bit dtype -> what JAX narrows it to while 64-bit types are off.
NARROWED = {
    np.dtype("int64"): np.dtype("int32"),
    np.dtype("uint64"): np.dtype("uint32"),
    np.dtype("float64"): np.dtype("float32"),
    np.dtype("complex128"): np.dtype("complex64"),
}

HOW_TO_ENABLE = (
    "Call the piece outside jax.jit / nnx.jit with NumPy 64-bit arrays (its calls enable "
    "64-bit types for their own work), or enable them for your code: "
    "`jax.config.update('jax_enable_x64', True)` at start-up, or "
    "`with jax.enable_x64(True):` around your jit, grad and call."
)


_WIDE_NAMES = frozenset(d.name for d in NARROWED)


def is_wide(dtype: Any) -> bool:
    """Whether `dtype` (a NumPy dtype or a dtype name, TF's included) is a 64-bit type JAX narrows."""
    return (dtype if isinstance(dtype, str) else np.dtype(dtype).name) in _WIDE_NAMES


def any_wide(dtypes: Iterable[Any]) -> bool:
    """Whether any of `dtypes` is wide (see `is_wide`)."""
    return any(is_wide(d) for d in dtypes)


def enabled() -> bool:
    """Whether 64-bit types are on here (globally, or in an enclosing `jax.enable_x64`)."""
    return bool(jax.config.jax_enable_x64)  # type: ignore[attr-defined]  # JAX sets its options dynamically


@contextlib.contextmanager
def scope(wide: bool) -> Iterator[None]:
    """Enables 64-bit types for the enclosed work if `wide` and they are off; restores them after."""
    if not wide or enabled():
        yield
        return
    with jax.enable_x64(True):
        yield


def narrowed(value: Any, dtype: Any) -> bool:
    """Whether `value` is what JAX made of a `dtype` value while 64-bit types were off."""
    expected = np.dtype(dtype)
    got = value.dtype if hasattr(value, "dtype") else np.asarray(value).dtype
    return expected in NARROWED and np.dtype(got) == NARROWED[expected]


def require_exact(name: str, values: Iterable[tuple[str, Any, Any]]) -> None:
    """Refuses 64-bit values that arrive narrowed.

    Args:
      name: The piece's name, for the message.
      values: `(what, value, expected dtype)` triples, e.g. `("variable 'count'", array, "int64")`.

    Raises:
      X64RequiredError: naming the first narrowed value and how to keep 64-bit values.
    """
    for what, value, dtype in values:
        if narrowed(value, dtype):
            raise X64RequiredError(
                f"{name}: {what} is {np.dtype(dtype).name} but arrived as "
                f"{NARROWED[np.dtype(dtype)].name}: JAX narrowed it while 64-bit types were off "
                f"(at a jit boundary or in jnp.asarray), so values beyond 32 bits are already "
                f"wrong. {HOW_TO_ENABLE}"
            )
