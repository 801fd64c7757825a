"""Sonnet's (tf.Module's) private API (adapters/sonnet/_compat.py) still exists and works."""

from __future__ import annotations

import sonnet as snt
import tensorflow as tf

from reusable_savedmodel.adapters.sonnet import _compat as compat


def test_ignored_properties_attribute_exists():
    for cls in (tf.Module, snt.Module):
        value = getattr(cls, compat.IGNORED_PROPERTIES_ATTRIBUTE, None)
        assert isinstance(value, (set, frozenset)), (
            f"{cls.__module__}.{cls.__name__}.{compat.IGNORED_PROPERTIES_ATTRIBUTE} is gone in "
            f"TF {tf.__version__} / Sonnet {snt.__version__}"
        )


def test_ignored_properties_hide_variables_from_tracking():
    """What the adapter relies on: a listed attribute's variables are not tracked."""

    class Holder(snt.Module):
        _TF_MODULE_IGNORED_PROPERTIES = compat.ignored_properties("_hidden")

        def __init__(self):
            super().__init__()
            self.shown = tf.Variable(1.0)
            self._hidden = [tf.Variable(2.0)]

    holder = Holder()
    assert [float(v.numpy()) for v in holder.variables] == [1.0]
    assert compat.ignored_properties("x") >= {"x"} | set(snt.Module._TF_MODULE_IGNORED_PROPERTIES)
