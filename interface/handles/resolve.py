"""Handles to local SavedModel directories: paths, `file://` URLs, archives, remote URLs,
Kaggle Models (`kaggle://` and kaggle.com URLs) and Hugging Face (`hf://`)."""

from __future__ import annotations

import os
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from reusable_savedmodel.interface.errors import HandleError, ReusableError
from reusable_savedmodel.interface.handles.file_urls import file_url_path

Handle = str | os.PathLike

_SAVED_MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")
_TF1_HUB_MODULE_FILE = "tfhub_module.pb"
_REMOTE_SCHEMES = ("http", "https", "kaggle", "hf")


def _local_path(handle: str) -> Path:
    """The path a local handle (a path or a `file://` URL) names."""
    if handle.startswith("file://"):
        return file_url_path(handle)
    return Path(handle).expanduser()


def _remote_resolver():
    """The resolver for http(s) handles and archives, imported only when one is used."""
    from reusable_savedmodel.interface.handles import remote

    return remote


def _kaggle():
    """Kaggle Models handles, imported only when a remote handle is used."""
    from reusable_savedmodel.interface.handles import kaggle

    return kaggle


def _huggingface():
    """`hf://` handles, imported only when one is used."""
    from reusable_savedmodel.interface.handles import huggingface

    return huggingface


def is_remote(handle: Handle) -> bool:
    """Whether `handle` names a model fetched over the network (http(s), kaggle://, hf://).

    Raises:
      HandleError: if the handle is a malformed URL (e.g. an unclosed `[` IPv6 host).
    """
    try:
        return urllib.parse.urlsplit(os.fspath(handle)).scheme in _REMOTE_SCHEMES
    except ValueError as error:
        raise HandleError(f"{os.fspath(handle)!r}: expected a path or a well-formed URL ({error}).") from error


def is_tf1_hub_module(path: Path) -> bool:
    """Whether the SavedModel directory `path` is a TF1 Hub module (has `tfhub_module.pb`).

    Such modules load for inference only, through their signatures (see `loading.load`).
    """
    return (path / _TF1_HUB_MODULE_FILE).exists()


def validate_saved_model_dir(path: Path, handle: str) -> Path:
    """Checks that `path` is a SavedModel directory (TF2, TF1 or a TF1 Hub module); returns it.

    Raises:
      HandleError: if it is missing, not a directory, or has no `saved_model.pb`.
    """
    if not path.exists():
        raise HandleError(f"{handle!r}: no such file or directory ({path}).")
    if not path.is_dir():
        raise HandleError(
            f"{handle!r}: expected a SavedModel directory or an archive of one (.tar.gz, "
            f".tgz or .tar), got the file {path}."
        )
    if not any((path / name).exists() for name in _SAVED_MODEL_FILES):
        contents = ", ".join(sorted(p.name for p in path.iterdir())[:8]) or "nothing"
        raise HandleError(
            f"{handle!r}: {path} is not a SavedModel directory: expected saved_model.pb, "
            f"found {contents}."
        )
    return path


def _resolve_kaggle(model: Any, handle: str, remote_options: dict[str, Any]) -> Path:
    """A Kaggle model: a notebook mount or kagglehub's copy in place, else the cache."""
    from reusable_savedmodel.interface.handles.download import HTTPStatusError

    kaggle = _kaggle()
    # A pinned sha256 names an archive, which only the download cache can check.
    local = None if "sha256" in remote_options else kaggle.local_copy(model)
    if local is not None:
        return validate_saved_model_dir(local, handle)
    try:
        return _remote_resolver().resolve_remote(
            model.url(), key=model.canonical, headers=kaggle.auth_headers(), **remote_options
        )
    except HTTPStatusError as error:
        raise kaggle.explain(error, model) from error


def resolve(handle: Handle, **remote_options: Any) -> Path:
    """Returns the local SavedModel directory for a handle, downloading it if remote.

    Args:
      handle: A local directory, a `file://` URL, an `http(s)://` URL, a Kaggle Models
        handle (`kaggle://OWNER/MODEL/FRAMEWORK/VARIATION/VERSION` or a kaggle.com URL:
        all forms share one cache entry) or `hf://ORG/REPO[@REVISION][/SUBDIR]`.
      **remote_options: Options for remote handles and archives: `sha256`, `timeout`,
        `retries`, `progress`, `offline` (see `remote.resolve_remote`); for `hf://`,
        `offline` and `timeout`.

    Returns:
      The directory holding `saved_model.pb`.

    Raises:
      HandleError: if the handle is empty, a malformed URL or a path the file system
        refuses, names no SavedModel, or remote options are given for a local directory.
      DownloadError: if a remote handle cannot be fetched.
    """
    text = os.fspath(handle)
    if not text.strip():
        raise HandleError(
            f"{text!r}: expected a handle (a SavedModel directory or archive, file://, "
            f"http(s)://, kaggle:// or hf://), got an empty or blank string."
        )
    if is_remote(text):
        if _huggingface().is_hf(text):
            return validate_saved_model_dir(_huggingface().resolve(text, **remote_options), text)
        model = _kaggle().parse(text)
        if model is not None:
            return _resolve_kaggle(model, text, remote_options)
        return _remote_resolver().resolve_remote(text, **remote_options)
    path = _local_path(text)
    try:
        if path.is_file() and _remote_resolver().is_archive(path):
            return _remote_resolver().resolve_remote(text, **remote_options)
        if remote_options:
            raise HandleError(
                f"{text!r} is a local directory: options {sorted(remote_options)} apply only to "
                f"archives and http(s) handles."
            )
        return validate_saved_model_dir(path, text)
    except OSError as error:  # e.g. a name too long for the file system
        if isinstance(error, ReusableError):
            raise
        raise HandleError(
            f"{text[:200]!r}: expected a path to a SavedModel directory or archive, got one the "
            f"file system refuses ({error.strerror})."
        ) from error
