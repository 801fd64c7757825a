"""A loopback stand-in for the Hugging Face Hub: the requests `snapshot_download` makes.

`HfServer.add_repo(repo_id, files, revision="main")` serves a model repository whose files
are `{path: bytes}`; `HfServer.refuse(repo_id, status, error_code)` answers every request
for it with an error, as the Hub does for gated, private or missing repositories;
`HfServer.redirect(repo_id, path, url)` answers a file's HEAD and GET with a redirect to
`url`, as the Hub does for files kept in storage elsewhere (the metadata on the redirect).
`requests` counts each request, `authorization` keeps each request's Authorization header.
Served:

  GET  /api/models/ORG/REPO/revision/REV   repository info: {"id", "sha", "siblings"}
  GET  /api/models/ORG/REPO/tree/SHA       the file listing (recursive, one page)
  HEAD /ORG/REPO/resolve/SHA/PATH          file metadata: X-Repo-Commit, ETag, Content-Length
  GET  /ORG/REPO/resolve/SHA/PATH          the file
"""

from __future__ import annotations

import collections
import hashlib
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class HfServer:
    """A threaded HTTP server on 127.0.0.1 that speaks the Hub's download endpoints."""

    def __init__(self) -> None:
        self.repos: dict[str, tuple[str, str, dict[str, bytes]]] = {}
        self.refused: dict[str, tuple[int, str]] = {}
        self.redirects: dict[tuple[str, str], str] = {}
        self.requests: collections.Counter[str] = collections.Counter()
        self.authorization: list[str | None] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_HEAD(self):
                server._answer(self, head=True)

            def do_GET(self):
                server._answer(self, head=False)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}"

    def add_repo(self, repo_id: str, files: dict[str, bytes], revision: str = "main") -> str:
        """Serves `files` as `repo_id` at `revision`; returns the commit sha."""
        sha = hashlib.sha1(repr(sorted(files.items())).encode()).hexdigest()
        self.repos[repo_id] = (revision, sha, files)
        return sha

    def refuse(self, repo_id: str, status: int, error_code: str) -> None:
        """Answers every request about `repo_id` with `status` and `X-Error-Code`."""
        self.refused[repo_id] = (status, error_code)

    def redirect(self, repo_id: str, path: str, url: str) -> None:
        """Answers requests for the file `path` of `repo_id` with a 302 to `url`."""
        self.redirects[(repo_id, path)] = url

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _send(self, handler, status, body=b"", headers=(), head=False):
        handler.send_response(status)
        for name, value in headers:
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if not head:
            handler.wfile.write(body)

    def _answer(self, handler, head):
        path = urllib.parse.unquote(urllib.parse.urlsplit(handler.path).path)
        self.requests[f"{handler.command} {path}"] += 1
        self.authorization.append(handler.headers.get("Authorization"))
        api = path.startswith("/api/models/")
        parts = path.removeprefix("/api/models/" if api else "/").split("/")
        repo_id = "/".join(parts[:2])
        if repo_id in self.refused:
            status, code = self.refused[repo_id]
            self._send(handler, status, b'{"error": "refused"}', [("X-Error-Code", code)], head)
            return
        if repo_id not in self.repos:
            self._send(handler, 404, b'{"error": "Repository not found"}', [("X-Error-Code", "RepoNotFound")], head)
            return
        revision, sha, files = self.repos[repo_id]
        kind, ref, rest = parts[2], parts[3], "/".join(parts[4:])
        if ref not in (revision, sha):
            self._send(handler, 404, b'{"error": "Invalid rev id"}', [("X-Error-Code", "RevisionNotFound")], head)
            return
        if api and kind == "revision":
            info = {"id": repo_id, "sha": sha, "siblings": [{"rfilename": p} for p in sorted(files)]}
            self._send(handler, 200, json.dumps(info).encode(), [("Content-Type", "application/json")], head)
        elif api and kind == "tree":
            tree = [
                {"type": "file", "path": p, "size": len(b), "oid": hashlib.sha1(b).hexdigest()}
                for p, b in sorted(files.items())
            ]
            self._send(handler, 200, json.dumps(tree).encode(), [("Content-Type", "application/json")], head)
        elif kind == "resolve" and rest in files:
            body = files[rest]
            etag = f'"{hashlib.sha256(body).hexdigest()}"'
            if (repo_id, rest) in self.redirects:
                linked = [("X-Linked-Etag", etag), ("X-Linked-Size", str(len(body)))]
                where = [("Location", self.redirects[(repo_id, rest)]), ("X-Repo-Commit", sha), *linked]
                self._send(handler, 302, b"", where, head)
            else:
                self._send(handler, 200, body, [("X-Repo-Commit", sha), ("ETag", etag)], head)
        else:
            self._send(handler, 404, b'{"error": "Entry not found"}', [("X-Error-Code", "EntryNotFound")], head)
