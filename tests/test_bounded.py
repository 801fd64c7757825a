"""tests/fixtures/bounded.py: children limited by CPU time, with a clear note when stopped."""

from __future__ import annotations

import signal
import sys

from fixtures import bounded


def test_the_child_runs_under_its_cpu_limit():
    probe = "import resource; print(*resource.getrlimit(resource.RLIMIT_CPU))"
    done = bounded.run([sys.executable, "-c", probe], cpu_s=5, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["5", "15"]


def test_a_runaway_child_is_stopped_by_its_cpu_limit_and_says_so():
    done = bounded.run([sys.executable, "-c", "while True: pass"], cpu_s=1, capture_output=True, text=True)
    assert done.returncode == -signal.SIGXCPU
    assert done.stderr.endswith("[stopped: the child used more than its 1 s of CPU]")
