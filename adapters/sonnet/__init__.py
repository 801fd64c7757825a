"""Sonnet 2 adapter: `SonnetModule` (consume) and `from_sonnet` (produce)."""
