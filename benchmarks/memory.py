"""Peak memory of loading alone vs loading and wrapping, each in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# Each scenario imports what it needs first, so the figure is what loading (and wrapping) adds.
_SCENARIOS = {
    "tf.saved_model.load": ("import tensorflow as tf", "obj = tf.saved_model.load(PATH)"),
    "rsm.load": (
        "from reusable_savedmodel import interface as rsm",
        "piece = rsm.load(PATH)",
    ),
    "KerasLayer": (
        "from reusable_savedmodel.adapters.keras import KerasLayer",
        "layer = KerasLayer(PATH)",
    ),
    "SonnetModule": (
        "from reusable_savedmodel.adapters.sonnet import SonnetModule",
        "module = SonnetModule(PATH)",
    ),
}

_CHILD = """
import json, resource, sys
{imports}
PATH = sys.argv[1]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
{work}
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"added_mib": (after - before) / 1024}}))
"""


def peak_added_mib(path: Path) -> dict[str, float]:
    """Returns scenario -> MiB of peak RSS the load (and wrap) added, for model `path`."""
    results = {}
    for name, (imports, work) in _SCENARIOS.items():
        code = _CHILD.format(imports=imports, work=work)
        done = subprocess.run(
            [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
        )
        results[name] = json.loads(done.stdout.strip().splitlines()[-1])["added_mib"]
    return results
