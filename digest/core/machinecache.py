"""Folders digest makes once per machine in the user's cache, from what is installed there.

Each folder is named after a fingerprint of what it is made from, so a new version of any of
those makes a new folder. It is made beside its final name and renamed into place, so no
process ever uses a half-made one; folders of the same kind no digest has used for a month (of
an older version) are removed when a new one is made. The user's cache is
``$XDG_CACHE_HOME/digest``, else ``~/.cache/digest``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

DAY = 24 * 3600
UNUSED_DAYS = 30


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "digest"


def fingerprint(*parts: bytes | Path) -> str:
    """A short hash of ``parts``: bytes as they are, a file by its resolved path, size and time."""
    hashed = []
    for part in parts:
        if isinstance(part, Path):
            path = part.resolve()
            stat = path.stat()
            part = f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()
        hashed.append(part)
    return hashlib.sha256(b"\0\0".join(hashed)).hexdigest()[:16]


def made_folder(kind: str, key: str, make: Callable[[Path], None], *, intact: Callable[[Path], bool],
                make_timeout: float) -> Path:
    """The folder ``<kind>-<key>`` of the user's cache, made by ``make`` (given an empty folder to
    fill) when it is missing or not ``intact``. ``make_timeout``: the longest a make can take, so a
    half-made folder older than that was left by a process killed while making it. Raises OSError
    when the folder cannot be made."""
    folder = cache_dir() / f"{kind}-{key}"
    if folder.is_dir() and not intact(folder):
        log.info("making again the damaged %s", folder)
        shutil.rmtree(folder, ignore_errors=True)
    if folder.is_dir():
        _mark_used(folder)
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    _remove_older(folder.parent, f".{kind}-*", 2 * make_timeout)
    _remove_older(folder.parent, f"{kind}-*", UNUSED_DAYS * DAY)
    building = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        make(building)
        try:
            building.rename(folder)
        except OSError:  # another process got there first: its folder is kept
            if not folder.is_dir():
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return folder


def _remove_older(cache: Path, pattern: str, seconds: float) -> None:
    """Remove the folders of ``cache`` matching ``pattern`` not touched for ``seconds``."""
    for folder in cache.glob(pattern):
        try:
            if time.time() - folder.stat().st_mtime > seconds:
                shutil.rmtree(folder)
                log.info("removed %s, untouched for more than %.0f hours", folder, seconds / 3600)
        except OSError:  # removed by another process meanwhile
            pass


def _mark_used(folder: Path) -> None:
    """Date the folder to its use (at most once a day): the removal of unused folders goes by that date."""
    if time.time() - folder.stat().st_mtime > DAY:
        os.utime(folder)
