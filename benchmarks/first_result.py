"""Time to first output: from a SavedModel path to the first result, per consumer.

Runs in one fresh child process: every consumer first makes a result from a tiny model (so
imports and first-use set-up are behind it), then each goes from the large model's path to
its first output in turn, the reference (tf2jax by hand: load, convert, first `jax.jit`
call) first. Each consumer loads the model itself, as a user would.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

#: What every figure is compared with.
BASELINE = "tf2jax by hand (load, convert, jax.jit)"

_CHILD = """
import json, sys, time
from pathlib import Path
import jax, numpy as np, tensorflow as tf, tf2jax
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.flax import FlaxModule
from reusable_savedmodel.adapters.jax import to_jax
from reusable_savedmodel.adapters.keras import KerasLayer
from reusable_savedmodel.adapters.sonnet import SonnetModule

def tf2jax_by_hand(path, x):
    obj = tf.saved_model.load(path)
    spec = obj.__call__.concrete_functions[0].structured_input_signature[0][0]
    fn, params = tf2jax.convert(tf.function(lambda t: obj(t, training=False)), spec)
    return jax.jit(fn)(params, x)[0]

CONSUMERS = {
    BASELINE: tf2jax_by_hand,
    "Piece": lambda path, x: rsm.load(path)(x),
    "KerasLayer": lambda path, x: KerasLayer(path)(x),
    "SonnetModule": lambda path, x: SonnetModule(path)(x),
    "to_jax": lambda path, x: to_jax(path)(x),
    "FlaxModule": lambda path, x: FlaxModule(path)(x),
}
from benchmarks import models
warm_up, path = sys.argv[1:3]
for consumer in CONSUMERS.values():
    np.asarray(consumer(warm_up, models.inputs(Path(warm_up).name, 1)))
x = models.inputs(Path(path).name, 1)
seconds = {}
for name, consumer in CONSUMERS.items():
    start = time.perf_counter()
    np.asarray(consumer(path, x))  # waits for the result
    seconds[name] = time.perf_counter() - start
print(json.dumps(seconds))
"""


def seconds_to_first_output(path: Path, warm_up: Path) -> dict[str, float]:
    """Seconds from the path to the first output at batch 1, per consumer (one fresh child process).

    Args:
      path: The SavedModel measured, exported under its model's name (`benchmarks.models`
        makes its input).
      warm_up: A tiny SavedModel every consumer runs first, likewise named.

    Returns:
      Consumer -> seconds, `BASELINE` first.

    Raises:
      subprocess.CalledProcessError: if the child fails.
    """
    done = subprocess.run(
        [sys.executable, "-c", f"BASELINE = {BASELINE!r}\n" + _CHILD, str(warm_up), str(path)],
        capture_output=True, text=True, check=True, cwd=Path(__file__).parents[1],
    )
    return json.loads(done.stdout.strip().splitlines()[-1])
