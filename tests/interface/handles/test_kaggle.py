"""Kaggle Models handles against a loopback server standing in for www.kaggle.com."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from fixtures.remote_server import Step, ok
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.interface.handles import _cache as cache_lib
from reusable_savedmodel.interface.handles import _kaggle as kaggle

# The path Kaggle serves the archive at: the long form's, framework in lower case.
ARCHIVE = "/models/acme/mul/frameworks/tensorflow2/variations/small/versions/3?tf-hub-format=compressed"
FORMS = (
    "kaggle://acme/mul/TensorFlow2/small/3",
    "https://www.kaggle.com/models/acme/mul/tensorFlow2/small/3",
    "https://www.kaggle.com/models/acme/mul/frameworks/tensorflow2/variations/small/versions/3",
)


@pytest.fixture
def kaggle_env(server, cache, monkeypatch, tmp_path):
    """Kaggle at the loopback server; no credentials, no kagglehub cache, no notebook mount."""
    monkeypatch.setenv("RSM_KAGGLE_ENDPOINT", server.url(""))
    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path / "kagglehub"))
    monkeypatch.setenv("KAGGLE_CACHE_MOUNT_FOLDER", str(tmp_path / "kaggle-input"))
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "kaggle-config"))
    for name in ("KAGGLE_USERNAME", "KAGGLE_KEY", "TFHUB_MODEL_LOAD_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    return server


def _expected(path: str, x: float) -> np.ndarray:
    """The raw `tf.saved_model.load` object's output: the independent truth."""
    return tf.saved_model.load(path)(tf.constant([x])).numpy()


def test_every_form_parses_to_one_canonical_handle():
    models = {kaggle.parse(form) for form in FORMS}
    assert models == {kaggle.KaggleModel("acme", "mul", "tensorflow2", "small", 3)}
    assert {kaggle.cache_key(f) for f in FORMS} == {"kaggle://acme/mul/tensorflow2/small/3"}
    assert kaggle.parse("https://example.com/models/a/b/c/d/1") is None
    assert kaggle.parse("https://www.kaggle.com/datasets/a/b") is None
    assert kaggle.parse(FORMS[1] + "?tf-hub-format=compressed") == kaggle.parse(FORMS[0])


@pytest.mark.parametrize(
    ("handle", "message"),
    [
        ("kaggle://acme/mul/tensorflow2/small", r"expected a Kaggle model version as kaggle://"),
        ("kaggle://acme/mul/tensorflow2/small/latest", r"expected a version number .* got 'latest'"),
        ("https://www.kaggle.com/models/acme/mul/frameworks/tf2/variations/small", r"frameworks/FRAMEWORK/variations/VARIATION/versions/VERSION"),
        ("https://www.kaggle.com/models/acme/mul/tf2/small/1?tf-hub-format=uncompressed", r"expected no query"),
    ],
)
def test_malformed_kaggle_handles_say_what_was_expected(handle, message):
    with pytest.raises(rsm.HandleError, match=message):
        rsm.resolve(handle)


def test_three_forms_one_download_one_entry_then_offline(kaggle_env, mul_tgz, zoo_path, monkeypatch):
    server = kaggle_env
    server.route(ARCHIVE, ok(mul_tgz))
    paths = {rsm.resolve(form) for form in FORMS}
    outputs = [rsm.load(form)(tf.constant([4.0])).numpy() for form in FORMS]
    assert server.hits[ARCHIVE] == 1 and len(paths) == 1
    for out in outputs:
        np.testing.assert_array_equal(out, _expected(zoo_path("mul"), 4.0))
    (entry,) = cache_lib.Cache().entries()
    assert entry.manifest.handle == "kaggle://acme/mul/tensorflow2/small/3"
    assert entry.manifest.url == server.url(ARCHIVE)
    server.stop()
    monkeypatch.setenv("RSM_OFFLINE", "1")
    for form in FORMS:
        np.testing.assert_array_equal(rsm.load(form)(tf.constant([5.0])).numpy(), [10.0])


def test_download_follows_redirects_to_storage(kaggle_env, mul_tgz):
    storage = kaggle_env.route("/storage/bucket/archive.tar.gz", ok(mul_tgz))
    kaggle_env.route(ARCHIVE, Step(status=302, location=storage))
    path = rsm.resolve(FORMS[0])
    assert json.loads(Path(f"{path}.rsm.json").read_text())["url"] == storage


def test_tfhub_dev_handle_works_through_its_redirect_to_kaggle(kaggle_env, mul_tgz):
    kaggle_url = kaggle_env.route(ARCHIVE, ok(mul_tgz))
    kaggle_env.route("/google/mul/3?tf-hub-format=compressed", Step(status=302, location=kaggle_url))
    out = rsm.load(kaggle_env.url("/google/mul/3"))(tf.constant([1.5]))
    np.testing.assert_array_equal(out.numpy(), [3.0])


def test_403_names_the_status_and_how_to_authenticate(kaggle_env):
    kaggle_env.route(ARCHIVE, Step(status=403))
    with pytest.raises(rsm.ReusableError, match=r"HTTP 403 .*KAGGLE_USERNAME and KAGGLE_KEY \(or .*kaggle.json; .*\) are not set: set them.*accept the model's terms") as info:
        rsm.load(FORMS[1])
    assert isinstance(info.value, rsm.DownloadError) and kaggle_env.hits[ARCHIVE] == 1


def test_credentials_are_sent_and_named_on_401(kaggle_env, monkeypatch):
    kaggle_env.route(ARCHIVE, Step(status=401))
    monkeypatch.setenv("KAGGLE_USERNAME", "ann")
    monkeypatch.setenv("KAGGLE_KEY", "secret")
    assert kaggle.auth_headers() == {"Authorization": "Basic YW5uOnNlY3JldA=="}  # base64 of ann:secret
    with pytest.raises(rsm.DownloadError, match=r"HTTP 401 .*were sent: check them"):
        rsm.resolve(FORMS[0])
    assert kaggle_env.hits[ARCHIVE] == 1


def test_404_says_no_such_model_or_version(kaggle_env):
    with pytest.raises(rsm.HandleError, match=r"kaggle://acme/mul/tensorflow2/small/3: no such model or version on Kaggle \(HTTP 404"):
        rsm.resolve(FORMS[2])


def test_kagglehub_cache_is_used_in_place(kaggle_env, zoo_path, tmp_path):
    version = tmp_path / "kagglehub" / "models" / "acme" / "mul" / "tensorFlow2" / "small" / "3"
    shutil.copytree(zoo_path("mul"), version)
    assert kaggle.local_copy(kaggle.parse(FORMS[0])) is None  # no completion marker yet
    (version.parent / "3.complete").touch()
    for form in FORMS:
        assert rsm.resolve(form) == version
    np.testing.assert_array_equal(rsm.load(FORMS[0])(tf.constant([2.0])).numpy(), [4.0])
    assert kaggle_env.hits[ARCHIVE] == 0


def test_notebook_mount_is_used_in_place(kaggle_env, zoo_path, tmp_path):
    version = tmp_path / "kaggle-input" / "mul" / "tensorflow2" / "small" / "3"
    shutil.copytree(zoo_path("mul"), version)
    assert {rsm.resolve(form) for form in FORMS} == {version}
    assert kaggle_env.hits[ARCHIVE] == 0


def test_uncompressed_load_format_is_refused_clearly(kaggle_env, monkeypatch):
    monkeypatch.setenv("TFHUB_MODEL_LOAD_FORMAT", "UNCOMPRESSED")
    with pytest.raises(rsm.HandleError, match=r"TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED .* Unset it, or set COMPRESSED or AUTO"):
        rsm.resolve(FORMS[0])
    assert kaggle_env.hits[ARCHIVE] == 0



def test_cli_fetch_and_cache_clear_take_any_form(kaggle_env, mul_tgz, capsys):
    from reusable_savedmodel.adapters import cli

    kaggle_env.route(ARCHIVE, ok(mul_tgz))
    assert cli.main(["fetch", FORMS[1]]) == 0
    assert capsys.readouterr().out.strip() == str(rsm.resolve(FORMS[0]))
    assert cli.main(["cache", "clear", FORMS[2]]) == 0
    assert "removed 1 entry" in capsys.readouterr().out
    assert cache_lib.Cache().entries() == [] and kaggle_env.hits[ARCHIVE] == 1


def test_credentials_come_from_kaggle_json_when_the_variables_are_unset(kaggle_env, tmp_path):
    token = tmp_path / "kaggle-config" / "kaggle.json"
    token.parent.mkdir()
    token.write_text('{"username": "ann", "key": "secret"}')
    assert kaggle.auth_headers() == {"Authorization": "Basic YW5uOnNlY3JldA=="}
    token.write_text('{"user": "ann"}')
    with pytest.raises(rsm.DownloadError, match=r"kaggle.json: expected Kaggle's API token file"):
        kaggle.auth_headers()
