"""Peak memory of loading alone vs loading and wrapping, each in a fresh process.

Each child first loads (and wraps) a tiny model, so lazy imports and first-use set-up are
behind it, then resets the kernel's peak-RSS mark (Linux `/proc/self/clear_refs`: an
earlier transient peak, e.g. while importing, would otherwise hide the load); the figure
is the peak RSS over the RSS before the large model's load (and wrap).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

#: The scenario every other is compared with.
BASELINE = "tf.saved_model.load"
#: Conversion for JAX only: the TensorFlow object is let go once everything is converted.
DETACHED = "to_jax(keep_tf=False)"

#: Scenario -> (import statement, the callable that takes the path).
SCENARIOS = {
    BASELINE: ("import tensorflow as tf", "lambda p: tf.saved_model.load(p)"),
    "rsm.load": ("from reusable_savedmodel import interface as rsm", "rsm.load"),
    "KerasLayer": ("from reusable_savedmodel.adapters.keras import KerasLayer", "KerasLayer"),
    "SonnetModule": ("from reusable_savedmodel.adapters.sonnet import SonnetModule", "SonnetModule"),
    "to_jax": ("from reusable_savedmodel.adapters.jax import to_jax", "to_jax"),
    DETACHED: ("from reusable_savedmodel.adapters.jax import to_jax", "lambda p: to_jax(p, keep_tf=False)"),
    "FlaxModule": ("from reusable_savedmodel.adapters.flax import FlaxModule", "FlaxModule"),
}

_CHILD = """
import gc, json, sys
{imports}

def mib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith(field + ":"))

make = {make}
warm_up, path = sys.argv[1:3]
kept = [make(warm_up)]
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")  # the peak (VmHWM) restarts from the current RSS
before = mib("VmRSS")
kept.append(make(path))
peak = mib("VmHWM") - before
gc.collect()
print(json.dumps({{"peak": peak, "steady": mib("VmRSS") - before}}))
"""


def _added_mib(scenario: str, path: Path, warm_up: Path) -> dict[str, float]:
    imports, make = SCENARIOS[scenario]
    done = subprocess.run(
        [sys.executable, "-c", _CHILD.format(imports=imports, make=make), str(warm_up), str(path)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def weights_mib(path: Path) -> float:
    """The size of a SavedModel's variables, from its checkpoint index (nothing is loaded).

    Args:
      path: The SavedModel directory.

    Returns:
      MiB.
    """
    import tensorflow as tf

    reader = tf.train.load_checkpoint(str(path / "variables" / "variables"))
    shapes, dtypes = reader.get_variable_to_shape_map(), reader.get_variable_to_dtype_map()
    sizes = [dtypes[name].size * int(tf.TensorShape(shape).num_elements() or 0) for name, shape in shapes.items() if dtypes[name] != tf.string]
    return sum(sizes) / 2**20


def added_mib(path: Path, warm_up: Path, progress: Callable[[float], None] | None = None) -> dict[str, dict[str, float]]:
    """RSS each scenario adds for model `path`, two child processes at a time.

    Args:
      path: The SavedModel measured.
      warm_up: A tiny SavedModel each child loads first.
      progress: Called with the share of the work each finished scenario was.

    Returns:
      Scenario -> {"peak": MiB at the peak, "steady": MiB held after a garbage collection}.

    Raises:
      subprocess.CalledProcessError: if a child fails.
    """

    def run(scenario: str) -> dict[str, float]:
        mib = _added_mib(scenario, path, warm_up)
        if progress:
            progress(1 / len(SCENARIOS))
        return mib

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(SCENARIOS, pool.map(run, SCENARIOS)))
