"""The Hugging Face handle kind, `hf://ORG/REPO[@REVISION][/SUBDIR]`, through `huggingface_hub`.

The files come with `huggingface_hub.snapshot_download` (the optional extra `hf`), so its
cache and conventions apply: `$HF_TOKEN` (or `huggingface-cli login`) for private and gated
repositories, `$HF_ENDPOINT` for mirrors, `$HF_HUB_CACHE` / `$HF_HOME` for the cache. They
are read when a handle is resolved, not when `huggingface_hub` was imported. Only the
SavedModel's subdirectory is downloaded when the handle names one.
"""

from __future__ import annotations

import dataclasses
import os
import urllib.parse
from pathlib import Path
from typing import Any

from reusable_savedmodel.interface._errors import DownloadError, HandleError, ReusableError
from reusable_savedmodel.interface.handles import _segments as segments
from reusable_savedmodel.interface.handles._parsed import Handle, ParsedHandle, parse_handle

SCHEME = "hf"
_FORM = "hf://ORG/REPO[@REVISION][/SUBDIR]"
_OPTIONS = ("offline", "timeout")


@dataclasses.dataclass(frozen=True)
class HfModel:
    """What an `hf://` handle names.

    Attributes:
      repo_id: "ORG/REPO".
      revision: A branch, tag or commit (None: the default branch).
      subdir: The SavedModel's directory inside the repository ("" for its root).
    """

    repo_id: str
    revision: str | None
    subdir: str


def parse(handle: Handle | ParsedHandle) -> HfModel:
    """Splits an `hf://` handle into repository, revision and subdirectory.

    A revision with a slash (e.g. `refs/pr/1`) is written percent-encoded (`refs%2Fpr%2F1`).

    Args:
      handle: `hf://ORG/REPO[@REVISION][/SUBDIR]`.

    Returns:
      The parts.

    Raises:
      HandleError: if the handle has no ORG/REPO, an empty revision, or a path segment
        (in ORG, REPO, REVISION or SUBDIR) that is empty, `.` or `..`.
    """
    handle = parse_handle(handle)
    parts = handle.rest.strip("/").split("/")
    if len(parts) < 2:
        raise HandleError(f"{handle.text!r}: expected {_FORM}.")
    repo, at, revision = parts[1].partition("@")
    if at and not revision:
        raise HandleError(f"{handle.text!r}: expected a revision after '@' ({_FORM}).")
    revision = urllib.parse.unquote(revision)
    # The revision names a file under the cache's refs/ (refs/pr/1 is refs/pr/1).
    segments.require_plain(handle.text, [parts[0], repo, *parts[2:], *(revision.split("/") if at else [])], _FORM)
    return HfModel(repo_id=f"{parts[0]}/{repo}", revision=revision or None, subdir="/".join(parts[2:]))


def _hub_cache_dir() -> str | None:
    """`$HF_HUB_CACHE`, else `$HF_HOME/hub`, else None (huggingface_hub's default)."""
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    if os.environ.get("HF_HOME"):
        return os.path.join(os.environ["HF_HOME"], "hub")
    return None


def _explain(error: Exception, handle: str, model: HfModel) -> ReusableError:
    """A clear error for what `snapshot_download` raised."""
    from huggingface_hub import errors

    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    if isinstance(error, errors.GatedRepoError) or status in (401, 403):
        return DownloadError(
            f"{handle}: Hugging Face answered HTTP {status}: {model.repo_id} is private or "
            f"gated and needs authentication or accepting its terms. Set HF_TOKEN to an access "
            f"token (https://huggingface.co/settings/tokens) with access to it, and accept its "
            f"terms at {endpoint}/{model.repo_id}."
        )
    if isinstance(error, errors.RevisionNotFoundError):
        return HandleError(f"{handle}: {model.repo_id} has no revision {model.revision!r} (HTTP {status}).")
    if isinstance(error, errors.RepositoryNotFoundError):
        return HandleError(f"{handle}: no such repository {model.repo_id} (HTTP {status}).")
    if isinstance(error, errors.LocalEntryNotFoundError):
        return DownloadError(
            f"{handle}: offline and not in the Hugging Face cache ({_hub_cache_dir() or 'default'})"
            f"; expected it downloaded earlier ({error})."
        )
    return DownloadError(f"{handle}: download from Hugging Face failed: {type(error).__name__}: {error}")


class HfResolver:
    """`hf://` handles: the Hugging Face cache's copy, downloaded when missing."""

    def supports(self, handle: ParsedHandle) -> bool:
        """Whether `handle` is an `hf://` handle."""
        return handle.scheme == SCHEME

    def resolve(self, handle: ParsedHandle, *, offline: bool | None = None, **options: Any) -> Path:
        """Downloads (or finds in the Hugging Face cache) the directory an `hf://` handle names.

        Args:
          handle: `hf://ORG/REPO[@REVISION][/SUBDIR]`.
          offline: Serve only from the Hugging Face cache; None reads `$RSM_OFFLINE` (and
            huggingface_hub itself honors `$HF_HUB_OFFLINE`).
          **options: `timeout`: seconds to wait for the server's metadata.

        Returns:
          The directory in the Hugging Face cache (the SUBDIR inside the snapshot, if given).

        Raises:
          HandleError: for a malformed handle, an option other than `offline`/`timeout`, a
            missing repository or revision, or if `huggingface_hub` is not installed.
          DownloadError: for 401/403 (saying how to authenticate), when offline and not
            cached, or when the download fails.
        """
        unknown = sorted(set(options) - set(_OPTIONS))
        if unknown:
            raise HandleError(
                f"{handle.text!r}: options {unknown} do not apply to hf:// handles; expected {list(_OPTIONS)}."
            )
        model = parse(handle)
        try:
            import huggingface_hub
        except ImportError as error:
            raise HandleError(
                f"{handle.text!r}: hf:// handles need huggingface_hub: pip install 'reusable-savedmodel[hf]'."
            ) from error
        # Not at the top: the registry imports this module for every handle, local paths too.
        from reusable_savedmodel.interface.handles._remote import is_offline

        kwargs: dict[str, Any] = {}
        if "timeout" in options:
            kwargs["etag_timeout"] = options["timeout"]
        try:
            snapshot = huggingface_hub.snapshot_download(
                model.repo_id,
                revision=model.revision,
                allow_patterns=[f"{model.subdir}/*"] if model.subdir else None,
                cache_dir=_hub_cache_dir(),
                endpoint=os.environ.get("HF_ENDPOINT") or None,
                local_files_only=is_offline() if offline is None else offline,
                **kwargs,
            )
        except (OSError, ValueError) as error:  # huggingface_hub's errors derive from these
            raise _explain(error, handle.text, model) from error
        return Path(snapshot, model.subdir)
