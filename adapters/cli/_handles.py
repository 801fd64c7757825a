"""Handles on the command line: the help text naming every form, and resolving them first.

Resolving a handle (checking a local path, downloading a remote one into the cache) needs
no framework, so the CLI does it before TensorFlow is imported: a mistyped path or an
unreachable host is reported at once, not after TensorFlow's several seconds of start-up.
"""

from __future__ import annotations

from pathlib import Path

from reusable_savedmodel.adapters.cli import _quiet as quiet

#: The `HANDLE` argument's help, shared by every command that takes one.
HANDLE_HELP = (
    "a SavedModel directory, a .tar.gz/.tgz/.tar archive, or a file://, http(s)://, "
    "kaggle://OWNER/MODEL/FRAMEWORK/VARIATION/VERSION or hf://ORG/REPO[@REV][/SUBDIR] handle"
)


def frameworks_ready(verbose: bool) -> None:
    """Imports TensorFlow, keeping its start-up logs out unless `verbose`.

    Args:
      verbose: Whether the user asked for the frameworks' own logs (`rsm --verbose`).
    """
    if not verbose:
        quiet.quiet_frameworks()


def handle_ready(handle: str, *, verbose: bool) -> Path:
    """Resolves `handle` without any framework, then imports TensorFlow.

    The command then loads the handle as usual; a remote one is by then in the cache.

    Args:
      handle: The handle the user gave.
      verbose: Whether the user asked for the frameworks' own logs.

    Returns:
      The local SavedModel directory.

    Raises:
      HandleError: if the handle names no SavedModel.
      DownloadError: if a remote handle cannot be fetched.
    """
    from reusable_savedmodel.interface import resolve

    path = resolve(handle)
    frameworks_ready(verbose)
    return path
