"""A scriptable HTTP server on 127.0.0.1 for the remote-handle and cache tests.

`server.route(path, *steps)` answers successive GETs of `path` (with its query) with the
steps in order, repeating the last one; `server.hits[path]` counts the GETs and
`server.authorization[path]` keeps their Authorization headers (None where there was none).
"""

from __future__ import annotations

import collections
import dataclasses
import io
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class Step:
    """One answer.

    Attributes:
      status: The HTTP status.
      body: The body (for 200).
      location: The redirect target (for 3xx).
      send: Bytes of the body to send before `then` (default: all of it).
      then: After `send` bytes: "close" the connection, or "hang" until the server stops.
      seconds: Spread the body over this many seconds.
      stall: Never answer (hang until the server stops).
    """

    status: int = 200
    body: bytes = b""
    location: str | None = None
    send: int | None = None
    then: str = "close"
    seconds: float = 0.0
    stall: bool = False


def ok(body: bytes, seconds: float = 0.0) -> Step:
    return Step(body=body, seconds=seconds)


class Server:
    """A threaded HTTP server whose answers the test scripts."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Step]] = {}
        self.hits: collections.Counter[str] = collections.Counter()
        self.authorization: collections.defaultdict[str, list[str | None]] = collections.defaultdict(list)
        self.stopped = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                server.hits[self.path] += 1
                server.authorization[self.path].append(self.headers.get("Authorization"))
                steps = server.routes.get(self.path)
                if not steps:
                    self.send_error(404)
                    return
                step = steps.pop(0) if len(steps) > 1 else steps[0]
                if step.stall:
                    server.stopped.wait(60)
                    return
                self.send_response(step.status)
                if step.location:
                    self.send_header("Location", step.location)
                self.send_header("Content-Length", str(len(step.body)))
                self.end_headers()
                body = step.body[: step.send] if step.send is not None else step.body
                pieces = 10 if step.seconds else 1
                size = -(-len(body) // pieces) or 1
                for start in range(0, len(body), size):
                    self.wfile.write(body[start : start + size])
                    self.wfile.flush()
                    time.sleep(step.seconds / pieces)
                if step.then == "hang":
                    server.stopped.wait(60)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}{path}"

    def route(self, path: str, *steps: Step) -> str:
        """Scripts the answers for `path`; returns its URL."""
        self.routes[path] = list(steps)
        return self.url(path)

    def stop(self) -> None:
        self.stopped.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def tar_bytes(directory: str | Path, arcname: str = ".", mode: str = "w:gz") -> bytes:
    """A directory packed as a tar archive, in memory."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tar:
        tar.add(str(directory), arcname=arcname)
    return buffer.getvalue()


def leftovers(cache: Path) -> list[str]:
    """What in the cache is neither a whole entry nor a lock file (or its pid sidecar)."""
    if not cache.exists():
        return []
    names = {p.name for p in cache.iterdir()}
    entries = {n for n in names if (cache / n).is_dir() and n + ".rsm.json" in names}
    manifests = {n + ".rsm.json" for n in entries}
    return sorted(n for n in names - entries - manifests if not n.endswith((".rsm.lock", ".rsm.lock.pid")))
