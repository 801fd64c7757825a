"""Every file of a SavedModel lies inside its directory: no link leads to a file elsewhere.

TensorFlow opens assets and checkpoint shards by path. A symbolic link in the model
directory makes it read (and `rsm.save` copy into a new export) whatever file the link
names; a hard link is the same file under a second name, which no path check can see.
So, before anything reads the model, every entry under its directory must be a
directory, a regular file whose every hard link is also inside the directory, or a
symbolic link that resolves inside it.

One layout legitimately links out: a Hugging Face cache snapshot
(`.../models--ORG--REPO/snapshots/REV/...`), whose files are symbolic links to the same
repository's `blobs/`. That folder counts as inside for a snapshot.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from reusable_savedmodel.interface._errors import UnsafeModelError

#: The file that makes a directory a SavedModel: binary, or as text (the first is preferred).
SAVED_MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")
_ASSETS = "assets"
#: Hugging Face's cache: snapshots/REV/... link to blobs/ beside snapshots/.
_HF_SNAPSHOTS, _HF_BLOBS = "snapshots", "blobs"


def _roots(model: Path) -> list[Path]:
    """The real directories the model's files may lie in: its own, and an HF snapshot's blobs."""
    roots = [model]
    for parent in model.parents:
        if parent.name == _HF_SNAPSHOTS:
            if (parent.parent / _HF_BLOBS).is_dir():
                roots.append((parent.parent / _HF_BLOBS).resolve())
            break
    return roots


def _inside(path: Path, roots: Iterable[Path]) -> bool:
    return any(path.is_relative_to(root) for root in roots)


def _raise(error: OSError) -> None:
    raise error  # os.walk would skip an unreadable directory silently


def outside_files(model: Path) -> list[str]:
    """What in a SavedModel directory leads outside it, one description per entry.

    Args:
      model: The SavedModel directory (itself it may be reached through a link).

    Returns:
      Descriptions ("assets/vocab.txt -> /home/me/secret"), sorted; empty if every file
      lies inside, or if there is no directory (the caller reports a missing model).

    Raises:
      OSError: if the directory cannot be listed.
    """
    if not model.is_dir():
        return []
    real = model.resolve(strict=True)
    roots = _roots(real)
    found: list[str] = []
    # (st_dev, st_ino) -> [hard links the file has, names seen inside, one such name]
    inodes: dict[tuple[int, int], list] = {}
    for directory, dirs, files in os.walk(real, onerror=_raise):
        for name in dirs + files:
            path = Path(directory, name)
            relative = path.relative_to(real).as_posix()
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError) as error:  # dangling, or a loop
                    found.append(f"{relative} is a link that leads nowhere ({error})")
                    continue
                if not _inside(target, roots):
                    found.append(f"{relative} -> {target}")
                elif not _inside(target, roots[:1]) and target.stat().st_nlink > 1:
                    found.append(f"{relative} -> {target}, which has other hard links")
            elif stat.S_ISREG(info.st_mode) and info.st_nlink > 1:
                seen = inodes.setdefault((info.st_dev, info.st_ino), [info.st_nlink, 0, relative])
                seen[1] += 1
            elif not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
                found.append(f"{relative} is neither a regular file nor a directory")
    for links, names, relative in inodes.values():
        if links > names:
            found.append(f"{relative} is a hard link to a file elsewhere ({links - names} more name(s) outside)")
    return sorted(found)


def require_contained(model: Path, label: str) -> None:
    """Refuses a SavedModel with a file that leads outside its directory (see module docs).

    Args:
      model: The SavedModel directory.
      label: How to name the model in messages.

    Raises:
      UnsafeModelError: naming each link that leads outside, and where.
      OSError: if the directory cannot be listed.
    """
    found = outside_files(model)
    if found:
        raise UnsafeModelError(
            f"{label}: refused: every file of a SavedModel must lie inside its directory "
            f"{model}, but {'; '.join(found)}. Reading the model would read (and re-exporting "
            f"it would copy) those files; copy the files themselves into the model instead."
        )


def saved_model_dir(asset: Path) -> Path | None:
    """The SavedModel directory an asset file belongs to: `MODEL` for `MODEL/assets/...`.

    Args:
      asset: An asset's file path (a loaded model's assets point into its `assets/`).

    Returns:
      The directory holding `saved_model.pb` above the asset's `assets/`, or None if the
      asset lies in no SavedModel's `assets/` (an in-process asset anywhere else).
    """
    for parent in asset.parents:
        if parent.name == _ASSETS and any((parent.parent / name).is_file() for name in SAVED_MODEL_FILES):
            return parent.parent
    return None
