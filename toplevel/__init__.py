"""reusable_savedmodel: TensorFlow's Reusable SavedModels across Keras 3, Sonnet 2, JAX and Flax.

`import reusable_savedmodel as rsm` gives the core's names, the same objects as
`reusable_savedmodel.interface` (`rsm.load`, `rsm.Piece`, `rsm.check`, `rsm.save`,
`rsm.ReusableModule`, the errors...), and `rsm.__version__`. Names resolve on first use, so
importing the package imports no TensorFlow. The framework adapters live under
`reusable_savedmodel.adapters` (one module per framework, each optional).

The names below are the library's public surface (with each sub-package's own); its
modules are internal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reusable_savedmodel import interface as _interface
from reusable_savedmodel._version import __version__

if TYPE_CHECKING:
    from reusable_savedmodel.interface import *  # noqa: F403  (the names below, for type checkers)


def __getattr__(name: str) -> Any:
    if name not in _interface.__all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_interface, name)  # the interface resolves (and imports) it on first use
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_interface.__all__})


__all__ = ["__version__"]
__all__ += _interface.__all__
