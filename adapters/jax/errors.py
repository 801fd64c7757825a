"""Errors of the JAX adapter that can arise without TensorFlow (calling a `JaxPiece`).

Conversion errors (`UnconvertibleError`) live in `convert.py`, beside the conversion.
"""

from __future__ import annotations

from reusable_savedmodel.interface.errors import ReusableError


class NoTraceError(TypeError):
    """A `JaxPiece.apply` call matches none of the piece's traces (the message lists them)."""


class RngRequiredError(ValueError):
    """A trace draws random numbers (e.g. dropout in training) and no `rng` key was given."""


class X64RequiredError(ReusableError, TypeError):
    """A 64-bit value (int64, uint64, float64, complex128) reached a piece already narrowed
    by JAX (64-bit types off), so its exact value is lost; the message says how to keep it."""
