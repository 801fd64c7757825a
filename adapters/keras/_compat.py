"""Keras's private APIs, all in one place.

Each symbol is resolved here, at import, so a Keras release that moves one fails at once
with an error naming it. `tests/adapters/keras/test_keras_compat.py` checks every entry of
`PRIVATE_SYMBOLS` and the hook names in `PRIVATE_METHODS`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from reusable_savedmodel.interface.kit import private_symbol

#: (module, name) of every private Keras symbol the adapter uses.
PRIVATE_SYMBOLS = (
    ("keras.src.saving.serialization_lib", "in_safe_mode"),
    ("keras.src.backend", "compute_output_spec"),
    ("keras.src.backend.common.global_state", "get_global_attribute"),
    ("keras.src.backend.common.stateless_scope", "in_stateless_scope"),
    ("keras.src.backend.common.variables", "get_autocast_scope"),
)

#: `keras.layers.Layer` methods the adapter overrides that Keras does not document.
#: `_get_own_losses` is how Keras collects a layer's own losses for `layer.losses`.
PRIVATE_METHODS = ("_get_own_losses",)

compute_output_spec: Callable[..., Any]
_in_safe_mode, compute_output_spec, _global_attribute, _in_stateless_scope, _autocast_scope = (
    private_symbol(module, name, framework="Keras", version=keras.__version__)
    for module, name in PRIVATE_SYMBOLS
)


def in_safe_mode() -> bool:
    """Whether Keras is deserializing in safe mode now (its default is True)."""
    # Keras passes `safe_mode` to `from_config` only through this global. None means no
    # load is under way: Keras' default applies.
    return _in_safe_mode() is not False


def outside_keras_scopes() -> bool:
    """Whether no Keras call context, autocast scope or stateless scope is active."""
    return (
        _global_attribute("current_call_ctx") is None
        and _autocast_scope() is None
        and not _in_stateless_scope()
    )
