"""`choose_entry_point`: one meaning of callable= / signature= / output_key= for every consumer."""

from __future__ import annotations

import pytest

from reusable_savedmodel import interface as rsm
from reusable_savedmodel.interface.kit import choose_entry_point


def test_the_call_by_default_and_a_named_callable_when_asked(zoo_path):
    root = rsm.load(zoo_path("mlp"))
    assert choose_entry_point(root, owner="T").piece is root
    entry = choose_entry_point(root, owner="T", callable="encoder", trainable=True)
    assert entry.piece is root.callables["encoder"] and entry.trainable


def test_argument_errors_name_the_consumer(zoo_path):
    root = rsm.load(zoo_path("mlp"))
    with pytest.raises(ValueError, match=r"^T: pass callable= \('encoder'\) or signature= \('s'\), not both"):
        choose_entry_point(root, owner="T", callable="encoder", signature="s")
    with pytest.raises(ValueError, match=r"^T: output_key='y' selects a signature output"):
        choose_entry_point(root, owner="T", output_key="y")
    with pytest.raises(rsm.UnsupportedError, match=r"^T\(signature='serving_default'\) is inference only"):
        choose_entry_point(root, owner="T", signature="serving_default", trainable=True)
    with pytest.raises(rsm.NonConformingError, match="has no named callable 'nope'; available: decoder, encoder"):
        choose_entry_point(root, owner="T", callable="nope")


def test_a_signature_only_root_runs_its_signature_only_when_the_consumer_may_pick_it(zoo_path):
    root = rsm.load(zoo_path("signature_only"))
    how = ("--callable NAME", "--signature NAME")
    with pytest.raises(rsm.NonConformingError, match=r"pick what runs: --callable NAME .*--signature NAME .*\(serving_default\)"):
        choose_entry_point(root, owner="T", how=how)
    entry = choose_entry_point(root, owner="T", pick_signature=True)
    assert entry.signature == "serving_default" and not entry.trainable
    # Training was asked for: nothing is picked behind the caller's back.
    with pytest.raises(rsm.NonConformingError, match="is signature-only"):
        choose_entry_point(root, owner="T", pick_signature=True, trainable=True)
    held = choose_entry_point(root, owner="T", require_call=False)
    with pytest.raises(rsm.NonConformingError, match="is signature-only"):
        held.check_runnable()


def test_a_tf1_hub_module_gets_hubs_defaults(real_model):
    root = rsm.load(real_model("tf1_hub_module"))
    entry = choose_entry_point(root, owner="T")
    assert (entry.signature, entry.output_key) == ("default", "default")
    whole = choose_entry_point(root, owner="T", outputs_as_dict=True)
    assert (whole.signature, whole.output_key) == ("default", None)
    with pytest.raises(rsm.UnsupportedError, match="TF1 Hub module: it loads for inference only"):
        choose_entry_point(root, owner="T", trainable=True)
