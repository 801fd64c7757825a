"""The error hierarchy: every error this library raises on purpose is a `ReusableError`."""

from __future__ import annotations


class ReusableError(Exception):
    """Base class of every error raised by reusable_savedmodel."""


class HandleError(ReusableError, ValueError):
    """A handle does not name a loadable Reusable SavedModel (missing, wrong format, corrupt)."""


class DownloadError(ReusableError, OSError):
    """A remote handle could not be downloaded, verified or unpacked."""


class ResolverPluginError(ReusableError):
    """An installed handle-kind plug-in (entry point `reusable_savedmodel.resolvers`) is broken."""


class InputMismatchError(ReusableError, TypeError):
    """Call arguments match none of the traces the callable has."""


class NonConformingError(ReusableError, TypeError):
    """An object does not implement the Reusable SavedModel protocol."""


class UnsafeModelError(ReusableError):
    """A model contains operations that a strict safety scan refuses."""


class CheckFailedError(NonConformingError):
    """`Report.raise_if_failed` found error-level findings."""


class MissingOpError(HandleError):
    """A SavedModel uses ops this process has not registered (the message names the package)."""


class MissingExtraError(ReusableError, ImportError):
    """An adapter's framework is not installed (the message names the extra that installs it)."""


class UnsupportedError(ReusableError, ValueError):
    """A request outside this library's scope (e.g. fine-tuning a TF1 Hub module)."""
