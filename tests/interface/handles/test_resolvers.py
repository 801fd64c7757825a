"""Handle kinds as resolvers: a plug-in kind installed through the entry-point group, one file
plus one registration line, found the way an installed distribution's would be (a dist-info
directory on sys.path, read by importlib.metadata), loaded lazily and once; broken plug-ins
are named in typed errors."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from fixtures.remote_server import ok
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.interface._errors import ResolverPluginError
from reusable_savedmodel.interface.handles import _resolve as resolve_lib
from reusable_savedmodel.interface.handles import _resolvers as resolvers
from reusable_savedmodel.interface.handles._parsed import ParsedHandle, parse_handle

PLUGIN = Path(__file__).parent / "resolver_plugin" / "corp_hub.py"
REGISTRATION = 'corp = "corp_hub:CorpResolver"'
DESIGN = Path(__file__).resolve().parents[3] / "docs" / "design.md"


@pytest.mark.parametrize(
    ("handle", "parsed", "rest"),
    [
        ("/models/mul", ParsedHandle("/models/mul", "", "", "/models/mul", "", ""), ""),
        ("HTTPS://Host:8/m/1?a=1#f", ParsedHandle("HTTPS://Host:8/m/1?a=1#f", "https", "Host:8", "/m/1", "a=1", "f"), "Host:8/m/1?a=1#f"),
        ("kaggle://acme/mul/tf2/small/3", ParsedHandle("kaggle://acme/mul/tf2/small/3", "kaggle", "acme", "/mul/tf2/small/3", "", ""), "acme/mul/tf2/small/3"),
        ("hf:org/repo", ParsedHandle("hf:org/repo", "hf", "", "org/repo", "", ""), ""),
    ],
)
def test_a_handle_is_parsed_into_its_parts(handle, parsed, rest):
    assert parse_handle(handle) == parsed and parse_handle(parsed) is parsed
    assert parsed.rest == rest


@pytest.mark.parametrize(
    ("handle", "kind"),
    [
        ("/models/mul", "LocalResolver"),
        ("file:///models/mul", "FileUrlResolver"),
        ("https://tfhub.dev/google/mul/1", "HttpResolver"),
        ("https://www.kaggle.com/models/acme/mul/tf2/small/3", "KaggleResolver"),
        ("kaggle://acme/mul/tf2/small/3", "KaggleResolver"),
        ("hf://org/repo", "HfResolver"),
        ("unknown://x", "LocalResolver"),  # as before: a path, "no such file or directory"
    ],
)
def test_each_handle_goes_to_its_kind(handle, kind):
    assert type(resolvers.resolver_for(parse_handle(handle))).__name__ == kind


def test_a_local_path_resolves_without_the_download_stack(zoo_path):
    # `rsm` resolves a handle before anything heavy: a directory or a mistyped path must not
    # pay for requests, the cache's locks or TensorFlow (a fresh interpreter shows it).
    script = (
        "import sys\n"
        "from reusable_savedmodel.interface.handles import resolve\n"
        "print(resolve(sys.argv[1]))\n"
        "try:\n"
        "    resolve(sys.argv[1] + '-absent')\n"
        "except Exception as error:\n"
        "    print(type(error).__name__)\n"
        "print(sorted(m for m in ('requests', 'filelock', 'tensorflow') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", script, zoo_path("mul")], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == [zoo_path("mul"), "HandleError", "[]"]


@pytest.fixture
def install(tmp_path, monkeypatch):
    """`install(entry_points, **modules)`: a distribution "corp-hub" on sys.path, as pip
    would leave it: the modules beside a dist-info directory whose entry_points.txt holds
    `entry_points` under the resolvers' group. The plug-ins are forgotten afterwards."""
    site = tmp_path / "site"

    def make(entry_points: str, **modules: str) -> None:
        info = site / "corp_hub-1.0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: corp-hub\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[{resolvers.ENTRY_POINT_GROUP}]\n{entry_points}\n")
        for name, source in modules.items():
            (site / f"{name}.py").write_text(source)
        monkeypatch.syspath_prepend(str(site))

    resolvers.plugins.cache_clear()
    yield make
    resolvers.plugins.cache_clear()
    for name in [m for m in sys.modules if m.endswith("_hub")]:
        del sys.modules[name]


def test_a_plugin_kind_is_one_file_and_one_line(install, server, cache, mul_tgz, zoo_path, monkeypatch, capsys):
    install(REGISTRATION.replace('"', ""), corp_hub=PLUGIN.read_text())
    monkeypatch.setenv("CORP_HUB_URL", server.url(""))
    monkeypatch.setenv("CORP_HUB_TOKEN", "s3cret")
    server.route("/mul/1.tar.gz", ok(mul_tgz))
    assert "corp_hub" not in sys.modules  # nothing is imported before a handle is resolved

    piece = rsm.load("corp://mul/1")
    expected = tf.saved_model.load(zoo_path("mul"))(tf.constant([3.0]))
    np.testing.assert_array_equal(piece(tf.constant([3.0])).numpy(), expected.numpy())
    assert "corp_hub" in sys.modules
    assert server.authorization["/mul/1.tar.gz"] == ["Bearer s3cret"]
    # One cache entry under the handle's name: a cache hit, and what `rsm cache clear` removes.
    assert rsm.resolve("corp://mul/1").parent == cache and server.hits["/mul/1.tar.gz"] == 1
    assert resolve_lib.is_remote("corp://mul/1")  # Keras safe mode refuses it like a URL
    from reusable_savedmodel.adapters import cli

    assert cli.main(["cache", "clear", "corp://mul/1"]) == 0
    assert "removed 1 entry" in capsys.readouterr().out
    with pytest.raises(rsm.HandleError, match=r"expected corp://NAME/VERSION, each path segment a plain name .* got the segment '\.\.'"):
        rsm.resolve("corp://mul/../../etc")


def test_plugins_are_asked_before_the_built_in_kinds(install, zoo_path):
    # A company mirror of tfhub.dev: its URLs resolve to local copies, never fetched.
    install(
        "mirror = mirror_hub:Mirror",
        mirror_hub=(
            "from pathlib import Path\n"
            "class Mirror:\n"
            "    def supports(self, handle):\n"
            "        return handle.is_http and handle.host == 'tfhub.dev'\n"
            "    def resolve(self, handle, **options):\n"
            f"        return Path({str(Path(zoo_path('mul')).parent)!r}, *handle.path.split('/')[2:3])\n"
        ),
    )
    assert rsm.resolve("https://tfhub.dev/google/mul/1") == Path(zoo_path("mul"))
    with pytest.raises(rsm.HandleError, match=r"'https://tfhub.dev/google/absent/1': no such file or directory"):
        rsm.resolve("https://tfhub.dev/google/absent/1")  # what a plug-in returns is checked


def test_entry_points_are_read_once(install, zoo_path, monkeypatch):
    install("mirror = mirror_hub:Mirror", mirror_hub="class Mirror:\n    def supports(self, h): return False\n    def resolve(self, h, **o): pass\n")
    reads = []
    real = importlib.metadata.entry_points

    def counted(**kwargs):
        reads.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(importlib.metadata, "entry_points", counted)
    for _ in range(3):
        assert rsm.resolve(zoo_path("mul")) == Path(zoo_path("mul"))
    assert reads == [{"group": "reusable_savedmodel.resolvers"}]


FLAKY = """
class Raises:
    def supports(self, handle):
        raise RuntimeError("no route to the company network")
    def resolve(self, handle, **options):
        pass

class ReturnsNothing:
    def supports(self, handle):
        return handle.scheme == "corp"
    def resolve(self, handle, **options):
        return None
"""


@pytest.mark.parametrize(
    ("entry_point", "message", "cause", "blocks_every_handle"),
    [
        (
            "broken = no_such_module:Resolver",
            r"The resolver plug-in 'broken = no_such_module:Resolver' \(from corp-hub 1.0, group reusable_savedmodel.resolvers\) could not be loaded: ModuleNotFoundError: No module named 'no_such_module'\. Fix or uninstall its distribution\.",
            ModuleNotFoundError,
            True,
        ),
        (
            "cwd = os:getcwd",
            r"The resolver plug-in 'cwd = os:getcwd' \(from corp-hub 1.0, .*\) made a str; expected a resolver, with supports\(handle\) and resolve\(handle, \*\*options\)\.",
            None,
            True,
        ),
        (
            "raises = flaky_hub:Raises",
            r"'corp://a/1': the resolver plug-in 'raises = flaky_hub:Raises' \(.*\) failed in supports\(\): RuntimeError: no route to the company network",
            RuntimeError,
            True,
        ),
        (
            "none = flaky_hub:ReturnsNothing",
            r"'corp://a/1': the resolver plug-in 'none = flaky_hub:ReturnsNothing' \(.*\) returned NoneType; expected the path of a SavedModel directory\.",
            None,
            False,
        ),
    ],
)
def test_a_broken_plugin_is_named_in_a_typed_error(install, entry_point, message, cause, blocks_every_handle, zoo_path):
    install(entry_point, flaky_hub=FLAKY)
    with pytest.raises(ResolverPluginError, match=message) as info:
        rsm.resolve("corp://a/1")
    assert isinstance(info.value, rsm.ReusableError)
    assert type(info.value.__cause__) is (cause or type(None))
    if blocks_every_handle:  # never skipped: a local path meets the same error
        with pytest.raises(ResolverPluginError, match=entry_point):
            rsm.resolve(zoo_path("mul"))
    else:
        assert rsm.resolve(zoo_path("mul")) == Path(zoo_path("mul"))


def test_the_design_document_shows_the_tested_plugin():
    design = DESIGN.read_text()
    assert PLUGIN.read_text() in design and REGISTRATION in design
