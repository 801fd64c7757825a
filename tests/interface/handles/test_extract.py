"""Safe extraction: unsafe members reject the whole archive and leave nothing behind."""

import io
import tarfile

import pytest

from fixtures.remote_server import leftovers
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.interface.handles import _extract as extract


def _archive(path, *members):
    """A .tar.gz with a saved_model.pb plus the given (TarInfo, data) members."""
    with tarfile.open(path, "w:gz") as tar:
        good = tarfile.TarInfo("saved_model.pb")
        good.size = 3
        tar.addfile(good, io.BytesIO(b"abc"))
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data else None)
    return path


def _file(name, data=b"x"):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _link(name, target, kind=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, None


def _special(name, kind):
    info = tarfile.TarInfo(name)
    info.type = kind
    return info, None


@pytest.mark.parametrize(
    "member, reason",
    [
        (_file("../escape"), "absolute path or '..' segment"),
        (_file("variables/../../escape"), "absolute path or '..' segment"),
        (_file("/etc/evil"), "absolute path or '..' segment"),
        (_link("link", "/etc/passwd"), "link to '/etc/passwd', which is absolute or has a '..' segment"),
        (_link("link", "../../outside"), "link to '../../outside', which is absolute or has a '..' segment"),
        (_link("hard", "../x", tarfile.LNKTYPE), "link to '../x', which is absolute or has a '..' segment"),
        (_special("dev", tarfile.CHRTYPE), "device file or FIFO"),
        (_special("blk", tarfile.BLKTYPE), "device file or FIFO"),
        (_special("fifo", tarfile.FIFOTYPE), "device file or FIFO"),
    ],
    ids=["dotdot", "nested-dotdot", "absolute", "symlink-absolute", "symlink-dotdot", "hardlink-dotdot", "chr", "blk", "fifo"],
)
def test_unsafe_member_rejects_the_archive(tmp_path, member, reason):
    archive = _archive(tmp_path / "bad.tar.gz", _file("variables/ok"), member)
    dest = tmp_path / "out"
    with pytest.raises(rsm.DownloadError, match=rf"refused unsafe archive member {member[0].name!r}: {reason}"):
        extract.extract(archive, dest)
    assert not dest.exists()
    assert not (tmp_path / "escape").exists()


def test_unsafe_archive_through_load_leaves_the_cache_clean(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("RSM_CACHE_DIR", str(cache))
    archive = _archive(tmp_path / "bad.tgz", _link("variables", "/tmp"))
    with pytest.raises(rsm.DownloadError, match="refused unsafe archive member 'variables'"):
        rsm.load(archive)
    assert leftovers(cache) == [] and not list(cache.glob("rsm-*.rsm.json"))


def test_links_inside_the_tree_are_kept(tmp_path):
    archive = _archive(tmp_path / "ok.tar.gz", _file("assets/vocab.txt", b"a\nb\n"), _link("assets/alias.txt", "vocab.txt"))
    root = extract.extract(archive, tmp_path / "out")
    assert (root / "assets" / "alias.txt").read_text() == "a\nb\n"


def test_modes_are_sanitized(tmp_path):
    info, data = _file("variables/run.sh", b"#!/bin/sh\n")
    info.mode = 0o6777  # setuid, setgid, world-writable
    root = extract.extract(_archive(tmp_path / "m.tar.gz", (info, data)), tmp_path / "out")
    assert (root / "variables" / "run.sh").stat().st_mode & 0o7022 == 0


def _members_archive(path, count, mode="w:gz"):
    with tarfile.open(path, mode) as tar:
        for i in range(count):
            tar.addfile(tarfile.TarInfo(f"model/f{i}"))
    return path


def test_limits_come_from_keywords_then_environment(tmp_path, monkeypatch):
    archive = _members_archive(tmp_path / "m.tar.gz", 20)
    monkeypatch.setenv("RSM_MAX_EXTRACT_MEMBERS", "5")
    with pytest.raises(extract.ArchiveLimitError, match="more than 5 archive members; raise RSM_MAX_EXTRACT_MEMBERS"):
        extract.extract(archive, tmp_path / "a")
    assert not (tmp_path / "a").exists()
    with pytest.raises(rsm.HandleError, match="saved_model.pb"):  # within 50: unpacked, then no model
        extract.extract(archive, tmp_path / "b", limits=extract.ExtractLimits.resolve(max_members=50))
    monkeypatch.setenv("RSM_MAX_EXTRACT_MEMBERS", "many")
    with pytest.raises(rsm.HandleError, match="RSM_MAX_EXTRACT_MEMBERS: expected a positive number, got 'many'"):
        extract.extract(archive, tmp_path / "c")


@pytest.mark.parametrize("mode", ["w:xz", "w:bz2"])
def test_only_gzip_or_plain_tar(tmp_path, mode):
    archive = _members_archive(tmp_path / "m.tar.gz", 1, mode)
    with pytest.raises(rsm.DownloadError, match="expected a gzip-compressed tar archive"):
        extract.extract(archive, tmp_path / "a", compression="gz")
    with pytest.raises(rsm.DownloadError, match="got truncated or corrupt data"):
        extract.extract(archive, tmp_path / "b")  # not gzip by its magic: read as plain tar
