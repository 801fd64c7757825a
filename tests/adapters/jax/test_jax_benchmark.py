"""The benchmark's GPU side runs without TensorFlow and agrees with native Flax."""

import json
import math
import sys
import textwrap
from pathlib import Path

from benchmarks import gpu_artifacts, jax_paths, models, native_flax
from fixtures import bounded
from fixtures.tolerances import assert_close
from reusable_savedmodel.adapters.jax import load_jax_piece

ROOT = Path(__file__).resolve().parents[3]


# Runs the harness's GPU side where any TensorFlow import fails, as on the GPU machine.
_WITHOUT_TF = textwrap.dedent(
    """
    import sys

    class NoTensorFlow:
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in ("tensorflow", "tf_keras", "tensorflow_hub", "tf2jax"):
                raise ImportError(f"no {name} on this machine")

    sys.meta_path.insert(0, NoTensorFlow())
    from benchmarks.run import main

    status = main(sys.argv[1:])
    assert "tensorflow" not in sys.modules
    sys.exit(status)
    """
)


def test_the_gpu_side_runs_without_tensorflow_against_native_flax(tmp_path):
    (artifact,) = gpu_artifacts.prepare(tmp_path / "artifacts", ["tiny_mlp"], platforms=("cpu",))
    piece = load_jax_piece(artifact)
    x = models.inputs("tiny_mlp", 3)
    assert_close(native_flax.from_piece(piece)(x), piece.apply(piece.params, piece.state, x)[0])

    argv = ["--device", "gpu", "--artifacts", str(tmp_path / "artifacts"), "--models", "tiny_mlp",
            "--batches", "2", "--repeats", "2", "--min-repeats", "2", "--budget", "0", "--out", str(tmp_path)]
    done = bounded.run([sys.executable, "-c", _WITHOUT_TF, *argv], cwd=ROOT, capture_output=True, text=True, cpu_s=240)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((tmp_path / "latest-gpu.json").read_text())
    assert (tmp_path / "latest-gpu.md").is_file() and (tmp_path / "latest-gpu.png").is_file()
    rows = {r["path"]: r for r in results["call"]}
    assert list(rows) == list(jax_paths.PATHS)
    for name in ("native Flax jax.jit", "to_jax + jax.jit", "native Flax nnx.jit"):
        assert rows[name]["baseline"] == "native Flax jax.jit"
        assert math.isfinite(rows[name]["ratio"]) and rows[name]["ratio"] > 0
    # FlaxModule's package imports TensorFlow for from_flax; the harness reports that as the
    # path's error rather than failing.
    flax_row = rows["FlaxModule nnx.jit"]
    assert flax_row["ratio"] > 0 if flax_row["error"] is None else "tensorflow" in flax_row["error"]
