"""`rsm demo` on the bundled model and on users' own models (dict input, unknown rank, not
conforming), and the CLI's quiet, TensorFlow-free start."""

from __future__ import annotations

import os
import re
import sys

import numpy as np
import pytest
import tensorflow as tf

from fixtures import bounded
from fixtures.logs import framework_logs
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters import demo

# Child interpreters or large models: left out of the quick loop (pytest -m "not slow").
pytestmark = pytest.mark.slow


def _run(handle: str | None) -> tuple[int, str]:
    lines: list[str] = []
    status = demo.run(handle, lines.append, crosscheck=False)
    # The demo's own lines fit (a line naming a temporary path is as long as the path; the
    # check report is `rsm check`'s table, printed as it is).
    own = [text for text in lines if not text.lstrip().startswith("check ")]
    wide = [line for text in own for line in text.splitlines() if len(line) > demo.WIDTH]
    assert all("/" in line for line in wide), wide
    return status, "\n".join(lines).replace("\n    ", " ")  # wrapped prose, unwrapped


class UnknownRank(rsm.ReusableModule):
    """Doubles a float tensor of any rank and adds a learned scalar."""

    def __init__(self):
        super().__init__(tf.TensorSpec(None, tf.float32))
        self.bias = tf.Variable(0.5)

    def call(self, inputs, training=False):
        return 2.0 * inputs + self.bias


class InferenceOnly(tf.Module):
    """`__call__` traced for training=False only: fails check's rule RSM110."""

    def __init__(self):
        super().__init__()
        self.w = tf.Variable(3.0)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32), tf.TensorSpec([], tf.bool)])
    def _traced(self, x, training):
        return x * self.w

    @tf.function
    def __call__(self, inputs, training=False):
        return inputs * self.w


def _inference_only(path) -> str:
    model = InferenceOnly()
    model.__call__.get_concrete_function(tf.TensorSpec([None], tf.float32), training=False)
    tf.saved_model.save(model, str(path))
    return str(path)


def test_the_bundled_model_goes_through_every_framework_and_trains():
    status, text = _run(None)
    assert status == 0, text
    assert "bundled example 'mlp'" in text and "PASS" in text
    assert "max |layer(x) - raw(x)| = 0.00e+00" in text
    assert "changed 8 of 9 weights" in text  # 6 trainable + 2 moving statistics
    assert "max |module(x) - raw(x)| = 0.00e+00" in text
    assert "state updated in training: encoder/batch_norm/moving_mean" in text
    assert "FlaxModule: 6 nnx.Param, 3 nnx.BatchStat" in text


def test_a_dict_input_model_gets_inputs_from_its_own_spec(zoo_path):
    handle = zoo_path("dict_input")
    status, text = _run(handle)
    assert status == 0, text
    assert f"inspect, check and call {handle}" in text
    assert "'a': 'float32[2, 2]'" in text and "'b': 'float32[2, 3]'" in text
    for consumer in ("layer(x)", "module(x)", "jit(apply)(x)", "nnx.jit(module)(x)"):
        gap = float(text.split(f"max |{consumer} - ")[1].split("= ")[1].split()[0])
        assert gap < 1e-5, (consumer, text)


def test_a_model_of_unknown_input_rank_runs(tmp_path):
    handle = str(tmp_path / "unknown_rank")
    rsm.save(UnknownRank(), handle)
    status, text = _run(handle)
    assert status == 0, text
    assert "float32[2] -> float32[2]" in text
    raw = tf.saved_model.load(handle)
    np.testing.assert_array_equal(raw(tf.constant([1.0, 2.0])), [2.5, 4.5])


def test_a_model_failing_check_stops_with_status_1(tmp_path):
    handle = _inference_only(tmp_path / "inference_only")
    status, text = _run(handle)
    assert status == 1
    assert "RSM110" in text and "does not conform" in text
    assert "== Keras 3" not in text


def test_the_cli_demo_is_quiet_and_says_why_it_stops(tmp_path):
    handle = _inference_only(tmp_path / "inference_only")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = bounded.run(
        [sys.executable, "-m", "reusable_savedmodel.adapters.cli", "demo", handle],
        capture_output=True, text=True, cpu_s=600, env=env,
    )
    assert done.returncode == 1, done.stderr[-3000:]
    assert "does not conform" in " ".join(done.stdout.split())
    output = done.stdout + done.stderr
    assert not framework_logs(output), output[-3000:]


def test_help_and_usage_errors_import_no_tensorflow():
    probe = (
        "import sys\n"
        "from reusable_savedmodel.adapters import cli\n"
        "for argv in (['--help'], ['check', '--help'], ['check', '--task', 'nosuchtask', 'x'],"
        " ['nosuchcommand']):\n"
        "    try:\n"
        "        cli.main(argv)\n"
        "    except SystemExit as exit:\n"
        "        print(argv[0], exit.code)\n"
        "print('tensorflow' in sys.modules)\n"
    )
    done = bounded.run([sys.executable, "-c", probe], capture_output=True, text=True, cpu_s=240)
    assert done.stdout.split("\n")[-2] == "False", done.stdout + done.stderr
    assert ["--help 0", "check 0", "check 2", "nosuchcommand 2"] == [
        line for line in done.stdout.splitlines() if line.endswith((" 0", " 2"))
    ]
    assert "image_feature_vector" in done.stdout  # --help of check lists the tasks
    assert "invalid choice: 'nosuchtask'" in done.stderr


def _keras3_model():
    import keras

    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])


def test_keras3_saved_models_run_through_their_signature(tmp_path):
    """`model.export()` and `tf.saved_model.save` of a Keras 3 model: no `__call__`."""
    exported, saved = str(tmp_path / "export"), str(tmp_path / "saved")
    _keras3_model().export(exported, verbose=False)
    tf.saved_model.save(_keras3_model(), saved)
    for handle in (exported, saved):
        status, text = _run(handle)
        assert status == 0, text
        assert "runs its signature 'serving_default' (inference only)" in text
        for consumer in ("layer(x)", "module(x)", "jit(apply)(x)", "nnx.jit(module)(x)"):
            gap = float(text.split(f"max |{consumer} - ")[1].split("= ")[1].split()[0])
            assert gap < 1e-5, (consumer, text)


def test_the_demo_is_deterministic():
    """Seeded: two runs print the same losses, and parameters in one (sorted) order."""
    first, second = (_run(None)[1] for _ in range(2))
    # Temporary paths and in-process layer names (keras_layer_2, ...) differ by run.
    strip = lambda text: re.sub(r"/tmp/rsm-demo-\w+|(?<=name=')\w+?(_\d+)?'", "", text)  # noqa: E731
    assert strip(first) == strip(second)
    params = first.split("params: ")[1].split("\n")[0].split(", ")
    assert params == sorted(params) and len(params) == 6
