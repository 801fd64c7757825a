"""Every error `crosscheck` raises on purpose (each an `rsm.ReusableError`), and the two that
stand for failures, not refusals: `ChildError` and `ChildFailedError`."""

from __future__ import annotations

from reusable_savedmodel.interface import ReusableError


class UnknownConsumerError(ReusableError, ValueError):
    """`consumers=` names a consumer crosscheck does not know (the message lists them)."""


class KerasBackendError(ReusableError, RuntimeError):
    """A consumer needs Keras on another backend than the one this interpreter runs."""


class SavedModelOnlyError(ReusableError, TypeError):
    """A consumer that runs in another interpreter was handed an in-process object."""


class ChildFailedError(RuntimeError):
    """A child interpreter exited with an error (the message ends with its stderr).

    Not a `ReusableError`: a crash is a failure of the consumer, never a typed refusal
    ("cannot run"), so a crosscheck reports it as `failed`.
    """


class ChildError(RuntimeError):
    """An exception of the child interpreter whose type does not exist here.

    Not a `ReusableError`: it stands for whatever the consumer raised in the child (a
    framework's own error, say), which this library did not raise on purpose.
    """
