"""tensorflow_hub's environment variables keep their meaning: cache dir, progress, load format."""

from __future__ import annotations

import numpy as np
import pytest

from fixtures.remote_server import ok
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.interface.handles import _cache as cache_lib
from reusable_savedmodel.interface.handles import _remote as remote


def test_tfhub_cache_dir_holds_downloads_when_rsm_cache_dir_is_unset(server, tmp_path, monkeypatch, mul_tgz):
    monkeypatch.delenv("RSM_CACHE_DIR", raising=False)
    monkeypatch.delenv("RSM_OFFLINE", raising=False)
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "tfhub"))
    path = rsm.resolve(server.route("/m.tar.gz", ok(mul_tgz)))
    assert path.parent == tmp_path / "tfhub" == cache_lib.cache_dir()
    np.testing.assert_array_equal(rsm.load(path)([1.0]).numpy(), [2.0])


@pytest.mark.parametrize(("value", "progress", "expected"), [
    ("", None, None), ("1", None, True), ("1", False, False), ("", True, True),
])
def test_tfhub_download_progress_turns_the_bar_on_unless_asked_otherwise(monkeypatch, value, progress, expected):
    monkeypatch.setenv("TFHUB_DOWNLOAD_PROGRESS", value)
    assert remote.wants_progress(progress) is expected


@pytest.mark.parametrize("value", ["", "COMPRESSED", "auto"])
def test_compressed_and_auto_load_formats_download_archives(server, cache, monkeypatch, mul_tgz, value):
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", value)
    np.testing.assert_array_equal(rsm.load(server.route("/m.tar.gz", ok(mul_tgz)))([1.0]).numpy(), [2.0])


def test_unknown_load_format_is_refused(cache, monkeypatch):
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "ZIP")
    with pytest.raises(rsm.HandleError, match=r"expected one of COMPRESSED, UNCOMPRESSED, AUTO, got 'ZIP'"):
        rsm.resolve("https://example.invalid/m.tar.gz")
