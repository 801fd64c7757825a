"""Servers that drip, redirect elsewhere or loop; caches tampered with after download."""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import tarfile
import threading
import time
from collections.abc import Iterator

import pytest

from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters import cli
from reusable_savedmodel.interface.handles import _cache as cache_lib
from reusable_savedmodel.interface.handles import _download as download
from reusable_savedmodel.interface.handles import _remote as remote


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict = {}
    authorization: dict = {}  # path -> the Authorization header of each GET (None: not sent)

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.authorization.setdefault(self.path, []).append(self.headers.get("Authorization"))
        kind, value = self.routes[self.path]
        if kind == "redirect":
            self.send_response(302)
            self.send_header("Location", value)
            self.end_headers()
        elif kind == "drip":  # one byte every half second, forever
            self.send_response(200)
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            try:
                while not self.server.stopping.is_set():
                    self.wfile.write(b"\0")
                    self.wfile.flush()
                    self.server.stopping.wait(0.5)
            except OSError:
                pass
        else:
            self.send_response(200)
            self.send_header("Content-Length", str(len(value)))
            self.end_headers()
            self.wfile.write(value)


@pytest.fixture
def serve() -> Iterator:
    """`serve(routes, authorization)` starts a server on 127.0.0.1 answering `routes`; returns
    its base URL. `authorization` (a dict) receives each path's Authorization headers."""
    servers = []

    def start(routes: dict, authorization: dict | None = None) -> str:
        handler = type("Handler", (_Handler,), {"routes": routes, "authorization": {} if authorization is None else authorization})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        server.stopping = threading.Event()
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.stopping.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RSM_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_slow_drip_hits_the_deadline_and_frees_the_lock(serve, cache, tmp_path):
    base = serve({"/m.tar.gz": ("drip", None)})
    started = time.monotonic()
    with pytest.raises(rsm.DownloadError, match="passed its deadline"):
        download.download(f"{base}/m.tar.gz", tmp_path / "m", deadline=2, retries=0)
    assert time.monotonic() - started < 10 and not (tmp_path / "m").exists()
    with pytest.raises(rsm.DownloadError, match="passed its deadline"):
        cache_lib.Cache(cache).get(
            "h", lambda dest: download.download(f"{base}/m.tar.gz", dest, deadline=1, retries=0)
        )
    assert list(cache.glob("rsm-*.rsm-tmp.*")) == []  # nothing half-written; the lock is free:
    assert cache_lib.Cache(cache, lock_timeout=0.1).entries() == []


def test_size_limit(serve, tmp_path):
    base = serve({"/big.tar.gz": ("body", b"x" * 5000)})
    with pytest.raises(rsm.DownloadError, match="announces 5,000 bytes, more than 1,000"):
        download.download(f"{base}/big.tar.gz", tmp_path / "m", max_bytes=1000)
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(
    "location, message",
    [
        ("file:///etc/passwd", "refused redirect to 'file:///etc/passwd'"),
        ("ftp://127.0.0.1/m.tar.gz", "refused redirect to 'ftp://"),
        ("http://[::1/m.tar.gz", "malformed URL or redirect Location"),
        ("http://127.0.0.1:99999999/m", "malformed redirect Location"),
        ("/loop", "redirect loop"),
    ],
)
def test_bad_redirects(serve, cache, outside, location, message):
    base = serve({"/m.tar.gz": ("redirect", location), "/loop": ("redirect", "/m.tar.gz")})
    with pytest.raises(rsm.DownloadError, match=message):
        rsm.resolve(f"{base}/m.tar.gz", retries=0)
    assert cache_lib.Cache(cache).entries() == []


def _pack(directory) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(directory, arcname=".")
    return buffer.getvalue()


def test_tampered_cache_files_are_detected(tmp_path, cache, zoo_path, capsys):
    archive = tmp_path / "mul.tar.gz"
    archive.write_bytes(_pack(zoo_path("mul")))
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    entry = rsm.resolve(archive, sha256=digest)
    index = entry / "variables" / "variables.index"
    original = index.read_bytes()
    index.write_bytes(bytes(b ^ 0xFF for b in original))  # same size: only a hash tells
    [checked] = cache_lib.Cache(cache).verify()
    assert "variables/variables.index has changed since it was downloaded" in checked.problem
    assert cli.main(["cache", "verify"]) == 1
    assert "BROKEN" in capsys.readouterr().out
    # A pinned handle re-hashes, finds the change and rebuilds the entry from the archive.
    assert rsm.resolve(archive, sha256=digest) == entry
    assert index.read_bytes() == original
    assert cli.main(["cache", "verify"]) == 0


def test_wrongly_shaped_manifest_is_a_broken_entry(tmp_path, cache, zoo_path):
    archive = tmp_path / "mul.tar.gz"
    archive.write_bytes(_pack(zoo_path("mul")))
    entry = rsm.resolve(archive)
    manifest = entry.parent / f"{entry.name}.rsm.json"
    manifest.write_text('{"handle": 1, "files": [], "size": "x"}')
    [broken] = cache_lib.Cache(cache).entries()
    assert "unreadable manifest" in broken.problem
    assert rsm.resolve(archive) == entry and cache_lib.Cache(cache).entries()[0].problem is None


def test_lock_wait_times_out_naming_the_holder(tmp_path, cache):
    store = cache_lib.Cache(cache, lock_timeout=0.5)
    cache.mkdir()
    holding, release = threading.Event(), threading.Event()

    def hold():
        with store._locked(cache_lib.key("h"), "h"):
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(10)
    try:
        with pytest.raises(rsm.DownloadError, match=rf"gave up after 0.5 s waiting .*pid {os.getpid()} on "):
            store.get("h", lambda dest: pytest.fail("fetched while another process holds the lock"))
    finally:
        release.set()
        holder.join()


def test_file_url_with_localhost(tmp_path, cache, zoo_path):
    archive = tmp_path / "mul.tar.gz"
    archive.write_bytes(_pack(zoo_path("mul")))
    assert rsm.resolve(f"file://localhost{archive}") == rsm.resolve(archive)
    with pytest.raises(rsm.HandleError, match="expected a local file URL"):
        rsm.resolve(f"file://example.com{archive}")


@pytest.mark.parametrize(
    "source, target, keeps",
    [
        ("https://www.kaggle.com/m", "https://storage.example/m", False),  # another host
        ("https://www.kaggle.com/m", "http://www.kaggle.com/m", False),  # to clear text
        ("https://www.kaggle.com/m", "https://www.kaggle.com:8443/m", False),  # another port
        ("http://127.0.0.1:8000/m", "http://127.0.0.1:8001/m", False),
        ("https://www.kaggle.com/m", "https://www.kaggle.com:443/other", True),  # same origin
        ("http://www.kaggle.com/m", "https://www.kaggle.com/m", True),  # an upgrade to TLS
    ],
)
def test_which_redirects_keep_credentials(source, target, keeps):
    assert download.keeps_credentials(source, target) is keeps


def test_kaggle_credentials_do_not_follow_a_redirect_to_another_port(serve, cache, tmp_path, monkeypatch, zoo_path):
    """Same host, another port (another service, maybe another user's): no Authorization there."""
    seen_kaggle, seen_other = {}, {}
    other = serve({"/m.tar.gz": ("body", _pack(zoo_path("mul")))}, seen_other)
    archive = "/models/acme/mul/frameworks/tensorflow2/variations/small/versions/3?tf-hub-format=compressed"
    kaggle_url = serve({archive: ("redirect", f"{other}/m.tar.gz")}, seen_kaggle)
    monkeypatch.setenv("RSM_KAGGLE_ENDPOINT", kaggle_url)
    monkeypatch.setenv("KAGGLE_USERNAME", "ann")
    monkeypatch.setenv("KAGGLE_KEY", "secret")
    for name in ("KAGGLEHUB_CACHE", "KAGGLE_CACHE_MOUNT_FOLDER"):
        monkeypatch.setenv(name, str(tmp_path / name))
    path = rsm.resolve("kaggle://acme/mul/tensorflow2/small/3", retries=0)
    assert (path / "saved_model.pb").is_file()
    assert seen_kaggle == {archive: ["Basic YW5uOnNlY3JldA=="]}  # sent where it belongs
    assert seen_other == {"/m.tar.gz": [None]}


@pytest.fixture
def mul_archive(tmp_path, zoo_path):
    """The model "mul" as a local .tar.gz, and the key of its cache entry."""
    archive = tmp_path / "mul.tar.gz"
    archive.write_bytes(_pack(zoo_path("mul")))
    return archive, cache_lib.key(remote.cache_handle(str(archive)))


def test_planted_pid_sidecar_link_is_replaced_not_written_through(cache, outside, mul_archive):
    archive, k = mul_archive
    cache.mkdir()
    sidecar = cache / f"{k}.rsm.lock.pid"
    sidecar.symlink_to(outside / "secret.txt")
    assert cache_lib.Cache(cache)._holder(k) == "unknown"  # never read through it either
    assert (rsm.resolve(archive) / "saved_model.pb").is_file()
    assert not sidecar.is_symlink() and f"pid {os.getpid()}" in sidecar.read_text()
    # (the `outside` fixture checks that secret.txt is unchanged)


def test_planted_lock_file_link_is_refused(cache, outside, mul_archive):
    archive, k = mul_archive
    cache.mkdir()
    (cache / f"{k}.rsm.lock").symlink_to(outside / "secret.txt")
    with pytest.raises(rsm.DownloadError, match=r"refused: expected the entry's lock file.*found a symbolic link"):
        rsm.resolve(archive)
    # A link raced in after that check: filelock opens without following it (ELOOP).
    with pytest.raises(rsm.DownloadError, match=r"expected a lock file, found a symbolic link"):
        cache_lib._acquire(cache_lib.filelock.FileLock(cache / f"{k}.rsm.lock"), 0, cache / f"{k}.rsm.lock")


def test_planted_temporary_directory_link_is_refused(cache, outside, mul_archive):
    archive, k = mul_archive
    cache.mkdir()
    (cache / f"{k}.rsm-tmp.planted").symlink_to(outside)
    with pytest.raises(rsm.DownloadError, match=r"refused: expected a temporary file or directory.*symbolic link"):
        rsm.resolve(archive)
    assert (outside / "secret.txt").is_file()


def test_planted_entry_link_is_refused(cache, outside, mul_archive):
    archive, k = mul_archive
    cache.mkdir()
    (cache / k).symlink_to(outside)
    with pytest.raises(rsm.DownloadError, match=r"refused: expected an entry's directory.*symbolic link"):
        rsm.resolve(archive)
