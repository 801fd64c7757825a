"""Where BERT-small's `to_jax` training step goes, against the raw object's tape step.

`python -m benchmarks.step_parts [ROUNDS]` converts the encoder once and times, alternately in
one process (the order reversed every other round), the compiled `jax.grad` step of
`benchmarks.jax_steps`, the same step with the word embedding held fixed (no gradient, no
update of the 30,522 x 512 table), the dense embedding gradient and SGD update alone (a
table-sized scatter-add of the batch's rows and a whole-table subtraction: what `jax.grad`
of a gather costs), the compiled forward pass, and the raw object's eager tape step and
forward pass (`training=True` everywhere). Prints each one's median and p25-p75 band (ms).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import jax_steps, models, tape_steps
from benchmarks.source import Source
from benchmarks.timing import block


def _cases(source: Source) -> dict[str, Callable[[], Any]]:
    import jax
    import jax.numpy as jnp
    import tensorflow as tf

    piece, x = source.jax_piece, models.inputs(models.BERT_MODEL, 1)
    xs, rng, rate = jnp.asarray(x), jax.random.key(0), jax_steps.LEARNING_RATE
    table = next(k for k, v in piece.params.items() if v.shape == (models.BERT_VOCAB, models.BERT_HIDDEN))
    rest = {k: v for k, v in piece.params.items() if k != table}

    def loss(trained: dict[str, Any], fixed: dict[str, Any]) -> Any:
        params = {**trained, **fixed}
        outputs, _ = piece.apply(params, piece.state, xs, training=True, rng=rng)
        return jax_steps.mean_square(outputs) + piece.regularization_loss(params)

    @jax.jit
    def step(trained: dict[str, Any], fixed: dict[str, Any]) -> Any:
        return jax.tree_util.tree_map(lambda p, g: p - rate * g, trained, jax.grad(loss)(trained, fixed))

    @jax.jit
    def dense_update(embeddings: Any, ids: Any) -> Any:
        return embeddings - rate * jnp.zeros_like(embeddings).at[ids].add(1.0)

    forward = jax.jit(loss)
    obj, xt = source.obj, tf.constant(x)
    return {
        "to_jax step (jax.grad)": lambda: step(piece.params, {}),
        "to_jax step, embedding fixed": lambda: step(rest, {table: piece.params[table]}),
        "dense embedding gradient + update alone": lambda: dense_update(piece.params[table], xs.reshape(-1)),
        "to_jax forward": lambda: forward(piece.params, {}),
        "raw step (tape)": tape_steps.raw_step(source)(x),
        "raw forward": lambda: obj(xt, training=True),
    }


def main(rounds: int = 8) -> None:
    """Prints each part's median and band over `rounds` alternating rounds.

    Args:
      rounds: Timed calls of each part.
    """
    with tempfile.TemporaryDirectory() as directory:
        cases = _cases(Source(models.export(models.BERT_MODEL, Path(directory))))
        for call in cases.values():
            block(call())
        seconds: dict[str, list[float]] = {name: [] for name in cases}
        for r in range(rounds):
            for name in list(cases)[:: 1 if r % 2 == 0 else -1]:
                start = time.perf_counter()
                block(cases[name]())
                seconds[name].append(time.perf_counter() - start)
    for name, s in seconds.items():
        print(f"{name:42s} {np.median(s) * 1e3:7.1f} ms [{np.percentile(s, 25) * 1e3:.1f}-{np.percentile(s, 75) * 1e3:.1f}]")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
