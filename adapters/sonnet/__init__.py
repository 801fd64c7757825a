"""Sonnet 2 adapter: `SonnetModule` (consume) and `from_sonnet` (produce).

`from reusable_savedmodel.adapters import sonnet as rsm_snt`, then
`rsm_snt.SonnetModule(handle)` to use a Reusable SavedModel as an `snt.Module`, and
`rsm.save(rsm_snt.from_sonnet(module, input_signature=...), path)` to publish one.

The names below are this package's public surface; its modules are internal.
"""

from reusable_savedmodel.interface.kit import missing_extra

try:
    import sonnet  # noqa: F401  (first: a missing extra is named, not failed on deep inside)
except ImportError as error:  # the extra is not installed
    raise missing_extra(__name__, "Sonnet 2 (dm-sonnet)", "sonnet", error) from error

from reusable_savedmodel.adapters.sonnet._consume import SonnetModule
from reusable_savedmodel.adapters.sonnet._produce import Regularizer, SonnetExport, from_sonnet

__all__ = ["Regularizer", "SonnetExport", "SonnetModule", "from_sonnet"]
