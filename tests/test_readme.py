"""Every Python snippet in README.md and the documentation site (docs/) runs as written, alone,
so the documentation cannot drift from the code.

Each snippet runs by itself, as a reader pastes one into a fresh interpreter: in its own
process, with its own namespace, working directory, temporary directory and caches, so a
snippet that uses a name only an earlier snippet defined fails here. The processes are forked
from a server that has only run `import tensorflow` (the same seconds of CPU in every
snippet); a snippet still imports everything it uses itself. A snippet whose first line is
`# KERAS_BACKEND=jax` runs under a server started with that backend (importing TensorFlow
imports Keras, which fixes its backend then).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
#: The pages whose snippets run: the README and every page of the documentation site.
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
_FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
_OWN_BACKEND = re.compile(r"\A# KERAS_BACKEND=(\w+)\n")

# Reads one job (JSON) a line, forks a child that runs it, answers its exit status.
_SERVER = """
import json, os, sys, tempfile, traceback
import tensorflow  # noqa: F401

for line in sys.stdin:
    job = json.loads(line)
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        log = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.chdir(job["cwd"])
        os.environ.update(job["env"])
        tempfile.tempdir = None  # read $TMPDIR again
        status = 0
        try:
            exec(compile(job["code"], job["name"], "exec"), {"__name__": "__main__"})
        except BaseException:
            traceback.print_exc()
            status = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    _, wait_status = os.waitpid(pid, 0)
    print(os.waitstatus_to_exitcode(wait_status), flush=True)
"""


class _Server:
    """A `_SERVER` process for one Keras backend."""

    def __init__(self, backend: str, log: Path):
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
        self._log = log.open("w")
        self._process = subprocess.Popen(
            [sys.executable, "-c", _SERVER],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True, env=env,
        )

    def run(self, code: str, name: str, cwd: Path, env: dict[str, str], log: Path) -> int:
        """Runs `code` in a forked child; returns its exit status (output in `log`)."""
        job = {"code": code, "name": name, "cwd": str(cwd), "env": env, "log": str(log)}
        self._process.stdin.write(json.dumps(job) + "\n")
        self._process.stdin.flush()
        answer = self._process.stdout.readline()
        assert answer, f"the snippet server died: see {self._log.name}"
        return int(answer)

    def stop(self) -> None:
        self._process.stdin.close()
        self._process.wait()
        self._log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Callable[[str], _Server]]:
    """`server(backend)`: the snippet server for a Keras backend, started on first use."""
    started: dict[str, _Server] = {}
    logs = tmp_path_factory.mktemp("snippet-servers")

    def get(backend: str) -> _Server:
        if backend not in started:
            started[backend] = _Server(backend, logs / f"{backend}.log")
        return started[backend]

    yield get
    for each in started.values():
        each.stop()


def _snippets() -> list[tuple[str, str]]:
    """`(where, code)` for every Python snippet: `where` is e.g. `docs/keras.md snippet 2`."""
    found = []
    for page in PAGES:
        name = page.relative_to(ROOT).as_posix()
        found.extend((f"{name} snippet {n}", code) for n, code in enumerate(_FENCE.findall(page.read_text()), start=1))
    return found


def _cases() -> list:
    return [pytest.param(where, code, id=where.replace(" ", "-")) for where, code in _snippets()]


def test_the_readme_and_every_guide_show_code():
    pages = {where.split(" ")[0] for where, _ in _snippets()}
    assert {"README.md", "docs/getting-started.md", "docs/keras.md", "docs/jax-flax.md", "docs/sonnet.md"} <= pages


@pytest.mark.parametrize(("where", "code"), _cases())
def test_snippet_runs_alone(where, code, server, tmp_path):
    backend = _OWN_BACKEND.match(code)
    work = tmp_path / "work"
    work.mkdir()
    env = {"TMPDIR": str(work), "RSM_CACHE_DIR": str(tmp_path / "cache")}
    log = tmp_path / "output.txt"
    status = server(backend.group(1) if backend else "tensorflow").run(
        code, f"<{where}>", work, env, log
    )
    assert status == 0, f"{where} failed alone:\n{code}\n{log.read_text()[-4000:]}"


def test_the_check_rules_table_lists_every_rule_with_its_severity():
    from reusable_savedmodel.interface import RULES

    text = (ROOT / "docs" / "compatibility.md").read_text()
    rows = dict(re.findall(r"^\| (RSM\d+) \| .*? \| (\w+) \|$", text, re.M))
    assert rows == {code: rule.severity.value for code, rule in RULES.items()}
