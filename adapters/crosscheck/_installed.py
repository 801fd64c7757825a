"""Which frameworks a consumer needs are installed, and how to install them."""

from __future__ import annotations

import importlib.util

#: The command that installs every framework the adapters support.
ALL_EXTRA = "pip install 'reusable-savedmodel[all]'"


def missing(requires: tuple[str, ...]) -> list[str]:
    """The packages of `requires` that are not installed (found without importing them)."""
    return [name for name in requires if importlib.util.find_spec(name) is None]
