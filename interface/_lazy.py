"""Names a module hands out on first use (PEP 562), so that importing it stays cheap.

Packages whose names need TensorFlow (the core, the adapter kit) list them here with the
module that defines each; importing the package imports none of those modules.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(
    module: str, table: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The `__getattr__` and `__dir__` of a module whose names load on first access.

    Args:
      module: The lazy module's `__name__`.
      table: Public name -> the absolute name of the module that defines it. A module that
        shares a public name must not be a submodule of `module`: importing it would bind
        the submodule on the package, hiding the lazy name.

    Returns:
      `(__getattr__, __dir__)`, to assign at the module's top level. A name is imported on
      first access and kept in the module's namespace, so later lookups skip `__getattr__`.
    """
    namespace = vars(sys.modules[module])

    def __getattr__(name: str) -> Any:
        source = table.get(name)
        if source is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(source), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *table})

    return __getattr__, __dir__
