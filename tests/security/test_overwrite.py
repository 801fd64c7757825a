"""`rsm.save(..., overwrite=True)` interrupted at any step leaves the old model or the new one."""

from __future__ import annotations

import os
import shutil
import stat

import pytest

from reusable_savedmodel import interface as rsm
from reusable_savedmodel.interface import _saving as saving


class Interrupted(BaseException):
    """Stands for Ctrl-C or a signal arriving at one step."""


def _value(path) -> float:
    return float(rsm.load(path)([1.0]).numpy()[0])


@pytest.fixture
def old_and_new(tmp_path, zoo_path):
    target = tmp_path / "model"
    shutil.copytree(zoo_path("mul"), target)  # the old model: x -> 2x
    new = rsm.load(zoo_path("mul"))
    new.trainable_variables[0].assign(5.0)  # the new one: x -> 5x
    return target, new


def _interrupt_at(monkeypatch, name, calls_before=0):
    original = {"replace": os.replace, "rmtree": shutil.rmtree, "_exchange": saving._exchange}[name]
    count = {"n": 0}

    def step(*args, **kwargs):
        count["n"] += 1
        if count["n"] == calls_before + 1:  # this one step only
            raise Interrupted(name)
        return original(*args, **kwargs)

    if name == "_exchange":
        monkeypatch.setattr(saving, "_exchange", step)
    else:
        monkeypatch.setattr(saving.os if name == "replace" else saving.shutil, name, step)


@pytest.mark.parametrize(
    "step, exchange, expected",
    [
        ("_exchange", True, 2.0),  # before the swap: the old one
        ("rmtree", True, 5.0),  # after the swap, deleting the old one: the new one
        ("replace", False, 2.0),  # moving the old one aside
        ("replace", False, 2.0),  # moving the new one in (the old one goes back)
    ],
    ids=["swap", "delete-old", "move-aside", "move-in"],
)
def test_interrupted_overwrite(monkeypatch, old_and_new, step, exchange, expected, request):
    target, new = old_and_new
    if not exchange:
        monkeypatch.setattr(saving, "_exchange", lambda a, b: False)
    calls_before = 1 if request.node.callspec.id == "move-in" else 0
    _interrupt_at(monkeypatch, step, calls_before)
    with pytest.raises(Interrupted):
        rsm.save(new, target, overwrite=True, check=False)
    monkeypatch.undo()
    assert _value(target) == expected


def test_overwrite_completes(old_and_new):
    target, new = old_and_new
    rsm.save(new, target, overwrite=True)
    assert _value(target) == 5.0
    assert [p.name for p in target.parent.iterdir()] == ["model"]


def test_saving_under_a_file_or_into_a_read_only_place(tmp_path, zoo_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(rsm.HandleError, match="cannot save to"):
        rsm.save(zoo_path("mul"), blocker / "model")
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    read_only.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        if os.access(read_only, os.W_OK):
            pytest.skip("running as a user that can write anywhere (root)")
        with pytest.raises(rsm.HandleError, match="cannot save to"):
            rsm.save(zoo_path("mul"), read_only / "model")
    finally:
        read_only.chmod(stat.S_IRWXU)
