"""Calling a SavedModel signature: the core's `SignatureCall`, shared with other adapters."""

from __future__ import annotations

from reusable_savedmodel.interface.kit import SignatureCall

__all__ = ["SignatureCall"]
