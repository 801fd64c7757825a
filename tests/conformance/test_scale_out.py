"""Scale-out on existing engines, on 2 virtual CPU devices, against the same work on one device.

conftest.py splits the CPU into two logical TF devices and sets
`XLA_FLAGS=--xla_force_host_platform_device_count=2` for JAX.

- Keras 3 `model.fit` under `tf.distribute.MirroredStrategy` with a trainable `KerasLayer`;
- Sonnet's `snt.distribute.Replicator` with a `SonnetModule` and all-reduced gradients;
- JAX data parallelism: `to_jax` params replicated, the batch sharded with `NamedSharding`.

Batch norm decides what "the same on one device" means. The example MLP's batch norm takes the
moments of the batch it sees (`tf.nn.moments`, no cross-replica sync): under a TF strategy each
replica normalizes its own half. So the TF tests that compare with a one-device fit on the
global batch use the MLP's `decoder` (dense + regularization, no batch norm, no dropout), and
one test takes the whole MLP against the per-replica computation done serially, showing that
each replica keeps its own moving statistics (a caveat, documented in the README). JAX under
`jit` computes over the global (sharded) array, so there the whole MLP, batch norm and dropout
included, equals the unsharded run.
"""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
import sonnet as snt
import tensorflow as tf
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from fixtures import models
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.jax import to_jax
from reusable_savedmodel.adapters.keras import KerasLayer
from reusable_savedmodel.adapters.sonnet import SonnetModule

# Child interpreters or large models: left out of the quick loop (pytest -m "not slow").
pytestmark = pytest.mark.slow

X = models.example_inputs("mlp", batch=32)
LABELS = np.arange(32) % 3
# Float sums in a different order (per-replica partial sums, then an all-reduce) differ from
# the one-device order in the last bits; a few optimizer steps keep that near float32 epsilon.
RTOL, ATOL = 1e-5, 1e-6


def close(actual, expected, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=atol)


@pytest.fixture(scope="module")
def mlp(zoo_path):
    # Export outside any strategy scope: a model built inside one would save per-replica
    # copies of its variables (e.g. `moving_mean/replica_1`) into the session's examples.
    return zoo_path("mlp")


def two_cpus(strategy_class=tf.distribute.MirroredStrategy):
    """A new strategy (MirroredStrategy or a subclass) over the two logical CPUs.

    Strategies made one after another in a process start their collective keys at the same
    value, and the runtime then rejects a reused key with a different shape ("Shape mismatch
    in the collective instance 100"). TensorFlow's own tests avoid that by raising the
    (test-only) key base for every new strategy (`strategy_combinations.py`); so do these.
    """
    devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    assert len(devices) == 2, devices
    tf.distribute.MirroredStrategy._collective_key_base += 100_000
    return strategy_class(devices)


def replica_values(strategy, variable):
    """The per-replica values of a (Keras or TF) mirrored variable."""
    value = variable.value if isinstance(variable, keras.Variable) else variable
    return [np.asarray(v) for v in strategy.experimental_local_results(value)]


# -- Keras 3 + MirroredStrategy ---------------------------------------------------------------

HEAD_KERNEL = np.random.default_rng(3).standard_normal((4, 8)).astype(np.float32) * 0.5


def decoder_classifier(mlp):
    """A Keras Dense layer feeding the MLP's `decoder` (dense + L2 regularization loss).

    The decoder has no batch norm and no dropout, so a global batch split over two replicas
    computes exactly the one-device gradient (a mean over examples plus the regularization),
    and both the Keras weights and the piece's weights train.
    """
    root = rsm.load(mlp)
    layer = KerasLayer(root, callable="decoder", trainable=True)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu", kernel_initializer=keras.initializers.Constant(HEAD_KERNEL)),
            layer,
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model, layer


def test_mirrored_fit_equals_one_device_fit(mlp):
    strategy = two_cpus()
    with strategy.scope():  # the KerasLayer (and its piece's variables) made in the scope
        model, layer = decoder_classifier(mlp)
    assert all(isinstance(v, tf.distribute.DistributedValues) for v in layer.piece.variables)
    assert layer.losses, "the decoder's regularization loss counts while trainable"
    one_model, one_layer = decoder_classifier(mlp)
    initial = [np.array(w) for w in model.trainable_weights]

    # 2 epochs x 2 global batches of 16: 8 examples per replica and step.
    fit = {"epochs": 2, "batch_size": 16, "shuffle": False, "verbose": 0}
    history = model.fit(X, LABELS, **fit).history["loss"]
    one_history = one_model.fit(X, LABELS, **fit).history["loss"]

    close(history, one_history)
    assert len(model.trainable_weights) == 4  # Dense kernel+bias, decoder kernel+bias
    for weight, one_weight, old in zip(model.trainable_weights, one_model.trainable_weights, initial, strict=True):
        first, second = replica_values(strategy, weight)
        np.testing.assert_array_equal(first, second)  # replicas stay in sync
        close(first, one_weight)
        assert not np.allclose(first, old)  # it trained
    # The piece's own variables hold the result (what rsm.save would write).
    for variable, one_variable in zip(layer.piece.trainable_variables, one_layer.piece.trainable_variables, strict=True):
        close(variable, one_variable)
    close(model.predict(X, verbose=0), one_model.predict(X, verbose=0))


def test_mirrored_batch_norm_statistics_stay_per_replica(mlp, tmp_path):
    """The full MLP: each replica normalizes (and tracks moving statistics of) its own half.

    One SGD step on a global batch of 16 equals, on one device, the mean of the gradients of
    the two halves of 8, each through its own copy of the piece; the moving statistics of
    replica i equal those of copy i, so they differ between replicas, and reading or saving
    the variable gives replica 0's.
    """
    lr = 0.1
    strategy = two_cpus()
    with strategy.scope():
        layer = KerasLayer(mlp, trainable=True, arguments={"dropout_rate": 0.0})
        model = keras.Sequential([keras.Input((4,)), layer])
        model.compile(
            optimizer=keras.optimizers.SGD(lr),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
    model.fit(X[:16], LABELS[:16], epochs=1, batch_size=16, shuffle=False, verbose=0)

    copies, grads = [], []
    for half in (slice(0, 8), slice(8, 16)):
        copy = rsm.load(mlp)
        with tf.GradientTape() as tape:
            logits = copy(X[half], training=True, dropout_rate=0.0)
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=LABELS[half], logits=logits)
            ) + copy.regularization_loss()
        grads.append(tape.gradient(loss, copy.trainable_variables))
        copies.append(copy)

    for i, variable in enumerate(layer.piece.trainable_variables):
        expected = copies[0].trainable_variables[i].numpy() - lr * (grads[0][i] + grads[1][i]) / 2
        for replica in replica_values(strategy, variable):
            close(replica, expected)
    moving = [v for v in layer.piece.variables if "moving" in v.name]
    assert len(moving) == 2
    for variable in moving:
        values = replica_values(strategy, variable)
        by_copy = [next(v for v in c.variables if v.name == variable.name).numpy() for c in copies]
        close(values[0], by_copy[0])
        close(values[1], by_copy[1])
        assert not np.allclose(values[0], values[1])  # not synchronized
        close(np.asarray(variable), values[0])

    reloaded = rsm.save(layer.piece, tmp_path / "mirrored")
    assert len(reloaded.variables) == len(rsm.load(mlp).variables)  # no per-replica extras
    for variable in moving:
        saved = next(v for v in reloaded.variables if v.name == variable.name)
        close(saved, replica_values(strategy, variable)[0])


# -- Sonnet + Replicator ----------------------------------------------------------------------


def sonnet_loss(module, x, labels):
    logits = module(x, is_training=True)
    data = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    return data + module.regularization_loss()


def test_replicator_equals_one_device(mlp):
    """Three momentum-SGD steps of the MLP's decoder (no batch norm or dropout, so the
    all-reduced mean of the two half-batch gradients is the global-batch gradient) equal
    one device's. (Not Adam: it would hide a gradient off by a constant factor.)"""
    steps, labels = 3, tf.constant(LABELS[:16])
    replicator = two_cpus(snt.distribute.Replicator)
    with replicator.scope():
        module = SonnetModule(rsm.load(mlp), callable="decoder")
        optimizer = snt.optimizers.Momentum(0.1, 0.9)
    assert module.trainable_variables and module.piece.regularization_losses
    hidden = tf.constant(np.random.default_rng(5).standard_normal((16, 8)).astype(np.float32))
    halves = replicator.experimental_distribute_values_from_function(
        lambda ctx: (hidden[8 * ctx.replica_id_in_sync_group :][:8], labels[8 * ctx.replica_id_in_sync_group :][:8])
    )

    def step(inputs):
        x_half, labels_half = inputs
        with tf.GradientTape() as tape:
            loss = sonnet_loss(module, x_half, labels_half)
        grads = tape.gradient(loss, module.trainable_variables)
        grads = tf.distribute.get_replica_context().all_reduce("mean", grads)
        optimizer.apply(grads, module.trainable_variables)
        return loss

    before = [v.numpy() for v in module.trainable_variables]
    # The first step runs eagerly: under a Replicator, TF 2.21 fails to create the
    # optimizer's (lazily made) state inside tf.function, for any Sonnet module.
    losses = [replicator.experimental_local_results(replicator.run(step, args=(halves,)))]
    train = tf.function(lambda inputs: replicator.run(step, args=(inputs,)))
    losses += [replicator.experimental_local_results(train(halves)) for _ in range(steps - 1)]

    one = SonnetModule(rsm.load(mlp), callable="decoder")
    one_optimizer = snt.optimizers.Momentum(0.1, 0.9)

    @tf.function
    def one_step():
        with tf.GradientTape() as tape:
            loss_halves = [sonnet_loss(one, hidden[s], labels[s]) for s in (slice(0, 8), slice(8, 16))]
            loss = sonnet_loss(one, hidden, labels)
        one_optimizer.apply(tape.gradient(loss, one.trainable_variables), one.trainable_variables)
        return loss_halves

    one_losses = [one_step() for _ in range(steps)]
    close(losses, one_losses)  # each replica's loss on its half, step by step
    for v, one_v, old in zip(module.trainable_variables, one.trainable_variables, before, strict=True):
        first, second = replica_values(replicator, v)
        np.testing.assert_array_equal(first, second)
        close(first, one_v)
        assert not np.allclose(first, old)


# -- JAX: replicated params, sharded batch ------------------------------------------------------


def test_jax_data_parallel_equals_one_device(mlp):
    """The whole MLP in training mode (batch norm, dropout 0.1, regularization) for 3 SGD
    steps: params replicated, the batch sharded over a 2-device mesh, against one device."""
    devices = jax.devices()
    assert len(devices) >= 2, "XLA_FLAGS=--xla_force_host_platform_device_count=2 is not in effect"
    jp = to_jax(mlp)
    mesh = Mesh(np.array(devices[:2]), ("data",))
    replicated, batch_sharded = NamedSharding(mesh, P()), NamedSharding(mesh, P("data"))

    def step(params, state, x, labels, rng):
        def loss_fn(params):
            logits, new_state = jp.apply(params, state, x, training=True, rng=rng)
            data = -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), labels[:, None], axis=1))
            return data + jp.regularization_loss(params), (logits, new_state)

        (loss, (logits, new_state)), grads = jax.value_and_grad(loss_fn, has_aux=True)(params)
        new_params = jax.tree.map(lambda p, g: p - 0.1 * g, params, grads)
        return new_params, new_state, loss, grads, logits

    sharded_step = jax.jit(
        step,
        in_shardings=(replicated, replicated, batch_sharded, batch_sharded, replicated),
        out_shardings=(replicated, replicated, replicated, replicated, batch_sharded),
    )
    one_step = jax.jit(step)

    x = jax.device_put(X, batch_sharded)
    labels = jax.device_put(LABELS, batch_sharded)
    assert sorted(s.data.shape for s in x.addressable_shards) == [(16, 4), (16, 4)]
    assert {s.device for s in x.addressable_shards} == set(devices[:2])
    params, state = jax.device_put((jp.params, jp.state), replicated)
    on_one = jax.device_put((jp.params, jp.state, X, LABELS), devices[0])
    one_params, one_state = on_one[0], on_one[1]

    for i in range(3):
        rng = jax.random.key(i)  # the same dropout key on both sides
        params, state, loss, grads, logits = sharded_step(params, state, x, labels, rng)
        one_params, one_state, one_loss, one_grads, one_logits = one_step(one_params, one_state, on_one[2], on_one[3], rng)
        close(loss, one_loss)
        close(logits, one_logits)
        jax.tree.map(close, grads, one_grads)

    for tree in (params, state, grads):
        for leaf in jax.tree.leaves(tree):
            assert leaf.sharding.is_equivalent_to(replicated, leaf.ndim), leaf.sharding
    assert logits.sharding.is_equivalent_to(batch_sharded, logits.ndim), logits.sharding
    assert sorted(s.data.shape for s in logits.addressable_shards) == [(16, 3), (16, 3)]
    assert one_logits.sharding.device_set == {devices[0]}
    # The sharded program communicates (gradients, batch moments), it is not two copies.
    assert "all-reduce" in sharded_step.lower(params, state, x, labels, rng).compile().as_text()
    jax.tree.map(close, params, one_params)
    # Batch norm over the global batch: the moving statistics match too, and moved.
    jax.tree.map(close, state, one_state)
    assert not np.allclose(state["encoder/batch_norm/moving_mean"], jp.state["encoder/batch_norm/moving_mean"])
    assert not np.allclose(params["decoder/dense/kernel"], jp.params["decoder/dense/kernel"])
