"""Handles: where a model lives (a directory, `file://`, an http(s) archive, Kaggle, `hf://`).

`resolve(handle)` turns any of them into a local SavedModel directory, downloading into the
cache (`Cache`) when it must; a new handle kind implements `Resolver` over a `ParsedHandle`
(docs/design.md, "Adding a handle kind"). The names below are this package's public
surface; its modules are internal. Each name is imported on first use, so a local handle
resolves without the download stack, and nothing here imports TensorFlow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reusable_savedmodel.interface._lazy import lazy_names

if TYPE_CHECKING:
    from reusable_savedmodel.interface.handles._cache import Cache
    from reusable_savedmodel.interface.handles._parsed import ParsedHandle
    from reusable_savedmodel.interface.handles._remote import resolve_remote
    from reusable_savedmodel.interface.handles._resolve import (
        Handle,
        cache_name,
        is_remote,
        is_tf1_hub_module,
        resolve,
    )
    from reusable_savedmodel.interface.handles._resolvers import Resolver
    from reusable_savedmodel.interface.handles._segments import require_plain

__getattr__, __dir__ = lazy_names(
    __name__,
    {
        **dict.fromkeys(
            ("Handle", "cache_name", "is_remote", "is_tf1_hub_module", "resolve"),
            "reusable_savedmodel.interface.handles._resolve",
        ),
        "Cache": "reusable_savedmodel.interface.handles._cache",
        "ParsedHandle": "reusable_savedmodel.interface.handles._parsed",
        "resolve_remote": "reusable_savedmodel.interface.handles._remote",
        "Resolver": "reusable_savedmodel.interface.handles._resolvers",
        "require_plain": "reusable_savedmodel.interface.handles._segments",
    },
)

__all__ = [
    "Cache",
    "Handle",
    "ParsedHandle",
    "Resolver",
    "cache_name",
    "is_remote",
    "is_tf1_hub_module",
    "require_plain",
    "resolve",
    "resolve_remote",
]
