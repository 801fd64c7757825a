"""JAX adapter: `to_jax` (consume) and `from_jax` (produce).

`from reusable_savedmodel.adapters import jax as rsm_jax`, then `rsm_jax.to_jax(handle)`
for a pure-JAX `JaxPiece`, and `rsm.save(rsm_jax.from_jax(apply_fn, params,
input_signature=...), path)` to publish a JAX model.

Two halves: `runtime` (`JaxPiece`, `load_jax_piece`, `save_jax_piece`) and `errors`
import no TensorFlow, for accelerator hosts without it; `conversion` (TF graphs to JAX and
back, behind `to_jax` and `from_jax`) needs TensorFlow and loads on first use of those.

The names below are this package's public surface; its modules are internal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reusable_savedmodel.interface.kit import lazy_names, missing_extra

try:
    import jax  # noqa: F401  (first: a missing extra is named, not failed on deep inside)
except ImportError as error:  # the extra is not installed
    raise missing_extra(__name__, "JAX", "jax", error) from error

from reusable_savedmodel.adapters.jax._errors import (
    MissingVariablesError,
    NoTraceError,
    RngRequiredError,
    UnconvertibleError,
    X64RequiredError,
)
from reusable_savedmodel.adapters.jax.runtime import JaxPiece, load_jax_piece, save_jax_piece

if TYPE_CHECKING:
    from reusable_savedmodel.adapters.jax._consume import to_jax
    from reusable_savedmodel.adapters.jax._produce import ApplyFn, JaxExport, from_jax

# Names that need TensorFlow, and the module each comes from (imported on first access).
__getattr__, __dir__ = lazy_names(
    __name__,
    {
        "to_jax": "reusable_savedmodel.adapters.jax._consume",
        **dict.fromkeys(("ApplyFn", "JaxExport", "from_jax"), "reusable_savedmodel.adapters.jax._produce"),
    },
)

__all__ = [
    "ApplyFn",
    "JaxExport",
    "JaxPiece",
    "MissingVariablesError",
    "NoTraceError",
    "RngRequiredError",
    "UnconvertibleError",
    "X64RequiredError",
    "from_jax",
    "load_jax_piece",
    "save_jax_piece",
    "to_jax",
]
