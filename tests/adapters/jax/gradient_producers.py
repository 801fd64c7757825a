"""Builds SavedModels with their producers' own code, each in a separate process.

A model reaches a user from another program: building it in a subprocess keeps the
producer's in-process state (registered gradients, traced functions) out of the consumer.
"""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

from fixtures import bounded

_QUIET = {"TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}


def produce(directory: Path, name: str, script: str, *, cpu_s: int = 1200) -> str:
    """Runs `script` (which writes a SavedModel to `sys.argv[1]`) in a new interpreter.

    Returns:
      The SavedModel's path, `directory / name`.
    """
    path = directory / name
    result = bounded.run(
        [sys.executable, "-c", textwrap.dedent(script), str(path)],
        capture_output=True,
        text=True,
        cpu_s=cpu_s,
        env={**os.environ, **_QUIET},
    )
    if result.returncode != 0:
        raise RuntimeError(f"producer {name!r} failed:\n{result.stderr[-4000:]}")
    return str(path)


def produce_all(directory: Path, scripts: dict[str, str], *, cpu_s: int = 1800) -> dict[str, str]:
    """Runs several producer scripts in one new interpreter (one TensorFlow start-up).

    Each script sees its own output path as `sys.argv[1]`, as with `produce`.

    Returns:
      Name -> the SavedModel's path.
    """
    driver = "\n".join(
        [
            "import sys",
            *(
                f"sys.argv[1:] = [{str(directory / name)!r}]\n"
                f"exec(compile({textwrap.dedent(script)!r}, {name!r}, 'exec'), {{'__name__': '__main__'}})"
                for name, script in scripts.items()
            ),
        ]
    )
    produce(directory, "", driver, cpu_s=cpu_s)
    return {name: str(directory / name) for name in scripts}


#: A custom gradient that differs from autodiff on purpose (7x instead of 3x^2), and swish.
CUSTOM_GRADIENT = """
import sys
import tensorflow as tf
from reusable_savedmodel import interface as rsm

@tf.custom_gradient
def cubed(x):
    def grad(dy):
        return dy * 7.0 * x
    return x * x * x, grad

class Model(rsm.ReusableModule):
    def __init__(self):
        super().__init__(tf.TensorSpec([None, 2], tf.float32))
        self.w = tf.Variable([[1.0, 2.0], [0.5, -1.0]], name="w")

    def call(self, x, training=False):
        return cubed(tf.matmul(x, self.w)) + tf.nn.silu(x)  # x feeds both (tf2jax alone fails)

model = Model()
model.finalize_reusable()
tf.saved_model.save(model, sys.argv[1], options=tf.saved_model.SaveOptions(experimental_custom_gradients=True))
"""

#: tf_keras: swish, batch norm, one function per layer (nested calls).
TF_KERAS_SWISH = """
import os, sys
os.environ["TF_USE_LEGACY_KERAS"] = "1"
import tensorflow as tf
import tf_keras
tf_keras.utils.set_random_seed(0)
model = tf_keras.Sequential([
    tf_keras.layers.InputLayer((3,)),
    tf_keras.layers.Dense(4, activation="swish"),
    tf_keras.layers.BatchNormalization(),
    tf_keras.layers.Dense(2),
])
tf.saved_model.save(model, sys.argv[1])
"""

#: Keras 3 with activation="swish", exported with from_keras.
KERAS3_SWISH = """
import sys
import keras
import tensorflow as tf
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.keras import from_keras
keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="swish"), keras.layers.Dense(2)])
rsm.save(from_keras(model, input_signature=tf.TensorSpec([None, 3], tf.float32)), sys.argv[1])
"""


def tf_keras_application(name: str, size: int, extra: str = "") -> str:
    """A tf_keras application (no weights, small input) saved with `tf.saved_model.save`.

    `extra` adds constructor arguments, e.g. `"alpha=0.35, "`.
    """
    return f"""
import os, sys
os.environ["TF_USE_LEGACY_KERAS"] = "1"
import tensorflow as tf
import tf_keras
tf_keras.utils.set_random_seed(0)
model = tf_keras.applications.{name}({extra}input_shape=({size}, {size}, 3), weights=None, classes=5)
tf.saved_model.save(model, sys.argv[1])
"""

#: Two BERT-preprocessor-like models (string ops and a lookup table in `tokenize`), written
#: to `sys.argv[1]/convertible_pack` (`bert_pack_inputs` is integer-only) and
#: `sys.argv[1]/string_pack` (it formats strings too).
TEXT_PREPROCESSORS = """
import os, sys
import tensorflow as tf
from reusable_savedmodel import interface as rsm

class Tokenize(rsm.ReusableModule):
    def __init__(self):
        super().__init__(tf.TensorSpec([None], tf.string))
        words = tf.constant(["the", "cat", "sat"])
        self.table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(words, tf.range(3, dtype=tf.int64) + 3), default_value=1)

    def call(self, inputs, training=False):
        words = tf.strings.split(tf.strings.lower(inputs)).to_tensor(default_value="", shape=[None, 4])
        return self.table.lookup(words)

class Pack(rsm.ReusableModule):
    def __init__(self, strings):
        super().__init__(tf.TensorSpec([None, 4], tf.int64))
        self.strings = strings

    def call(self, ids, training=False):
        if self.strings:
            ids = tf.strings.to_number(tf.strings.as_string(ids), out_type=tf.int64)
        batch = tf.shape(ids)[0:1]
        cls = tf.fill(tf.concat([batch, [1]], 0), tf.constant(101, tf.int64))
        sep = tf.fill(tf.concat([batch, [1]], 0), tf.constant(102, tf.int64))
        return tf.concat([cls, ids, sep], axis=1)

class Preprocessor(rsm.ReusableModule):
    def __init__(self, strings):
        super().__init__(tf.TensorSpec([None], tf.string))
        self.tokenize = Tokenize()
        self.bert_pack_inputs = Pack(strings)

    def call(self, inputs, training=False):
        return self.bert_pack_inputs.call(self.tokenize.call(inputs))

for name, strings in (("convertible_pack", False), ("string_pack", True)):
    model = Preprocessor(strings)
    model.finalize_reusable()
    tf.saved_model.save(model, os.path.join(sys.argv[1], name))
"""

#: jax2tf without gradients, saved the way jax2tf's examples/saved_model_lib.py does.
JAX2TF_NO_GRADIENT = """
import sys
import numpy as np
import tensorflow as tf
import jax.numpy as jnp
from jax.experimental import jax2tf

def apply(params, x):
    return jnp.tanh(x @ params["w"])

params = {"w": np.arange(6, dtype=np.float32).reshape(3, 2) / 10}
converted = jax2tf.convert(apply, with_gradient=False, polymorphic_shapes=[None, "(b, 3)"])
root = tf.Module()
root._variables = tf.nest.map_structure(lambda p: tf.Variable(p), params)
spec = tf.TensorSpec([None, 3], tf.float32)
root.f = tf.function(lambda x: converted(root._variables, x), autograph=False, input_signature=[spec])
tf.saved_model.save(root, sys.argv[1], options=tf.saved_model.SaveOptions(experimental_custom_gradients=True))
"""

#: A Flax NNX convnet (conv + dense on 8x8x3) exported through jax2tf with a symbolic
#: batch, saved the way jax2tf's docs save a model (custom gradients kept).
NNX_JAX2TF_POLYMORPHIC = """
import sys
import jax
import numpy as np
import tensorflow as tf
from flax import nnx
from jax.experimental import jax2tf

class Net(nnx.Module):
    def __init__(self, rngs):
        self.conv = nnx.Conv(3, 4, kernel_size=(3, 3), rngs=rngs)
        self.dense = nnx.Linear(8 * 8 * 4, 5, rngs=rngs)

    def __call__(self, x):
        y = nnx.relu(self.conv(x))
        return self.dense(y.reshape((y.shape[0], -1)))

graphdef, state = nnx.split(Net(nnx.Rngs(0)))
leaves, treedef = jax.tree_util.tree_flatten(state)

def apply(params, x):
    return nnx.merge(graphdef, jax.tree_util.tree_unflatten(treedef, params))(x)

converted = jax2tf.convert(apply, with_gradient=True, polymorphic_shapes=[None, "(b, 8, 8, 3)"])
root = tf.train.Checkpoint()
root.params = [tf.Variable(np.asarray(leaf)) for leaf in leaves]
root.variables = list(root.params)
root.trainable_variables = list(root.params)
spec = tf.TensorSpec([None, 8, 8, 3], tf.float32)
root.__call__ = tf.function(lambda x: converted(root.params, x), autograph=False, input_signature=[spec])
tf.saved_model.save(root, sys.argv[1], options=tf.saved_model.SaveOptions(experimental_custom_gradients=True))
"""

#: A Flax linen convnet (conv, batch norm in inference, dense on 8x8x3) exported through
#: jax2tf with a symbolic batch; `params` train, `batch_stats` do not.
LINEN_JAX2TF_POLYMORPHIC = """
import sys
import jax
import numpy as np
import tensorflow as tf
import flax.linen as nn
from jax.experimental import jax2tf

class Net(nn.Module):
    @nn.compact
    def __call__(self, x):
        y = nn.relu(nn.BatchNorm(use_running_average=True)(nn.Conv(4, (3, 3))(x)))
        return nn.Dense(5)(y.reshape((y.shape[0], -1)))

variables = Net().init(jax.random.PRNGKey(0), np.zeros((1, 8, 8, 3), np.float32))
# Statistics a trained model would have (init leaves them at 0 and 1).
variables["batch_stats"] = jax.tree_util.tree_map(
    lambda s: s + np.linspace(0.2, 0.8, s.size, dtype=np.float32).reshape(s.shape), variables["batch_stats"]
)
params, treedef = jax.tree_util.tree_flatten(variables["params"])
stats, stats_treedef = jax.tree_util.tree_flatten(variables["batch_stats"])

def apply(params, stats, x):
    return Net().apply(
        {"params": jax.tree_util.tree_unflatten(treedef, params),
         "batch_stats": jax.tree_util.tree_unflatten(stats_treedef, stats)}, x)

converted = jax2tf.convert(apply, with_gradient=True, polymorphic_shapes=[None, None, "(b, ...)"])
root = tf.train.Checkpoint()
root.params = [tf.Variable(np.asarray(p)) for p in params]
root.stats = [tf.Variable(np.asarray(s), trainable=False) for s in stats]
root.variables = root.params + root.stats
root.trainable_variables = list(root.params)
spec = tf.TensorSpec([None, 8, 8, 3], tf.float32)
root.__call__ = tf.function(lambda x: converted(root.params, root.stats, x), autograph=False, input_signature=[spec])
tf.saved_model.save(root, sys.argv[1], options=tf.saved_model.SaveOptions(experimental_custom_gradients=True))
"""
