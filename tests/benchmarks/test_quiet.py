"""The benchmark commands keep TensorFlow's start-up logs out of their output."""

import os
import sys
from pathlib import Path

from fixtures import bounded
from fixtures.logs import framework_logs

ROOT = Path(__file__).resolve().parents[2]


def test_benchmarks_check_is_quiet():
    """Nothing it imports before `main` may load TensorFlow (its logs would come first)."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = bounded.run(
        [sys.executable, "-m", "benchmarks.check", str(ROOT / "benchmarks" / "results" / "latest.json")],
        capture_output=True, text=True, cpu_s=600, env=env, cwd=ROOT,
    )
    assert "MET" in done.stdout, done.stderr[-3000:]
    assert not framework_logs(done.stdout + done.stderr), done.stderr[-3000:]
