"""The rsm command line."""

import json

from reusable_savedmodel.adapters import cli


def test_inspect_prints_the_tree(zoo_path, capsys):
    assert cli.main(["inspect", zoo_path("mlp")]) == 0
    out = capsys.readouterr().out
    assert "kwarg dropout_rate: tensor float32[]" in out and "callable encoder" in out


def test_inspect_json(zoo_path, capsys):
    assert cli.main(["inspect", "--json", zoo_path("mlp")]) == 0
    assert json.loads(capsys.readouterr().out)["num_variables"] == 9


def test_check_exit_status(zoo_path, tmp_path, capsys):
    assert cli.main(["check", zoo_path("mul")]) == 0
    assert "PASS" in capsys.readouterr().out
    assert cli.main(["check", "--json", "--task", "image_feature_vector", zoo_path("mlp")]) == 1
    assert json.loads(capsys.readouterr().out)["findings"][0]["code"] == "RSM150"


def test_bad_handle_is_reported_not_raised(tmp_path, capsys):
    assert cli.main(["check", str(tmp_path / "absent")]) == 2
    assert "no such file or directory" in capsys.readouterr().err


