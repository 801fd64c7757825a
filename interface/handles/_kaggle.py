"""The Kaggle Models handle kind, whole: every form, the download, copies on disk, credentials, errors.

One model variation version has three handle forms, all naming one cache entry (`canonical`):

  kaggle://OWNER/MODEL/FRAMEWORK/VARIATION/VERSION
  https://www.kaggle.com/models/OWNER/MODEL/FRAMEWORK/VARIATION/VERSION
  https://www.kaggle.com/models/OWNER/MODEL/frameworks/FRAMEWORK/variations/VARIATION/versions/VERSION

Framework names are case-insensitive (`TensorFlow2` = `tensorflow2`). `$RSM_KAGGLE_ENDPOINT`
(default `https://www.kaggle.com`) replaces scheme and host for every form: downloads go
there, and URLs on that host are Kaggle handles too. The archive comes the way TF Hub gets
it: the model's URL with `?tf-hub-format=compressed`, following redirects.

A model that kagglehub already downloaded (`$KAGGLEHUB_CACHE`, default
`~/.cache/kagglehub`) or that a Kaggle notebook mounted (`$KAGGLE_CACHE_MOUNT_FOLDER`,
default `/kaggle/input`) is used where it lies (`local_copy`).

(tfhub.dev URLs are http(s) handles: tfhub.dev redirects them to Kaggle's archives.)
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reusable_savedmodel.interface._errors import DownloadError, HandleError, ReusableError
from reusable_savedmodel.interface.handles import _segments as segments
from reusable_savedmodel.interface.handles._parsed import Handle, ParsedHandle, parse_handle

if TYPE_CHECKING:
    from reusable_savedmodel.interface.handles._download import HTTPStatusError

SCHEME = "kaggle"
DEFAULT_ENDPOINT = "https://www.kaggle.com"
_KAGGLE_HOSTS = ("www.kaggle.com", "kaggle.com")
_FORMS = (
    "kaggle://OWNER/MODEL/FRAMEWORK/VARIATION/VERSION, "
    "https://www.kaggle.com/models/OWNER/MODEL/FRAMEWORK/VARIATION/VERSION or "
    "https://www.kaggle.com/models/OWNER/MODEL/frameworks/FRAMEWORK/variations/VARIATION/"
    "versions/VERSION"
)
# The long URL form's fixed words, at the positions they take after /models/OWNER/MODEL/.
_LONG_WORDS = {0: "frameworks", 2: "variations", 4: "versions"}


@dataclasses.dataclass(frozen=True)
class KaggleModel:
    """One version of one Kaggle Models variation.

    Attributes:
      owner: The owner's slug (e.g. "google").
      model: The model's slug.
      framework: The framework, lower case (e.g. "tensorflow2").
      variation: The variation's slug.
      version: The version number (1 or more).
    """

    owner: str
    model: str
    framework: str
    variation: str
    version: int

    @property
    def canonical(self) -> str:
        """The `kaggle://` handle every form of this model goes by (its cache entry's name)."""
        return (
            f"{SCHEME}://{self.owner}/{self.model}/{self.framework}/{self.variation}/{self.version}"
        )

    def page(self, endpoint: str | None = None) -> str:
        """The variation's page, where its terms are accepted."""
        return (
            f"{endpoint or kaggle_endpoint()}/models/{self.owner}/{self.model}/frameworks/"
            f"{self.framework}/variations/{self.variation}"
        )

    def url(self, endpoint: str | None = None) -> str:
        """The version's URL, which answers `?tf-hub-format=compressed` with its archive."""
        return f"{self.page(endpoint)}/versions/{self.version}"


def kaggle_endpoint() -> str:
    """Scheme and host of Kaggle: `$RSM_KAGGLE_ENDPOINT`, else https://www.kaggle.com."""
    return (os.environ.get("RSM_KAGGLE_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def _model(handle: str, parts: list[str]) -> KaggleModel:
    """The model that five path segments name; `handle` is for messages."""
    if len(parts) != 5:
        raise HandleError(
            f"{handle!r}: expected a Kaggle model version as {_FORMS}; got {len(parts)} "
            f"path segments after the host."
        )
    segments.require_plain(handle, parts, "a Kaggle model version")
    owner, model, framework, variation, version = parts
    if not version.isdigit() or int(version) < 1:
        raise HandleError(
            f"{handle!r}: expected a version number (1, 2, ...) as the last segment, got "
            f"{version!r}. Pin a version: the cache keeps one entry per version."
        )
    return KaggleModel(owner, model, framework.lower(), variation, int(version))


def _url_parts(handle: str, path: str) -> list[str]:
    """The five segments of a short or long URL's path after /models/."""
    parts = path.strip("/").split("/")[1:]
    if len(parts) == 8 and all(parts[2 + i] == word for i, word in _LONG_WORDS.items()):
        return [parts[0], parts[1], parts[3], parts[5], parts[7]]
    if len(parts) > 5 and parts[2] == "frameworks":
        raise HandleError(
            f"{handle!r}: expected .../frameworks/FRAMEWORK/variations/VARIATION/versions/"
            f"VERSION after the model, got {'/'.join(parts[2:])!r}."
        )
    return parts


def _is_kaggle_url(handle: ParsedHandle) -> bool:
    """Whether an http(s) handle lies under /models/ on kaggle.com or on the endpoint's host."""
    if not handle.is_http or not (handle.path + "/").startswith("/models/"):
        return False
    endpoint = parse_handle(kaggle_endpoint())
    return handle.host.lower() in _KAGGLE_HOSTS or (
        handle.scheme == endpoint.scheme and handle.host == endpoint.host
    )


def is_kaggle(handle: ParsedHandle) -> bool:
    """Whether `handle` is a Kaggle Models handle (`kaggle://` or a kaggle.com models URL)."""
    return handle.scheme == SCHEME or _is_kaggle_url(handle)


def parse(handle: Handle | ParsedHandle) -> KaggleModel | None:
    """The Kaggle model a handle names, or None if it is no Kaggle Models handle.

    Args:
      handle: Any handle.

    Returns:
      The model for `kaggle://...` and for http(s) URLs under `/models/` on kaggle.com or
      on `$RSM_KAGGLE_ENDPOINT`'s host; None for anything else.

    Raises:
      HandleError: if it is a Kaggle Models handle that names no single version (missing
        or extra segments, an empty, `.` or `..` segment, no version number, a query
        other than `tf-hub-format=compressed`).
    """
    handle = parse_handle(handle)
    return _model_of(handle) if is_kaggle(handle) else None


def _model_of(handle: ParsedHandle) -> KaggleModel:
    """The model a Kaggle Models handle (`is_kaggle(handle)`) names; raises as `parse` does."""
    if handle.scheme == SCHEME:
        return _model(handle.text, handle.rest.strip("/").split("/"))
    if any(pair != ("tf-hub-format", "compressed") for pair in handle.query_pairs) or handle.fragment:
        raise HandleError(
            f"{handle.text!r}: expected no query (or tf-hub-format=compressed) and no fragment "
            f"in a Kaggle Models URL, got {handle.query!r}{handle.fragment and ' #' + handle.fragment}."
        )
    return _model(handle.text, _url_parts(handle.text, handle.path))


def cache_key(handle: Handle | ParsedHandle) -> str | None:
    """The canonical `kaggle://` handle for any Kaggle form, or None for other handles."""
    model = parse(handle)
    return model.canonical if model is not None else None


def _child(parent: Path, name: str) -> Path | None:
    """`parent/name`, matching `name` case-insensitively; None if there is none."""
    if (parent / name).is_dir():
        return parent / name
    if not parent.is_dir():
        return None
    matches = [c for c in parent.iterdir() if c.name.lower() == name.lower() and c.is_dir()]
    return matches[0] if matches else None


def kagglehub_cache_dir() -> Path:
    """kagglehub's cache: `$KAGGLEHUB_CACHE`, else `~/.cache/kagglehub`."""
    return Path(os.environ.get("KAGGLEHUB_CACHE") or Path.home() / ".cache" / "kagglehub")


def notebook_mount_dir() -> Path:
    """Where a Kaggle notebook mounts inputs: `$KAGGLE_CACHE_MOUNT_FOLDER`, else /kaggle/input."""
    return Path(os.environ.get("KAGGLE_CACHE_MOUNT_FOLDER") or "/kaggle/input")


def _in_kagglehub_cache(model: KaggleModel) -> Path | None:
    # kagglehub: models/OWNER/MODEL/FRAMEWORK/VARIATION/VERSION, complete once the sibling
    # file VERSION.complete exists (the framework as the user spelled it).
    framework = _child(kagglehub_cache_dir() / "models" / model.owner / model.model, model.framework)
    if framework is None:
        return None
    variation = framework / model.variation
    version = variation / str(model.version)
    complete = (variation / f"{model.version}.complete").is_file()
    return version if complete and version.is_dir() else None


def _in_notebook_mount(model: KaggleModel) -> Path | None:
    # A notebook input: /kaggle/input/MODEL/FRAMEWORK/VARIATION/VERSION.
    framework = _child(notebook_mount_dir() / model.model, model.framework)
    if framework is None:
        return None
    version = framework / model.variation / str(model.version)
    return version if version.is_dir() else None


def local_copy(model: KaggleModel) -> Path | None:
    """The model's directory if a Kaggle notebook mounted it or kagglehub downloaded it whole.

    Args:
      model: The model version.

    Returns:
      The notebook mount's directory, else kagglehub's cache directory, else None.
    """
    return _in_notebook_mount(model) or _in_kagglehub_cache(model)


def credentials_file() -> Path:
    """Kaggle's API token file: `$KAGGLE_CONFIG_DIR/kaggle.json`, else `~/.kaggle/kaggle.json`."""
    return Path(os.environ.get("KAGGLE_CONFIG_DIR") or Path.home() / ".kaggle") / "kaggle.json"


def _credentials() -> tuple[str, str] | None:
    """(username, key) from `$KAGGLE_USERNAME`/`$KAGGLE_KEY`, else from `credentials_file()`."""
    username, key = os.environ.get("KAGGLE_USERNAME"), os.environ.get("KAGGLE_KEY")
    if username and key:
        return username, key
    path = credentials_file()
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        return str(data["username"]), str(data["key"])
    except (ValueError, KeyError, TypeError) as error:
        raise DownloadError(
            f"{path}: expected Kaggle's API token file, a JSON object with \"username\" and "
            f"\"key\" (downloaded from https://www.kaggle.com/settings), got unreadable "
            f"content ({type(error).__name__}: {error})."
        ) from error


def auth_headers() -> dict[str, str]:
    """HTTP basic credentials from `$KAGGLE_USERNAME`/`$KAGGLE_KEY` or kaggle.json, if any.

    Raises:
      DownloadError: if the kaggle.json file exists but is not a token file.
    """
    found = _credentials()
    if found is None:
        return {}
    username, key = found
    token = base64.b64encode(f"{username}:{key}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def explain(error: HTTPStatusError, model: KaggleModel) -> ReusableError:
    """A Kaggle-specific error for a download that Kaggle refused.

    Args:
      error: The failed download's error.
      model: The model that was asked for.

    Returns:
      For 401/403 a `DownloadError` saying how to authenticate or accept the terms; for
      404 a `HandleError` saying there is no such model or version; else `error`.
    """
    status = error.status
    if status in (401, 403):
        sent = "were sent: check them" if auth_headers() else "are not set: set them"
        return DownloadError(
            f"{model.canonical}: Kaggle answered HTTP {status} ({error.url}): the model needs "
            f"authentication or accepting its terms. KAGGLE_USERNAME and KAGGLE_KEY (or "
            f"{credentials_file()}; an API token from https://www.kaggle.com/settings) {sent}, "
            f"and accept the model's terms at {model.page()}."
        )
    if status == 404:
        return HandleError(
            f"{model.canonical}: no such model or version on Kaggle (HTTP 404 from "
            f"{error.url}); expected an existing OWNER/MODEL/FRAMEWORK/VARIATION/VERSION: see "
            f"{model.page()} for its versions."
        )
    return error


class KaggleResolver:
    """Kaggle Models handles: a notebook mount or kagglehub's copy in place, else the cache."""

    def supports(self, handle: ParsedHandle) -> bool:
        """Whether `handle` is a Kaggle Models handle, in any of its forms."""
        return is_kaggle(handle)

    def resolve(self, handle: ParsedHandle, **options: Any) -> Path:
        """The model's directory (`options` as `remote.resolve_remote` takes them).

        Raises:
          HandleError: for a malformed handle, or a model or version Kaggle does not have.
          DownloadError: if Kaggle refuses (saying how to authenticate) or the download fails.
        """
        model = _model_of(handle)
        # A pinned sha256 names an archive, which only the download cache can check.
        local = None if "sha256" in options else local_copy(model)
        if local is not None:
            return local
        # Not at the top: the registry imports this module for every handle, and the download
        # stack (requests, the cache) costs `rsm` a half-second start-up for a local path.
        from reusable_savedmodel.interface.handles import _remote as remote
        from reusable_savedmodel.interface.handles._download import HTTPStatusError

        try:
            return remote.resolve_remote(model.url(), key=model.canonical, headers=auth_headers(), **options)
        except HTTPStatusError as error:
            raise explain(error, model) from error

    def cache_name(self, handle: ParsedHandle) -> str:
        """The canonical `kaggle://` handle every form's cache entry goes by."""
        return _model_of(handle).canonical
