"""http(s) handles against a local server: success, redirects, errors, retries, checksums."""

import hashlib
import io
import json
import logging
import os
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest

from fixtures.remote_server import Step, leftovers, ok, tar_bytes
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.interface.handles import _cache as cache_lib
from reusable_savedmodel.interface.handles import _remote as remote


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_download_load_and_cache_hit(server, cache, mul_tgz):
    url = server.route("/mul.tar.gz", ok(mul_tgz))
    np.testing.assert_allclose(rsm.load(url)([3.0]).numpy(), [6.0])
    path = rsm.resolve(url)
    assert server.hits["/mul.tar.gz"] == 1  # the second resolve is a cache hit
    assert (path / "saved_model.pb").is_file() and path.parent == cache
    manifest = json.loads(Path(f"{path}.rsm.json").read_text())
    assert manifest["handle"] == url and manifest["sha256"] == _sha(mul_tgz)
    assert manifest["size"] == len(mul_tgz) and "saved_model.pb" in manifest["files"]
    assert leftovers(cache) == []


def test_tf_hub_compressed_format_keeps_the_query(server, cache, mul_tgz):
    server.route("/models/mul/1?variant=a&tf-hub-format=compressed", ok(mul_tgz))
    np.testing.assert_allclose(rsm.load(server.url("/models/mul/1?variant=a"))([1.0]).numpy(), [2.0])
    assert remote.archive_url("https://h/m/1") == "https://h/m/1?tf-hub-format=compressed"
    assert remote.archive_url("https://h/m.tgz?x=1") == "https://h/m.tgz?x=1"
    assert remote.archive_url("https://h/m?tf-hub-format=compressed") == "https://h/m?tf-hub-format=compressed"
    with pytest.raises(rsm.HandleError, match=r"expected tf-hub-format=compressed \(a SavedModel archive\), got tf-hub-format=uncompressed"):
        rsm.resolve("https://h/m?tf-hub-format=uncompressed")


def test_redirect_is_followed(server, cache, mul_tgz):
    final = server.route("/new/mul.tar.gz", ok(mul_tgz))
    server.route("/old/mul?tf-hub-format=compressed", Step(status=302, location=final))
    path = rsm.resolve(server.url("/old/mul"))
    assert json.loads(Path(f"{path}.rsm.json").read_text())["url"] == final
    assert server.hits["/old/mul?tf-hub-format=compressed"] == 1 and server.hits["/new/mul.tar.gz"] == 1


def test_404_fails_at_once(server, cache):
    url = server.url("/absent.tar.gz")
    with pytest.raises(
        rsm.DownloadError,
        match=r"absent.tar.gz: expected HTTP 200 with a SavedModel archive, got HTTP 404 Not Found\.",
    ):
        rsm.load(url)
    assert server.hits["/absent.tar.gz"] == 1  # no retries
    assert leftovers(cache) == [] and cache_lib.Cache(cache).entries() == []


def test_500_then_success_is_retried(server, cache, mul_tgz):
    url = server.route("/flaky.tar.gz", Step(status=500), ok(mul_tgz))
    np.testing.assert_allclose(rsm.load(url)([1.0]).numpy(), [2.0])
    assert server.hits["/flaky.tar.gz"] == 2
    assert leftovers(cache) == []


def test_500_every_time_gives_up_after_the_retries(server, cache):
    url = server.route("/down.tar.gz", Step(status=503))
    with pytest.raises(
        rsm.DownloadError,
        match=r"download failed after 2 attempts: attempt 1: HTTP 503 Service Unavailable; "
        r"attempt 2: HTTP 503 Service Unavailable",
    ):
        rsm.resolve(url, retries=1)
    assert server.hits["/down.tar.gz"] == 2
    assert leftovers(cache) == [] and cache_lib.Cache(cache).entries() == []


def test_stalled_server_times_out(server, cache):
    url = server.route("/stall.tar.gz", Step(stall=True))
    start = time.monotonic()
    with pytest.raises(
        rsm.DownloadError,
        match=r"after 2 attempts: attempt 1: timed out \(no data for 0.3 s\); "
        r"attempt 2: timed out \(no data for 0.3 s\)",
    ):
        rsm.resolve(url, timeout=0.3, retries=1)
    assert time.monotonic() - start < 10
    assert leftovers(cache) == []


def test_server_stalling_mid_body_times_out(server, cache, mul_tgz):
    url = server.route("/half.tar.gz", Step(body=mul_tgz, send=len(mul_tgz) // 2, then="hang"))
    with pytest.raises(rsm.DownloadError, match=r"after 1 attempts: attempt 1: timed out \(no data for 0.3 s\)"):
        rsm.resolve(url, timeout=0.3, retries=0)
    assert leftovers(cache) == []


def test_connection_closed_early_is_retried_then_reported(server, cache, mul_tgz):
    url = server.route("/cut.tar.gz", Step(body=mul_tgz, send=100))
    with pytest.raises(rsm.DownloadError, match=r"after 2 attempts: attempt 1: ChunkedEncodingError: .*IncompleteRead\(100 bytes read"):
        rsm.resolve(url, retries=1)
    assert server.hits["/cut.tar.gz"] == 2
    assert leftovers(cache) == []


def test_truncated_archive(server, cache, mul_tgz):
    url = server.route("/truncated.tar.gz", ok(mul_tgz[: len(mul_tgz) // 2]))
    with pytest.raises(
        rsm.DownloadError,
        match=r"truncated.tar.gz: expected a tar archive \(.tar, .tar.gz, .tgz\), got truncated or corrupt data \(EOFError",
    ):
        rsm.load(url)
    assert leftovers(cache) == [] and cache_lib.Cache(cache).entries() == []


def test_corrupt_archive(server, cache):
    url = server.route("/corrupt.tar.gz", ok(np.random.default_rng(0).bytes(4096)))
    with pytest.raises(
        rsm.DownloadError, match=r"corrupt.tar.gz: expected a gzip-compressed tar archive, got other data"
    ):
        rsm.load(url)
    assert leftovers(cache) == [] and cache_lib.Cache(cache).entries() == []


def test_archive_without_saved_model(server, cache, tmp_path):
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "README").write_text("no model here")
    url = server.route("/empty.tgz", ok(tar_bytes(tmp_path / "stuff")))
    with pytest.raises(rsm.HandleError, match="expected saved_model.pb at the archive's root or in its one top-level directory, found README"):
        rsm.load(url)
    assert leftovers(cache) == [] and cache_lib.Cache(cache).entries() == []


def test_sha256_match_and_mismatch(server, cache, mul_tgz):
    url = server.route("/mul.tar.gz", ok(mul_tgz))
    wrong = "0" * 64
    with pytest.raises(rsm.DownloadError, match=f"sha256 mismatch: expected {wrong}, got {_sha(mul_tgz)}"):
        rsm.load(url, sha256=wrong)
    assert leftovers(cache) == [] and cache_lib.Cache(cache).entries() == []
    path = rsm.resolve(url, sha256=_sha(mul_tgz).upper())
    # A cached entry from another archive is re-fetched and must verify; the good entry stays.
    with pytest.raises(rsm.DownloadError, match="sha256 mismatch"):
        rsm.resolve(url, sha256=wrong)
    assert server.hits["/mul.tar.gz"] == 3
    assert rsm.resolve(url) == path and leftovers(cache) == []
    with pytest.raises(rsm.HandleError, match="sha256: expected 64 hex digits, got 'abc'"):
        rsm.resolve(url, sha256="abc")


def test_options_for_a_local_directory_are_an_error(zoo_path):
    with pytest.raises(rsm.HandleError, match=r"is a local directory: options \['sha256'\] apply only"):
        rsm.load(zoo_path("mul"), sha256="0" * 64)


def test_offline_serves_only_from_the_cache(server, cache, mul_tgz, monkeypatch):
    url = server.route("/mul.tar.gz", ok(mul_tgz))
    monkeypatch.setenv("RSM_OFFLINE", "1")
    with pytest.raises(rsm.DownloadError, match=r"RSM_OFFLINE is set and the cache .* has no valid entry for it; expected it fetched earlier"):
        rsm.load(url)
    assert server.hits["/mul.tar.gz"] == 0 and leftovers(cache) == []
    monkeypatch.delenv("RSM_OFFLINE")
    rsm.resolve(url)
    monkeypatch.setenv("RSM_OFFLINE", "1")
    np.testing.assert_allclose(rsm.load(url)([1.0]).numpy(), [2.0])
    assert server.hits["/mul.tar.gz"] == 1


def test_unusable_cache_directory_is_a_clear_error(server, tmp_path, monkeypatch, mul_tgz):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("RSM_CACHE_DIR", str(tmp_path / "file" / "cache"))
    url = server.route("/mul.tar.gz", ok(mul_tgz))
    with pytest.raises(rsm.DownloadError, match=r"cannot write to the cache directory .*file/cache: Not a directory"):
        rsm.resolve(url)


def test_full_disk_is_a_clear_error(cache):
    def full(dest):
        raise OSError(28, "No space left on device", str(dest))

    with pytest.raises(rsm.DownloadError, match=r"No space left on device .*expected a writable directory with free space"):
        cache_lib.Cache(cache).get("http://h/m.tgz", full)
    assert leftovers(cache) == []


def test_tfhub_cache_dir_is_the_fallback(tmp_path, monkeypatch):
    monkeypatch.delenv("RSM_CACHE_DIR", raising=False)
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "hub"))
    assert cache_lib.cache_dir() == tmp_path / "hub"
    monkeypatch.delenv("TFHUB_CACHE_DIR")
    assert "reusable-savedmodel" in str(cache_lib.cache_dir()) and not str(cache_lib.cache_dir()).startswith("/tmp")


def test_local_archive_is_unpacked_and_refreshed_when_it_changes(tmp_path, cache, zoo_path, mul_tgz):
    archive = tmp_path / "mul.tar.gz"
    archive.write_bytes(mul_tgz)
    first = rsm.resolve(archive)
    assert rsm.resolve(f"file://{archive}") == first
    mtime = json.loads(Path(f"{first}.rsm.json").read_text())["created"]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tar:  # same model, other size
        tar.add(zoo_path("mul"), arcname=".")
    archive.write_bytes(buffer.getvalue())
    assert rsm.resolve(archive) == first
    assert json.loads(Path(f"{first}.rsm.json").read_text())["created"] > mtime
    assert len(cache_lib.Cache(cache).entries()) == 1 and leftovers(cache) == []


def test_waiting_message_names_the_handle(cache, caplog, mul_tgz, tmp_path):
    """A second builder waits on the lock with a message, then uses the first one's entry."""
    import threading

    archive = tmp_path / "m.tgz"
    archive.write_bytes(mul_tgz)
    started, release = threading.Event(), threading.Event()
    store = cache_lib.Cache(cache)

    def slow_copy(dest):
        started.set()
        release.wait(10)
        return remote.download.copy(archive, dest)

    first = threading.Thread(target=store.get, args=("h", slow_copy))
    first.start()
    started.wait(10)
    with caplog.at_level(logging.WARNING):
        timer = threading.Timer(0.5, release.set)
        timer.start()
        path = store.get("h", lambda dest: pytest.fail("fetched twice"))
    first.join()
    # The holder is named by the pid its lock's sidecar records (here: this very process).
    assert f"h: another process (pid {os.getpid()} on " in caplog.text
    assert "waiting up to 3900 s for it to finish." in caplog.text
    assert (path / "saved_model.pb").is_file()
