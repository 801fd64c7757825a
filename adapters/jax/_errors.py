"""Every error the JAX adapter raises on purpose; each is an `rsm.ReusableError`.

This module imports no TensorFlow: the errors of calling a `JaxPiece` arise on machines
without it, and the conversion errors are caught there by name.
"""

from __future__ import annotations

from reusable_savedmodel.interface import ReusableError


class NoTraceError(ReusableError, TypeError):
    """A `JaxPiece.apply` call matches none of the piece's traces (the message lists them)."""


class RngRequiredError(ReusableError, ValueError):
    """A trace draws random numbers (e.g. dropout in training) and no `rng` key was given."""


class MissingVariablesError(ReusableError, KeyError):
    """`JaxPiece.apply` got params/state that lack variables the trace reads (the message names them)."""


class X64RequiredError(ReusableError, TypeError):
    """A 64-bit value (int64, uint64, float64, complex128) reached a piece already narrowed
    by JAX (64-bit types off), so its exact value is lost; the message says how to keep it."""


class UnconvertibleError(ReusableError, ValueError):
    """A trace uses operations that cannot be converted to JAX (the message lists them)."""


class UnsupportedGradientError(ReusableError, ValueError):
    """A custom gradient the converter cannot carry into JAX (it reads variables, or returns
    a gradient count that does not match the op's inputs)."""


class XlaCallModuleError(ReusableError, ValueError):
    """An `XlaCallModule` op (a jax2tf export) this JAX cannot run: an old module version,
    host callbacks, another platform, or shapes it cannot refine."""
