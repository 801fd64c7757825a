"""Flax nnx adapter: `FlaxModule` (consume) and `from_flax` (produce)."""
