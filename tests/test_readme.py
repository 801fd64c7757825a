"""Every Python snippet in README.md runs as written, so the README cannot drift from the code.

Snippets run in order in one namespace, as a reader would paste them into one session
(later snippets may use names earlier ones defined), in a subprocess whose temporary
directory and caches are the test's own. A snippet whose first line is
`# KERAS_BACKEND=jax` runs alone in its own interpreter with that backend (Keras fixes
the backend at import).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
_FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
_OWN_BACKEND = re.compile(r"\A# KERAS_BACKEND=(\w+)\n")

_RUNNER = """
import json, sys, traceback
ns = {"__name__": "__readme__"}
for number, code in json.load(open(sys.argv[1])):
    try:
        exec(compile(code, f"<README.md python snippet {number}>", "exec"), ns)
    except BaseException:
        traceback.print_exc()
        sys.exit(f"README.md python snippet {number} failed:\\n{code}")
"""


def _snippets() -> list[tuple[int, str]]:
    return list(enumerate(_FENCE.findall(README.read_text()), start=1))


def _groups() -> dict[str, list[tuple[int, str]]]:
    """The shared-session snippets under "tensorflow", each own-backend snippet alone."""
    groups: dict[str, list[tuple[int, str]]] = {"tensorflow": []}
    for number, code in _snippets():
        backend = _OWN_BACKEND.match(code)
        if backend:
            groups[f"{backend.group(1)} (snippet {number})"] = [(number, code)]
        else:
            groups["tensorflow"].append((number, code))
    return groups


def test_the_readme_shows_code():
    assert len(_snippets()) >= 6


@pytest.mark.parametrize("group", sorted(_groups()))
def test_readme_snippets_run(group, tmp_path):
    snippets = _groups()[group]
    backend = group.split()[0]
    listing = tmp_path / "snippets.json"
    listing.write_text(json.dumps(snippets))
    work = tmp_path / "work"
    work.mkdir()
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "TMPDIR": str(work),
        "RSM_CACHE_DIR": str(tmp_path / "cache"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(listing)],
        cwd=work, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-4000:]


def test_the_check_rules_table_lists_every_rule_with_its_severity():
    from reusable_savedmodel.interface import RULES

    text = README.read_text()
    rows = dict(re.findall(r"^\| (RSM\d+) \| .*? \| (\w+) \|$", text, re.M))
    assert rows == {code: rule.severity.value for code, rule in RULES.items()}
