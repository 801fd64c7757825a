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
warm_up, path, warm_shape, shape = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
for consumer in CONSUMERS.values():
    np.asarray(consumer(warm_up, np.zeros(warm_shape, np.float32)))
x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
seconds = {}
for name, consumer in CONSUMERS.items():
    start = time.perf_counter()
    np.asarray(consumer(path, x))  # waits for the result
    seconds[name] = time.perf_counter() - start
print(json.dumps(seconds))
"""


def seconds_to_first_output(path: Path, warm_up: Path, shape: tuple[int, ...], warm_up_shape: tuple[int, ...]) -> dict[str, float]:
    """Seconds from the path to the first output, per consumer (one fresh child process).

    Args:
      path: The SavedModel measured.
      warm_up: A tiny SavedModel every consumer runs first.
      shape: The input shape for `path` (batch included).
      warm_up_shape: The input shape for `warm_up`.

    Returns:
      Consumer -> seconds, `BASELINE` first.

    Raises:
      subprocess.CalledProcessError: if the child fails.
    """
    done = subprocess.run(
        [sys.executable, "-c", f"BASELINE = {BASELINE!r}\n" + _CHILD, str(warm_up), str(path),
         json.dumps(list(warm_up_shape)), json.dumps(list(shape))],
        capture_output=True, text=True, check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])
