"""`rsm.resolve`: a handle to its local SavedModel directory, through the kind that takes it.

The handle is parsed once (`parsed.parse_handle`); the resolvers (`resolvers`: a local
directory or archive, `file://`, http(s) and tfhub.dev, Kaggle Models, `hf://`, and any
plug-in) read the parsed value. Whatever a resolver returns is checked here to be a
SavedModel directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reusable_savedmodel.interface._errors import HandleError
from reusable_savedmodel.interface.handles import _local as local
from reusable_savedmodel.interface.handles import _resolvers as resolvers
from reusable_savedmodel.interface.handles._file_urls import refused_paths
from reusable_savedmodel.interface.handles._parsed import Handle, ParsedHandle, parse_handle
from reusable_savedmodel.interface.scanner import SAVED_MODEL_FILES

_TF1_HUB_MODULE_FILE = "tfhub_module.pb"


def is_remote(handle: Handle) -> bool:
    """Whether `handle` names a model that is fetched: anything but a local path or `file://`.

    http(s), `kaggle://` and `hf://` handles are remote, and so is every handle a plug-in
    resolves.

    Raises:
      HandleError: if the handle is empty or a malformed URL (e.g. an unclosed `[` IPv6 host).
      ResolverPluginError: if a plug-in cannot be loaded or fails to answer.
    """
    return not isinstance(resolvers.resolver_for(parse_handle(handle)), local.LocalResolver)


def is_tf1_hub_module(path: Path) -> bool:
    """Whether the SavedModel directory `path` is a TF1 Hub module (has `tfhub_module.pb`).

    Such modules load for inference only, through their signatures (see `loading.load`).
    """
    return (path / _TF1_HUB_MODULE_FILE).exists()


def validate_saved_model_dir(path: Path, handle: ParsedHandle) -> Path:
    """Checks that `path` is a SavedModel directory (TF2, TF1 or a TF1 Hub module); returns it.

    Raises:
      HandleError: if it is missing, not a directory, has no `saved_model.pb`, or the file
        system refuses the path.
    """
    text = handle.text
    with refused_paths(handle):
        if not path.exists():
            raise HandleError(f"{text!r}: no such file or directory ({path}).")
        if not path.is_dir():
            raise HandleError(
                f"{text!r}: expected a SavedModel directory or an archive of one (.tar.gz, "
                f".tgz or .tar), got the file {path}."
            )
        if not any((path / name).exists() for name in SAVED_MODEL_FILES):
            contents = ", ".join(sorted(p.name for p in path.iterdir())[:8]) or "nothing"
            raise HandleError(
                f"{text!r}: {path} is not a SavedModel directory: expected saved_model.pb, "
                f"found {contents}."
            )
    return path


def resolve(handle: Handle, **remote_options: Any) -> Path:
    """Returns the local SavedModel directory for a handle, downloading it if remote.

    Args:
      handle: A local directory, a `file://` URL, an `http(s)://` URL, a Kaggle Models
        handle (`kaggle://OWNER/MODEL/FRAMEWORK/VARIATION/VERSION` or a kaggle.com URL:
        all forms share one cache entry), `hf://ORG/REPO[@REVISION][/SUBDIR]`, or a handle
        of a kind a plug-in adds (entry-point group `reusable_savedmodel.resolvers`).
      **remote_options: Options for remote handles and archives: `sha256`, `timeout`,
        `retries`, `progress`, `offline` (see `remote.resolve_remote`); for `hf://`,
        `offline` and `timeout`.

    Returns:
      The directory holding `saved_model.pb`.

    Raises:
      HandleError: if the handle is empty, a malformed URL or a path the file system
        refuses, names no SavedModel, or remote options are given for a local directory.
      DownloadError: if a remote handle cannot be fetched.
      ResolverPluginError: if a plug-in cannot be loaded, fails, or returns no path.
    """
    parsed = parse_handle(handle)
    path = resolvers.resolver_for(parsed).resolve(parsed, **remote_options)
    return validate_saved_model_dir(path, parsed)


def cache_name(handle: Handle) -> str:
    """The name the cache entry of `handle` goes by (every form of a Kaggle model: one name).

    Args:
      handle: Any handle; one whose kind keeps no entry in this library's cache (`hf://`,
        a plug-in's) is named by its text, which no entry has.

    Returns:
      The name `rsm cache verify|clear` look up.

    Raises:
      HandleError: if the handle is malformed.
    """
    parsed = parse_handle(handle)
    resolver = resolvers.resolver_for(parsed)
    return resolver.cache_name(parsed) if isinstance(resolver, resolvers.CacheNaming) else parsed.text
