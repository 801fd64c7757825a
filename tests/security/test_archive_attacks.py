"""Archives that would fill the disk, exhaust inodes, smuggle other formats or escape.

The heavy ones run in a child process with resource limits (file size, CPU) and a timeout,
so a regression fails the test instead of filling the disk or hanging CI.
"""

from __future__ import annotations

import io
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest

from fixtures import bounded
from reusable_savedmodel import interface as rsm

_CHILD = textwrap.dedent(
    """
    import resource, sys
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 20, 64 << 20))  # no file over 64 MiB
    resource.setrlimit(resource.RLIMIT_CPU, (120, 120))
    import io, os, tarfile
    from pathlib import Path
    from reusable_savedmodel.interface.handles import _extract as extract

    class Zeros(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, buffer):
            buffer[:] = bytes(len(buffer))
            return len(buffer)

    kind, work = sys.argv[1], Path(sys.argv[2])
    archive = work / "bomb.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        if kind == "bomb":  # 256 MiB of zeros: a few hundred KiB packed
            info = tarfile.TarInfo("model/variables/variables.data-00000-of-00001")
            info.size = 256 << 20
            tar.addfile(info, io.BufferedReader(Zeros()))
        else:  # 200,000 empty members
            for i in range(200_000):
                tar.addfile(tarfile.TarInfo(f"model/f{i}"))
    try:
        extract.extract(archive, work / "tree", label="bomb", compression="gz")
    except extract.ArchiveLimitError as error:
        print("REFUSED", error)
    print("LEFT", os.path.exists(work / "tree"))
    """
)


def _run_child(kind: str, work: Path, **env: str) -> str:
    import os

    done = bounded.run(
        [sys.executable, "-c", _CHILD, kind, str(work)],
        capture_output=True, text=True, cpu_s=480, env={**os.environ, **env},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_decompression_bomb_is_refused_while_streaming(tmp_path):
    out = _run_child("bomb", tmp_path, RSM_MAX_COMPRESSION_RATIO="100")
    assert "REFUSED" in out and "exceeds the compression ratio 100" in out
    assert "LEFT False" in out


def test_bytes_limit(tmp_path):
    out = _run_child("bomb", tmp_path, RSM_MAX_EXTRACT_BYTES=str(32 << 20))
    assert "members add up to more than 33,554,432 bytes" in out and "LEFT False" in out


def test_two_hundred_thousand_members(tmp_path):
    out = _run_child("members", tmp_path)
    assert "more than 100,000 archive members" in out and "LEFT False" in out


def _archive(path: Path, mode: str, add) -> Path:
    with tarfile.open(path, mode) as tar:
        add(tar)
    return path


def test_bz2_under_a_gzip_name_is_refused(tmp_path, zoo_path, monkeypatch, outside):
    monkeypatch.setenv("RSM_CACHE_DIR", str(tmp_path / "cache"))
    archive = _archive(tmp_path / "m.tar.gz", "w:bz2", lambda t: t.add(zoo_path("mul"), arcname="."))
    with pytest.raises(rsm.DownloadError, match="expected a gzip-compressed tar archive"):
        rsm.resolve(archive)


@pytest.mark.parametrize("link", ["../../outside/secret.txt", "/etc/passwd", "a/../../x"])
def test_links_out_of_the_archive_are_refused(tmp_path, monkeypatch, outside, link):
    monkeypatch.setenv("RSM_CACHE_DIR", str(tmp_path / "cache"))

    def add(tar):
        info = tarfile.TarInfo("model/saved_model.pb")
        info.type, info.linkname = tarfile.SYMTYPE, link
        tar.addfile(info)
        data = b"escaped"
        member = tarfile.TarInfo("model/saved_model.pb")
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))

    archive = _archive(tmp_path / "m.tar.gz", "w:gz", add)
    with pytest.raises(rsm.DownloadError, match="refused unsafe archive member"):
        rsm.resolve(archive)
    assert not list((tmp_path / "cache").glob("rsm-*/**/saved_model.pb"))


def _member(tar, name: str, kind: str = "file", target: str = "") -> None:
    info = tarfile.TarInfo(name)
    data = b"x"
    if kind == "dir":
        info.type = tarfile.DIRTYPE
    elif kind in ("sym", "hard"):
        info.type, info.linkname = (tarfile.SYMTYPE if kind == "sym" else tarfile.LNKTYPE), target
    else:
        info.size = len(data)
    tar.addfile(info, io.BytesIO(data) if kind == "file" else None)


@pytest.mark.parametrize(
    "members, raw, reason",
    [
        ([("m/a", "hard", "m/nothere")], KeyError, r"'m/a': a hard link to 'm/nothere', which is no earlier file"),
        ([("m/a", "sym", "a"), ("m/a/b", "file")], FileExistsError, r"'m/a/b': it lies under 'm/a', which is a link"),
        ([("", "file")], IsADirectoryError, r"'': a file with an empty name"),
        ([("m/" + "a" * 300, "file")], OSError, r"'m/a+'\.\.\. \(302 characters\): a path component longer than 255 bytes"),
        ([("m/" + "/".join(["b" * 200] * 25), "file")], OSError, r".*: a name of 5,026 bytes, more than the"),
        ([("m/v", "file"), ("m/v/x", "file")], NotADirectoryError, r"'m/v/x': it lies under 'm/v', which is a file"),
        ([("m/v", "dir"), ("m/v", "file")], IsADirectoryError, r"'m/v': it is declared as a file and as a directory"),
    ],
    ids=["hardlink-to-nothing", "symlink-loop", "empty-name", "long-component", "long-path", "file-then-dir", "dir-then-file"],
)
def test_malformed_member_layouts_are_refused_before_writing(tmp_path, monkeypatch, outside, members, raw, reason):
    monkeypatch.setenv("RSM_CACHE_DIR", str(tmp_path / "cache"))

    def add(tar):
        _member(tar, "m/saved_model.pb")
        for member in members:
            _member(tar, *member)

    archive = _archive(tmp_path / "m.tar", "w", add)
    # What tarfile itself does with it: a raw error (the data filter lets each one through).
    with tarfile.open(archive) as tar, pytest.raises(raw):
        tar.extractall(tmp_path / "raw", filter="data")
    with pytest.raises(rsm.DownloadError, match=rf"refused unsafe archive member {reason}") as info:
        rsm.resolve(archive)
    assert "cannot write to the cache directory" not in str(info.value)
    assert [p.name for p in (tmp_path / "cache").iterdir() if ".rsm-tmp." in p.name] == []
