"""One process of a 2-process `jax.distributed` run (CPU): a data-parallel `to_jax` training step.

Usage: python jax_worker.py SAVEDMODEL OUT.npz COORDINATOR PROCESS_ID (run by test_multi_process.py).
"""

import sys

import jax
import multi_process_training as training
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P


def main(path: str, out: str, coordinator: str, process_id: str) -> None:
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(coordinator, num_processes=training.WORKERS, process_id=int(process_id))
    from reusable_savedmodel.adapters.jax import to_jax

    assert jax.device_count() == training.WORKERS and jax.local_device_count() == 1
    piece = to_jax(path)
    mesh = Mesh(np.array(jax.devices()), ("data",))
    batch, replicated = NamedSharding(mesh, P("data")), NamedSharding(mesh, P())

    def global_array(local: np.ndarray) -> jax.Array:
        # This process's rows of the one global batch (the first global batch of the data).
        return jax.make_array_from_process_local_data(batch, local)

    rows = slice(0, training.GLOBAL_BATCH // training.WORKERS)
    x = global_array(training.worker_half(training.X, jax.process_index())[rows])
    labels = global_array(training.worker_half(training.LABELS, jax.process_index())[rows])
    # Every process holds the whole (replicated) weights: each places its own host copy.
    params, state = jax.tree_util.tree_map(
        lambda v: jax.make_array_from_process_local_data(replicated, np.asarray(v)), (piece.params, piece.state)
    )
    step = jax.jit(training.jax_train_step(piece), out_shardings=(replicated, replicated, replicated))
    params, state, loss = step(params, state, x, labels)
    local = {f"params/{k}": np.asarray(v.addressable_data(0)) for k, v in params.items()}
    local.update({f"state/{k}": np.asarray(v.addressable_data(0)) for k, v in state.items()})
    np.savez(out, loss=np.asarray(loss.addressable_data(0)), **local)
    jax.distributed.shutdown()


if __name__ == "__main__":
    main(*sys.argv[1:])
