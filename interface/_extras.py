"""The optional extras: what an adapter says when its framework is not installed.

`pip install reusable-savedmodel` brings TensorFlow and the core only; each framework
adapter needs an extra (`[keras]`, `[sonnet]`, `[jax]`, or `[all]`). Each adapter package
imports its framework first and turns an ImportError into `missing_extra(...)`, so a missing
framework is a `MissingExtraError` naming the extra, not a bare `ModuleNotFoundError` from
deep inside. Imports no TensorFlow.
"""

from __future__ import annotations

from reusable_savedmodel.interface._errors import MissingExtraError


def missing_extra(adapter: str, framework: str, extra: str, error: ImportError) -> MissingExtraError:
    """The error an adapter raises when importing its framework failed.

    Args:
      adapter: The adapter's module name (`__name__`).
      framework: The framework, as a user knows it (e.g. "Keras 3").
      extra: The extra that installs it (e.g. "keras", or "keras,jax").
      error: The ImportError the framework's import raised.

    Returns:
      A `MissingExtraError` that names the framework, the import that failed and the install
      command; raise it `from error`.
    """
    return MissingExtraError(
        f"{adapter} needs {framework}, which cannot be imported here ({error}). "
        f"Install it with: pip install 'reusable-savedmodel[{extra}]'"
    )
