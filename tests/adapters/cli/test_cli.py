"""The rsm command line."""

import contextlib
import importlib.metadata
import io
import json
import os
import socket
import sys

import pytest

from fixtures import bounded
from reusable_savedmodel.adapters import cli
from reusable_savedmodel.adapters.cli._crosscheck import CONSUMER_NAMES
from reusable_savedmodel.adapters.cli._errors import describe
from reusable_savedmodel.adapters.crosscheck import CONSUMERS
from reusable_savedmodel.interface._errors import DownloadError, HandleError


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


# The answers that must come before any framework is imported, each run in one child
# interpreter: (argv, expected exit status, text expected in stdout + stderr).
_FAST_PROBE = """
import contextlib, io, json, sys
from reusable_savedmodel.adapters import cli

FRAMEWORKS = ("tensorflow", "keras", "jax", "flax", "sonnet", "tf_keras")
answers = []
for argv in json.loads(sys.argv[1]):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            status = cli.main(argv)
        except SystemExit as exit:  # argparse: --help, --version, usage errors
            status = exit.code
    answers.append([status, out.getvalue(), [m for m in FRAMEWORKS if m in sys.modules]])
print(json.dumps(answers))
"""


def test_usage_path_and_cache_answers_import_no_framework(tmp_path, mul_tgz):
    archive = tmp_path / "mul.tar.gz"
    archive.write_bytes(mul_tgz)
    (tmp_path / "empty").mkdir()
    cases = [
        (["--help"], 0, "inspect"),
        (["--version"], 0, "rsm "),
        (["inspect"], 2, "the following arguments are required: handle"),
        (["check", str(tmp_path / "absent")], 2, "no such file or directory"),
        (["check", "--task", "nope", str(tmp_path)], 2, "invalid choice: 'nope'"),
        (["scan", str(tmp_path / "empty")], 2, "is not a SavedModel directory"),
        (["inspect", "kaggle://google/too-short"], 2, "kaggle://"),
        (["crosscheck", str(tmp_path), "--consumers", "keras"], 2, "unknown consumers ['keras']"),
        (["cache", "list"], 0, "0 entries"),
        (["fetch", str(archive)], 0, str(tmp_path / "cache")),
        (["cache", "verify"], 0, "verified 1 entry"),
        (["cache", "clear"], 0, "removed 1 entry"),
    ]
    env = {**os.environ, "RSM_CACHE_DIR": str(tmp_path / "cache")}
    done = bounded.run(
        [sys.executable, "-c", _FAST_PROBE, json.dumps([argv for argv, _, _ in cases])],
        capture_output=True, text=True, env=env, cpu_s=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for (argv, status, text), (got, out, frameworks) in zip(cases, json.loads(done.stdout), strict=True):
        assert (got, frameworks) == (status, []), (argv, out)
        assert text in out, (argv, out)


def test_version_is_the_installed_distributions():
    with pytest.raises(SystemExit) as exit, contextlib.redirect_stdout(io.StringIO()) as out:
        cli.main(["--version"])
    assert exit.value.code == 0
    assert out.getvalue().strip() == f"rsm {importlib.metadata.version('reusable-savedmodel')}"


def test_crosscheck_knows_every_consumer_before_importing_them():
    assert CONSUMER_NAMES == tuple(consumer.name for consumer in CONSUMERS)


@pytest.mark.parametrize("command", ["inspect", "check", "scan", "crosscheck", "fetch", "demo"])
def test_help_names_every_handle_form(command, capsys):
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps the lines
    assert all(form in text for form in ("file://", "http(s)://", "kaggle://", "hf://", ".tar.gz"))
    assert "usage:" in text and text.count(".") > 1  # a description, not only the usage line


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def quick_downloads(tmp_path, monkeypatch):
    """An empty cache and a one-second download deadline (no waiting through every retry)."""
    monkeypatch.setenv("RSM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RSM_DOWNLOAD_DEADLINE", "1")
    monkeypatch.delenv("RSM_OFFLINE", raising=False)


def test_an_unreachable_host_is_one_sentence(quick_downloads, capsys):
    url = f"http://127.0.0.1:{_closed_port()}/model.tar.gz"
    assert cli.main(["fetch", url]) == 2
    err = capsys.readouterr().err
    assert err == (
        "rsm fetch: cannot reach 127.0.0.1: connection refused; check the network, or set "
        "RSM_OFFLINE=1 to use the cache (--verbose shows the details).\n"
    )
    assert cli.main(["--verbose", "fetch", url]) == 2
    first, detail = capsys.readouterr().err.split("\n", 1)
    assert first.endswith("to use the cache.") and "Connection refused" in detail and url in detail


def test_a_failed_dns_lookup_names_the_host(quick_downloads, monkeypatch, capsys):
    def no_dns(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)  # what a machine without network sees
    assert cli.main(["fetch", "https://models.example.com/m.tar.gz"]) == 2
    assert capsys.readouterr().err.startswith(
        "rsm fetch: cannot reach models.example.com: DNS lookup failed; check the network"
    )


def test_only_failed_connections_are_reworded():
    lookup = DownloadError("hf://org/model: download from Hugging Face failed: ConnectError")
    lookup.__cause__ = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    assert describe(lookup, handle="hf://org/model").startswith("cannot reach huggingface.co: DNS")
    other = [
        DownloadError("https://h.example/m.tgz: expected HTTP 200 with a SavedModel archive, got HTTP 404"),
        DownloadError("https://h.example/m.tgz: sha256 mismatch: expected 0, got 1"),
        HandleError("'x': no such file or directory (x)."),
    ]
    for error in other:
        assert describe(error, verbose=True) == str(error)
