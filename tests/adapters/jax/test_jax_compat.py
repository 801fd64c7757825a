"""Every private symbol the JAX adapter uses still exists."""

from __future__ import annotations

import importlib

import pytest

from reusable_savedmodel.adapters.jax import compat


@pytest.mark.parametrize("module, name", compat.PRIVATE_SYMBOLS)
def test_private_symbol_exists(module, name):
    assert hasattr(importlib.import_module(module), name)
