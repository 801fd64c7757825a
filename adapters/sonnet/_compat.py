"""Sonnet's (and tf.Module's) private APIs, all in one place.

`tests/adapters/sonnet/test_sonnet_compat.py` checks each one still exists, naming it if not.
"""

from __future__ import annotations

import sonnet as snt

#: The attribute `tf.Module` reads to leave properties out of variable tracking.
IGNORED_PROPERTIES_ATTRIBUTE = "_TF_MODULE_IGNORED_PROPERTIES"

if not hasattr(snt.Module, IGNORED_PROPERTIES_ATTRIBUTE):
    raise ImportError(
        f"reusable_savedmodel uses tf.Module.{IGNORED_PROPERTIES_ATTRIBUTE}, which this "
        f"Sonnet/TensorFlow release does not have: it is not supported yet."
    )


def ignored_properties(*names: str) -> frozenset[str]:
    """`snt.Module`'s untracked properties plus `names`: a subclass's own untracked set."""
    return getattr(snt.Module, IGNORED_PROPERTIES_ATTRIBUTE) | frozenset(names)
