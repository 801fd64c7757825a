"""benchmarks.pair: two paths timed against each other in fresh processes, the first alternating."""

import sys

import numpy as np
import pytest

from benchmarks import pair


def test_a_swapped_process_is_read_back_as_a_over_b():
    a, b = [2.0, 3.0, 8.0], [1.0, 6.0, 4.0]
    np.testing.assert_allclose(pair.ratios([a, b], swapped=False), [2.0, 0.5, 2.0])
    np.testing.assert_allclose(pair.ratios([b, a], swapped=True), [2.0, 0.5, 2.0])


@pytest.mark.slow  # starts two TensorFlow interpreters
def test_two_loaders_pair_up_in_two_processes_each_first_once(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["pair"])
    argv = ["tiny_mlp", "rsm.load(path)", "tf.saved_model.load", "--load", "--rounds=2", "--warmup=0", "--processes=2"]
    assert pair.main([*argv, "--directory", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" first")[0] for line in lines[:2]] == ["process 0 (rsm.load(path)", "process 1 (tf.saved_model.load"]
    assert lines[2].startswith("pooled A/B = rsm.load(path) / tf.saved_model.load: ")
