"""A crosscheck child is bounded by the CPU it uses, not by the wall clock."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from reusable_savedmodel.adapters.crosscheck._child import exception_line, run_module
from reusable_savedmodel.adapters.crosscheck._errors import ChildFailedError

_CHILD = """
import sys
from pathlib import Path

from reusable_savedmodel.adapters.crosscheck._child import serve


def answer(request):
    if request["spin"]:
        while True:
            pass
    return {"twice": 2 * request["value"]}


serve(Path(sys.argv[1]), answer)
"""


@pytest.fixture
def child_module(tmp_path):
    (tmp_path / "spinning_child.py").write_text(textwrap.dedent(_CHILD))
    return {"PYTHONPATH": str(tmp_path)}


def test_a_child_within_its_limit_answers(child_module, tmp_path):
    response = run_module("spinning_child", (), {"spin": False, "value": 21}, tmp_path / "ok", env=child_module)
    assert response == {"twice": 42}


def test_a_runaway_child_is_stopped_by_its_cpu_limit(child_module, tmp_path):
    with pytest.raises(ChildFailedError, match=r"spinning_child used more than 10 s of CPU and was stopped"):
        run_module("spinning_child", (), {"spin": True, "value": 0}, tmp_path / "spin", env=child_module, cpu_limit_s=10)


def test_a_failed_child_is_reported_by_its_exception_not_its_log_lines(child_module, tmp_path):
    (tmp_path / "failing_child.py").write_text(
        "import sys\n"
        "print('I0000 00:00 cudart_stub.cc:31] Could not find cuda drivers', file=sys.stderr)\n"
        "raise KeyError('no such variable: dense/kernel')\n"
    )
    with pytest.raises(ChildFailedError, match=r"failing_child failed \(exit status 1\): KeyError: 'no such variable: dense/kernel'$"):
        run_module("failing_child", (), {}, tmp_path / "fail", env=child_module)


def test_the_exception_line_is_found_without_a_traceback_too():
    assert exception_line("W0000 log line\nKilled\n") == "Killed"
    assert exception_line("") == "(no output)"


def test_a_lower_limit_inherited_from_the_parent_is_kept(child_module, tmp_path):
    # The parent itself runs under a CPU limit lower than the child's default (as in CI's
    # bounded test processes): the child keeps the lower one instead of failing to raise it.
    script = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "from reusable_savedmodel.adapters.crosscheck._child import run_module\n"
        "resource.setrlimit(resource.RLIMIT_CPU, (300, 300))\n"
        "print(run_module('spinning_child', (), {'spin': False, 'value': 4}, Path(sys.argv[1]), env={}))\n"
    )
    env = {**os.environ, **child_module}
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "inherit")], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("{'twice': 8}")
