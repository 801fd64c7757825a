"""Keras 3 adapter: `KerasLayer` (consume) and `from_keras` (produce)."""
