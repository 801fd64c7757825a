"""Keras's private APIs (adapters/keras/_compat.py) still exist, and a missing one is named."""

from __future__ import annotations

import keras
import pytest

from reusable_savedmodel.adapters.keras import _compat as compat
from reusable_savedmodel.interface._compat import private_symbol


@pytest.mark.parametrize(("module", "name"), compat.PRIVATE_SYMBOLS, ids=".".join)
def test_private_symbol_resolves(module, name):
    # `private_symbol` raises an ImportError naming the symbol when a release moved it.
    value = private_symbol(module, name, framework="Keras", version=keras.__version__)
    assert callable(value), f"{module}.{name} is no longer callable"


@pytest.mark.parametrize("name", compat.PRIVATE_METHODS)
def test_private_method_exists(name):
    method = getattr(keras.layers.Layer, name, None)
    assert callable(method), f"keras.layers.Layer.{name} is gone in Keras {keras.__version__}"


def test_a_missing_symbol_fails_naming_it():
    with pytest.raises(ImportError, match=r"keras\.src\.backend\.no_such_name.*Keras"):
        private_symbol("keras.src.backend", "no_such_name", framework="Keras", version=keras.__version__)


def test_scope_probes_answer_outside_and_inside_keras():
    """The probes read Keras's state: outside any call, and inside a layer's call."""
    assert compat.in_safe_mode() and compat.outside_keras_scopes()
    seen = []

    class Probe(keras.layers.Layer):
        def call(self, x):
            seen.append(compat.outside_keras_scopes())
            return x

    Probe()(keras.ops.ones((1, 2)))
    assert seen == [False]
