"""The download cache under concurrency, crashes and cleaners; `rsm fetch` and `rsm cache`."""

import json
import logging
import multiprocessing
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from fixtures.remote_server import Step, leftovers, ok
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters import cli
from reusable_savedmodel.interface.handles import _cache as cache_lib

# Child interpreters or large models: left out of the quick loop (pytest -m "not slow").
pytestmark = pytest.mark.slow


def _child_load(url: str, cache: str, go, results) -> None:
    """In a child process: wait for the go signal, load, report value, path and waiting."""
    import logging

    os.environ["RSM_CACHE_DIR"] = cache  # the fork server's environment is from an earlier test
    messages = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())
    logging.getLogger("reusable_savedmodel").addHandler(handler)
    go.wait(60)
    piece = rsm.load(url)
    results.put((float(piece([1.0]).numpy()[0]), str(rsm.resolve(url)), messages))


@pytest.fixture(scope="module")
def processes():
    """Children forked from a server process that has imported TensorFlow once already."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tensorflow", "reusable_savedmodel.interface", "test_cache"])
    return context


def _wait_for(condition, child, what: str) -> None:
    # No deadline: a busy machine only makes this slower (pytest-timeout bounds the test).
    while not condition():
        assert child.is_alive(), f"the child process ended before {what}"
        time.sleep(0.02)


def test_eight_processes_download_once_and_all_load(server, cache, mul_tgz, processes):
    url = server.route("/mul.tar.gz", ok(mul_tgz, seconds=1.0))
    go, results = processes.Event(), processes.Queue()
    children = [processes.Process(target=_child_load, args=(url, str(cache), go, results)) for _ in range(8)]
    for child in children:
        child.start()
    go.set()
    for child in children:  # no deadline: eight processes on a busy machine take what they take
        child.join()
        assert child.exitcode == 0
    outcomes = [results.get() for _ in children]  # each child put its outcome before exiting
    assert {(value, path) for value, path, _ in outcomes} == {(2.0, str(rsm.resolve(url)))}
    assert server.hits["/mul.tar.gz"] == 1
    waited = [m for _, _, messages in outcomes for m in messages if "is downloading it; waiting up to" in m]
    assert waited and all(m.startswith(f"{url}: another process (pid ") for m in waited)
    assert leftovers(cache) == []


def test_threads_download_once(server, cache, mul_tgz):
    url = server.route("/mul.tar.gz", ok(mul_tgz, seconds=0.5))
    paths = []
    threads = [threading.Thread(target=lambda: paths.append(rsm.resolve(url))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(paths) == 4 and len(set(paths)) == 1
    assert server.hits["/mul.tar.gz"] == 1 and leftovers(cache) == []


def test_process_killed_mid_download_recovers_at_once(server, cache, mul_tgz, processes, caplog):
    url = server.route(
        "/mul.tar.gz", Step(body=mul_tgz, send=len(mul_tgz) // 2, then="hang"), ok(mul_tgz)
    )
    go, results = processes.Event(), processes.Queue()  # both referenced until the child runs
    go.set()
    child = processes.Process(target=_child_load, args=(url, str(cache), go, results))
    child.start()
    _wait_for(lambda: list(cache.glob("*.rsm-tmp.*/*.part")), child, "a download under way")
    child.kill()
    child.join()
    assert leftovers(cache) != []  # the dead process's partial download is still there
    with caplog.at_level(logging.INFO, logger="reusable_savedmodel"):
        np.testing.assert_allclose(rsm.load(url)([1.0]).numpy(), [2.0])
    assert not [r for r in caplog.records if "waiting up to" in r.getMessage()]  # no stale lock
    assert server.hits["/mul.tar.gz"] == 2 and leftovers(cache) == []


@pytest.mark.parametrize("damage", ["emptied", "manifest-deleted", "file-truncated"])
def test_damaged_entry_is_downloaded_again(server, cache, mul_tgz, damage):
    url = server.route("/mul.tar.gz", ok(mul_tgz))
    path = rsm.resolve(url)
    if damage == "emptied":  # what OS temp cleaners do: files go, directories stay
        for f in path.rglob("*"):
            if f.is_file():
                f.unlink()
    elif damage == "manifest-deleted":
        Path(f"{path}.rsm.json").unlink()
    else:
        next(path.glob("variables/variables.data-*")).write_bytes(b"")
    [entry] = cache_lib.Cache(cache).entries()
    assert entry.problem is not None
    np.testing.assert_allclose(rsm.load(url)([1.0]).numpy(), [2.0])
    assert server.hits["/mul.tar.gz"] == 2
    [entry] = cache_lib.Cache(cache).entries()
    assert entry.problem is None and leftovers(cache) == []


def test_cli_fetch_list_and_clear(server, cache, mul_tgz, capsys):
    url = server.route("/mul.tar.gz", ok(mul_tgz))
    assert cli.main(["fetch", url]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert (path / "saved_model.pb").is_file() and path.parent == cache
    assert cli.main(["cache", "list"]) == 0
    out = capsys.readouterr().out
    assert f"cache {cache}: 1 entry" in out and url in out and "ok" in out
    assert cli.main(["cache", "list", "--json"]) == 0
    [entry] = json.loads(capsys.readouterr().out)["entries"]
    assert entry["valid"] and entry["manifest"]["handle"] == url
    assert cli.main(["cache", "clear", url]) == 0
    assert "removed 1 entry" in capsys.readouterr().out
    assert cache_lib.Cache(cache).entries() == [] and leftovers(cache) == []


def test_cli_fetch_error_is_reported(server, cache, capsys):
    assert cli.main(["fetch", server.url("/absent.tgz")]) == 2
    assert "got HTTP 404 Not Found" in capsys.readouterr().err
