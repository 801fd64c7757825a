"""A model served over HTTP and already in a fresh cache, so that loading its URL is a hit."""

from __future__ import annotations

import contextlib
import io
import os
import tarfile
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def _server(body: bytes) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet: the progress bar owns the terminal
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@contextlib.contextmanager
def staged(saved_model: Path) -> Iterator[str]:
    """Serves `saved_model` as a .tar.gz on 127.0.0.1 and fetches it into a temporary cache.

    While the context is open, `$RSM_CACHE_DIR` names that cache, so `rsm.load(url)` is a
    cache hit (the entry is checked, then loaded).

    Args:
      saved_model: The SavedModel directory.

    Yields:
      The URL.
    """
    from reusable_savedmodel import interface as rsm

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(str(saved_model), arcname=".")
    server = _server(buffer.getvalue())
    previous = os.environ.get("RSM_CACHE_DIR")
    try:
        with tempfile.TemporaryDirectory(prefix="rsm-bench-cache-") as cache:
            os.environ["RSM_CACHE_DIR"] = cache
            url = f"http://127.0.0.1:{server.server_port}/{saved_model.name}.tar.gz"
            rsm.resolve(url, progress=False)  # the one download
            yield url
    finally:
        server.shutdown()
        server.server_close()
        if previous is None:
            os.environ.pop("RSM_CACHE_DIR", None)
        else:
            os.environ["RSM_CACHE_DIR"] = previous
