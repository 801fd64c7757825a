"""No false alarms on SavedModels real exporters wrote (TF1 hub layout, jax2tf, Keras 3, tf_keras...).

The attribute-binding walk, the TF1 local-variable entries and the asset-tensor rule must
leave every legitimate export clean.
"""

from __future__ import annotations

import pytest

from fixtures.real_exporters import NAMES
from reusable_savedmodel import interface as rsm


@pytest.mark.parametrize("name", NAMES)
def test_real_exports_scan_clean(real_model, name):
    report = rsm.scan(real_model(name))
    assert report.safe, str(report)
