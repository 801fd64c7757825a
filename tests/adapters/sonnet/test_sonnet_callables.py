"""from_sonnet(callables=...): submodules and methods as named callables, checked against Sonnet."""

import numpy as np
import pytest
import sonnet as snt
import tensorflow as tf

from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.sonnet import SonnetModule, from_sonnet

SPEC = tf.TensorSpec([None, 4], tf.float32)
HIDDEN_SPEC = tf.TensorSpec([None, 6], tf.float32)
X = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
H = np.random.default_rng(1).normal(size=(8, 6)).astype(np.float32)
SCALE = 0.1


class Encoder(snt.Module):
    def __init__(self):
        super().__init__(name="encoder")
        self.linear = snt.Linear(6, name="linear")
        self.norm = snt.BatchNorm(create_scale=True, create_offset=True, name="norm")

    def __call__(self, x, is_training):
        return self.norm(self.linear(x), is_training=is_training)


class Net(snt.Module):
    def __init__(self):
        super().__init__(name="net")
        self.encoder = Encoder()
        self.head = snt.Linear(3, name="head")

    def __call__(self, x, is_training):
        return self.head(self.features(x, is_training))

    def features(self, x, is_training):
        return tf.nn.relu(self.encoder(x, is_training=is_training))


def ids(variables):
    return {id(v) for v in variables}


def export(net):
    return from_sonnet(
        net,
        input_signature=SPEC,
        regularizers={"*/w": snt.regularizers.L2(SCALE)},
        callables={
            "encoder": (net.encoder, SPEC),
            "features": (net.features, SPEC),
            "head": (net.head, HIDDEN_SPEC, None),  # snt.Linear has no training flag
        },
    )


def test_callables_run_the_submodules_on_the_modules_variables():
    tf.random.set_seed(0)
    net = Net()
    piece = export(net)
    assert set(piece.callables) == {"encoder", "features", "head"}
    enc = piece.callable("encoder")
    assert_close(enc(X), net.encoder(X, is_training=False))
    # Batch norm uses the batch's statistics in training (and updates the moving ones).
    assert_close(enc(X, training=True), net.encoder(X, is_training=True))
    assert_close(piece.callable("features")(X), net.features(X, is_training=False))
    assert_close(piece.callable("head")(H), net.head(H))

    # The subset each part uses: Sonnet's own variable lists.
    assert ids(enc.variables) == ids(net.encoder.variables)
    assert ids(enc.trainable_variables) == ids(net.encoder.trainable_variables)
    assert ids(piece.callable("head").variables) == ids(net.head.variables)
    # The regularizer over the part's matching variables only, by hand.
    w = net.encoder.linear.w.numpy()
    assert_close(enc.regularization_loss(), SCALE * np.sum(w**2))
    assert_close(piece.regularization_loss(), SCALE * (np.sum(w**2) + np.sum(net.head.w.numpy() ** 2)))

    # Fine-tuning the root's variable changes what the callable computes.
    (w_var,) = [v for v in piece.trainable_variables if v is net.encoder.linear.w]
    before = np.asarray(enc(X))
    w_var.assign(w_var * 2.0)
    after = np.asarray(enc(X))
    assert not np.allclose(before, after)
    assert_close(after, net.encoder(X, is_training=False))


def test_callables_survive_save_and_load(tmp_path):
    tf.random.set_seed(0)
    net = Net()
    path = tmp_path / "exported"
    loaded = rsm.save(export(net), path)
    assert rsm.check(str(path)).ok
    # A fresh load for the consumer, before training updates the moving statistics.
    consumer = SonnetModule(str(path), callable="encoder")
    assert_close(consumer(X, is_training=False), net.encoder(X, is_training=False))

    enc = loaded.callable("encoder")
    assert_close(enc(X), net.encoder(X, is_training=False))
    assert_close(enc(X, training=True), net.encoder(X, is_training=True))
    assert_close(loaded.callable("head")(H), net.head(H))
    w = net.encoder.linear.w.numpy()
    assert_close(enc.regularization_loss(), SCALE * np.sum(w**2))

    # Saved once: the callables' variables are the loaded root's own objects.
    root_by_id = {id(v): v for v in loaded.variables}
    for sub in loaded.callables.values():
        assert all(root_by_id.get(id(v)) is v for v in sub.variables)
        assert ids(sub.trainable_variables) <= ids(loaded.trainable_variables)
    assert len(enc.variables) == len(net.encoder.variables)

    # Assign the same new weights to the loaded root and to the native module.
    (w_var,) = [v for v in loaded.trainable_variables if v.name == net.encoder.linear.w.name]
    w_var.assign(w + 0.5)
    net.encoder.linear.w.assign(w + 0.5)
    assert_close(enc(X), net.encoder(X, is_training=False))
    assert_close(loaded.callable("features")(X), net.features(X, is_training=False))


def test_trainable_subset_carries_over_to_callables():
    net = Net()
    snt.build(net, SPEC, is_training=False)
    frozen = net.encoder.linear.w
    chosen = [v for v in net.trainable_variables if v is not frozen]
    piece = from_sonnet(
        net, input_signature=SPEC, trainable_variables=chosen, callables={"encoder": (net.encoder, SPEC)}
    )
    enc = piece.callable("encoder")
    assert ids(enc.trainable_variables) == ids(net.encoder.trainable_variables) - {id(frozen)}
    assert id(frozen) in ids(enc.variables)


def test_callable_errors():
    net = Net()
    with pytest.raises(ValueError, match="'1st': expected a Python identifier"):
        from_sonnet(net, input_signature=SPEC, callables={"1st": (net.encoder, SPEC)})
    with pytest.raises(ValueError, match="'trainable_variables' clashes with an attribute"):
        from_sonnet(net, input_signature=SPEC, callables={"trainable_variables": (net.encoder, SPEC)})
    with pytest.raises(TypeError, match=r"callables\['encoder'\] must be \(target, input_signature\) .*got Encoder"):
        from_sonnet(net, input_signature=SPEC, callables={"encoder": net.encoder})
    with pytest.raises(TypeError, match=r"target of callables\['encoder'\] must be an snt.Module or a method of one"):
        from_sonnet(net, input_signature=SPEC, callables={"encoder": (lambda x: x, SPEC)})
    with pytest.raises(
        ValueError,
        match=r"head.__call__ has no parameter 'is_training'; give callables\['head'\] as "
        r"\(target, input_signature, <its training flag's name, or None>\)",
    ):
        from_sonnet(net, input_signature=SPEC, callables={"head": (net.head, HIDDEN_SPEC)})
    stranger = snt.Linear(6, name="stranger")
    with pytest.raises(ValueError, match="'stranger' must share the variables of SonnetExport, but it also uses stranger/"):
        from_sonnet(net, input_signature=SPEC, callables={"stranger": (stranger, SPEC, None)})
