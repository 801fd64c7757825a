"""Loading from a cache hit against loading the same model from a local directory.

Run as `python -m benchmarks.load_cache [--repeats N]`. The model is served as a .tar.gz by
an HTTP server on 127.0.0.1, fetched into a temporary cache once, then `rsm.load(url)` (a
cache hit: manifest and file sizes checked, then loaded) and `rsm.load(directory)` are
timed interleaved in one process. Target: the cache hit's median within 5% of the local one.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import tarfile
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from benchmarks.timing import interleaved

#: The most a cache hit may add to a local load (median over median).
TARGET_RATIO = 1.05
LOCAL, CACHE_HIT = "rsm.load(directory)", "rsm.load(url), cache hit"


def _serve(body: bytes) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run(repeats: int = 15, model: str = "mlp") -> dict[str, Any]:
    """Times a cache hit against a local load of the same zoo model.

    Args:
      repeats: Timed loads per path (interleaved, one load per block).
      model: The zoo model to export and load.

    Returns:
      Median seconds per path, the ratio cache hit / local, the target and whether it is met.
    """
    from reusable_savedmodel import interface as rsm
    from reusable_savedmodel.interface import zoo

    with tempfile.TemporaryDirectory(prefix="rsm-bench-") as tmp:
        local = zoo.export(model, Path(tmp) / model)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            tar.add(str(local), arcname=".")
        server = _serve(buffer.getvalue())
        previous = os.environ.get("RSM_CACHE_DIR")
        os.environ["RSM_CACHE_DIR"] = str(Path(tmp) / "cache")
        try:
            url = f"http://127.0.0.1:{server.server_port}/{model}.tar.gz"
            rsm.resolve(url)  # the one download; every timed load is a hit
            stats = interleaved(
                {LOCAL: lambda: rsm.load(local), CACHE_HIT: lambda: rsm.load(url)},
                repeats=repeats, number=1, warmup=2,
            )
        finally:
            server.shutdown()
            server.server_close()
            if previous is None:
                del os.environ["RSM_CACHE_DIR"]
            else:
                os.environ["RSM_CACHE_DIR"] = previous
    ratio = stats[CACHE_HIT].median / stats[LOCAL].median
    return {
        "model": model,
        "repeats": repeats,
        "median_s": {name: s.median for name, s in stats.items()},
        "p10_s": {name: s.p10 for name, s in stats.items()},
        "p90_s": {name: s.p90 for name, s in stats.items()},
        "ratio": ratio,
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio <= TARGET_RATIO,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--model", default="mlp")
    args = parser.parse_args()
    print(json.dumps(run(args.repeats, args.model), indent=2))


if __name__ == "__main__":
    main()
