"""The JAX adapter's half that needs TensorFlow: converting between TF graphs and JAX.

TF to JAX (`to_jax`'s converter over tf2jax: graph inlining, custom gradients, tensor
lists, jax2tf's `XlaCallModule` ops, signatures) and JAX to TF (`from_jax`'s bridge over
jax2tf, and the `jax.export` serializations it embeds in the SavedModel for the way
back). What it builds runs on `adapters.jax.runtime`, which needs no TensorFlow.
"""
