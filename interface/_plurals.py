"""Counted nouns in messages, in the singular or the plural: "1 finding", "2 findings"."""

from __future__ import annotations


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """`number` and `noun`, the noun in the plural unless the number is 1.

    Args:
      number: How many.
      noun: The singular noun ("finding", "entry").
      plural: The plural when it is not the noun plus "s" ("entries").
    """
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
