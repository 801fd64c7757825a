"""Call overhead of `KerasLayer` against the raw loaded object, TFSMLayer and hub.KerasLayer.

Run as `python -m benchmarks.keras_overhead [--repeats N]`; a common harness imports `run`.
Every path is timed in the same process, interleaved block by block (`benchmarks.timing`),
so that drift (thermal, other processes) affects them alike:

- `eager/*`: one eager call of the raw loaded object, `KerasLayer`, Keras 3's `TFSMLayer`
  (calling the object's `__call__`) and tensorflow_hub's `KerasLayer` on tf_keras;
- `function/*`: the same calls inside a `tf.function` (traced once, before timing);
- `predict/*`: `model.predict_on_batch` of a one-layer Keras 3 (or tf_keras) model, the
  per-batch step of `predict` without its dataset set-up.

Ratios divide each path's median by the raw object's median in the same mode (`predict`
paths by the eager raw call).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from benchmarks import timing
from reusable_savedmodel.adapters.keras import KerasLayer
from reusable_savedmodel.interface import zoo

#: The modes timed, and the raw path each one's ratios are taken against.
BASELINES = {"eager": "eager/raw", "function": "function/raw", "predict": "eager/raw"}


def _paths(handle: str, x: tf.Tensor) -> dict[str, Callable[[], Any]]:
    """Every timed path, name -> a zero-argument call; tf_keras ones only if installed."""
    raw = tf.saved_model.load(handle)
    layer = KerasLayer(handle)
    tfsm = keras.layers.TFSMLayer(handle, call_endpoint="__call__")
    model = keras.Sequential([keras.Input(x.shape[1:]), KerasLayer(handle)])
    callables = {"raw": raw, "keras_layer": layer, "tfsm_layer": tfsm}
    predictors = {"keras_layer": model}
    try:
        import tensorflow_hub as hub
        import tf_keras
    except ImportError:  # tf_keras and tensorflow_hub are optional (dev extra)
        pass
    else:
        callables["hub_keras_layer"] = hub.KerasLayer(handle)
        predictors["hub_keras_layer"] = tf_keras.Sequential(
            [tf_keras.layers.InputLayer(input_shape=x.shape[1:]), hub.KerasLayer(handle)]
        )
    paths: dict[str, Callable[[], Any]] = {}
    for name, fn in callables.items():
        paths[f"eager/{name}"] = lambda fn=fn: fn(x)
        traced = tf.function(lambda inputs, fn=fn: fn(inputs))
        paths[f"function/{name}"] = lambda traced=traced: traced(x)
    for name, model in predictors.items():
        paths[f"predict/{name}"] = lambda model=model: model.predict_on_batch(x)
    return paths


def run(repeats: int = 100, number: int = 20, model: str = zoo.DEFAULT, batch: int = 8) -> dict[str, Any]:
    """Times every path on the zoo model `model`, interleaved in one process.

    Args:
      repeats: Timed blocks per path (the statistics are over these).
      number: Calls per block.
      model: The zoo model to export and call.
      batch: The batch size of the input.

    Returns:
      `{"model", "batch", "repeats", "number", "paths": {name: {"median_us", "p10_us",
      "p90_us", "ratio"}}}`, with `ratio` the path's median over its mode's raw median
      (see `BASELINES`), and `"targets"`: whether `eager/keras_layer` is within 1.10x and
      `function/keras_layer` within 1.02x of the raw call.
    """
    with tempfile.TemporaryDirectory(prefix="rsm-bench-keras-") as tmp:
        handle = str(zoo.export(model, Path(tmp) / model))
        x = tf.constant(zoo.example_inputs(model, batch=batch))
        stats = timing.interleaved(_paths(handle, x), repeats=repeats, number=number)
    results = {}
    for name, stat in stats.items():
        baseline = stats[BASELINES[name.split("/")[0]]]
        results[name] = {
            "median_us": stat.median * 1e6,
            "p10_us": stat.p10 * 1e6,
            "p90_us": stat.p90 * 1e6,
            "ratio": stat.median / baseline.median,
        }
    return {
        "model": model,
        "batch": batch,
        "repeats": repeats,
        "number": number,
        "paths": results,
        "targets": {
            "eager_within_1.10": results["eager/keras_layer"]["ratio"] <= 1.10,
            "function_within_1.02": results["function/keras_layer"]["ratio"] <= 1.02,
        },
    }


def main() -> None:
    """Prints `run`'s result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=100, help="timed blocks per path")
    parser.add_argument("--number", type=int, default=20, help="calls per block")
    parser.add_argument("--model", default=zoo.DEFAULT, help="zoo model name")
    args = parser.parse_args()
    print(json.dumps(run(repeats=args.repeats, number=args.number, model=args.model), indent=2))


if __name__ == "__main__":
    main()
