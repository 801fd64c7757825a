"""The conformance matrix: every producer's model through every consumer, checked against truth.

Producers make the same architecture in their own framework (`ReusableModule`, classic
tf_keras, `from_keras` on TensorFlow and on JAX, `from_sonnet`, `from_jax`, `from_flax`);
consumers (`Piece`, `KerasLayer`, `SonnetModule`, `to_jax`, `FlaxModule`, tensorflow_hub's
`KerasLayer`, `KerasLayer` on JAX) take it in process and through a SavedModel (Keras on
JAX runs in a child interpreter, so only the SavedModel passes to or from it), and each cell compares their outputs,
gradients, state updates, regularization, frozen mode and named callable with the
producer's own figures. The consumers and checks are `reusable_savedmodel.adapters.crosscheck`'s
(what `rsm crosscheck` runs on a user's model); this package adds the producers, their
truths, the matrix and the README table. `PYTHONPATH=tests python -m conformance` runs it.
"""
