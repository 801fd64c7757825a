"""The exchange matrix: every producer's model through every consumer, checked against truth.

Producers make the same architecture in their own framework (`ReusableModule`, classic
tf_keras, `from_keras`, `from_sonnet`, `from_jax`, `from_flax`); consumers (`Piece`,
`KerasLayer`, `SonnetModule`, `to_jax`, `FlaxModule`, tensorflow_hub's `KerasLayer`)
take it in process and through a SavedModel, and each cell compares their outputs,
gradients, state updates, regularization, frozen mode and named callable with the
producer's own figures. `python -m reusable_savedmodel.adapters.exchange` runs it.
"""
