"""Errors of the JAX adapter that can arise without TensorFlow (calling a `JaxPiece`).

Conversion errors (`UnconvertibleError`) live in `convert.py`: they subclass
`rsm.ReusableError`, which imports TensorFlow, and conversion needs TensorFlow anyway.
"""

from __future__ import annotations


class NoTraceError(TypeError):
    """A `JaxPiece.apply` call matches none of the piece's traces (the message lists them)."""


class RngRequiredError(ValueError):
    """A trace draws random numbers (e.g. dropout in training) and no `rng` key was given."""
