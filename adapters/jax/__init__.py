"""JAX adapter: `to_jax` (consume) and `from_jax` (produce)."""
