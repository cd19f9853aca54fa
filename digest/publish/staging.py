"""The only writer to the output directory: stage a month's files, then swap them into place.

A month folder (``<dir>/<slug>/<YYYY-MM>``) is a symbolic link to a version of the month
kept in ``<dir>/.<slug>-versions/``. A build stages its files in a new version and then
replaces the link with ``os.replace``, one atomic step: a reader, or a build killed at any
moment, sees the old month or the new one, never none. The versions sit beside the
publication, not inside it, so a site upload that follows links carries each month once.

A month folder that is still a real folder (published before versions, or restored from a
release zip) is moved into the versions first; a journal says so, and if the build dies
between that move and the link, the next run (a build, the site, ``verify``) completes it.
Whatever a killed build left behind (versions no link points to, journals, temporary
links, the staging folders of older releases) is swept by the next run, never while the
process that made it is alive.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from digest.core.config import Config
from digest.core.leftovers import made_by_live_process, remove, sweep
from digest.core.month import Month

log = logging.getLogger(__name__)

# Names inside the versions folder: "<month>.<state>-<pid>-<unique>".
VERSION_RE = re.compile(r"^(?P<month>\d{4}-\d{2})\.(?P<state>building|ready|moved)-(?P<pid>\d+)-[^/]*$")
MONTH_PREFIX = re.compile(r"^(\d{4}-\d{2})\.")
HIDDEN_MONTH_PREFIX = re.compile(r"^\.(\d{4}-\d{2})\.")
JOURNAL = ".swap"


def publication_root(config: Config) -> Path:
    """The folder holding every month of the publication, the site and the catalogs."""
    return config.output.dir / config.publication.slug


def month_dir(config: Config, month: Month) -> Path:
    return publication_root(config) / str(month)


def file_stem(config: Config, month: Month) -> str:
    return f"{config.publication.slug}-{month}"


def versions_dir(root: Path) -> Path:
    """Where the versions of the months of the publication at ``root`` live (beside it)."""
    return root.parent / f".{root.name}-versions"


@contextmanager
def staged(final: Path) -> Iterator[Path]:
    """Yield an empty folder; on success it becomes ``final``'s content in one atomic step."""
    versions = versions_dir(final.parent)
    versions.mkdir(parents=True, exist_ok=True)
    final.parent.mkdir(parents=True, exist_ok=True)
    settle(final)
    stage = Path(tempfile.mkdtemp(prefix=f"{final.name}.building-{os.getpid()}-", dir=versions))
    try:
        yield stage
        os.chmod(stage, 0o755)
        ready = stage.with_name(stage.name.replace(".building-", ".ready-", 1))
        stage.rename(ready)
    except BaseException as exc:
        shutil.rmtree(stage, ignore_errors=True)
        raise _located(exc, final)
    try:
        _swap_into_place(ready, final)
    except BaseException as exc:
        if _target(final) != ready.resolve():
            shutil.rmtree(ready, ignore_errors=True)
        raise _located(exc, final)
    log.info("published %s", final)


def _located(exc: BaseException, path: Path) -> BaseException:
    """``exc``, naming ``path`` when it is an OSError that names no file (a write to a full disk)."""
    if isinstance(exc, OSError) and exc.filename is None:
        exc.filename = str(path)
    return exc


def _swap_into_place(ready: Path, final: Path) -> None:
    previous = _target(final)
    if final.is_dir() and previous is None:  # a real folder: move it among the versions first
        journal = ready.parent / f"{final.name}{JOURNAL}"
        write_atomically(journal, ready.name.encode())
        moved = Path(tempfile.mkdtemp(prefix=f"{final.name}.moved-{os.getpid()}-", dir=ready.parent))
        moved.rmdir()
        final.rename(moved)
        try:
            _link(final, ready)
        except BaseException:
            moved.rename(final)
            journal.unlink(missing_ok=True)
            raise
        journal.unlink()
        shutil.rmtree(moved, ignore_errors=True)
        return
    _link(final, ready)
    if previous is not None and previous.parent == ready.parent and previous != ready:
        shutil.rmtree(previous, ignore_errors=True)


def _link(final: Path, version: Path) -> None:
    """Point ``final`` at ``version`` with one rename of a new link over the old one."""
    temporary = final.with_name(f".{final.name}.link-{os.getpid()}")
    temporary.unlink(missing_ok=True)
    os.symlink(os.path.relpath(version, final.parent), temporary)
    os.replace(temporary, final)


def _target(final: Path) -> Path | None:
    """The version ``final`` links to, or None when it is not a link."""
    if not final.is_symlink():
        return None
    return (final.parent / os.readlink(final)).resolve()


def settle(final: Path) -> None:
    """Finish or undo what a killed build left at ``final``, and sweep its leftovers.

    A journal whose build is gone links the version it names (the new month, complete and
    checked). A month folder missing beside an older release's ``.previous-`` folder gets
    that folder back. Then every version nothing links to, and every staging folder or
    temporary link, whose process is gone, is removed.
    """
    versions = versions_dir(final.parent)
    journal = versions / f"{final.name}{JOURNAL}"
    if journal.is_file():
        named = versions / journal.read_text(encoding="utf-8", errors="replace").strip()
        match = VERSION_RE.match(named.name)
        if match is None or not made_by_live_process(int(match["pid"]), journal):
            if match is not None and named.is_dir() and not final.is_dir():
                log.info("completing the swap of %s that a killed build left half done", final)
                _link(final, named)
            journal.unlink(missing_ok=True)
    _restore_previous(final)
    current = _target(final)
    for folder in versions.glob(f"{final.name}.*") if versions.is_dir() else ():
        match = VERSION_RE.match(folder.name)
        if match is not None and folder.resolve() != current \
                and not made_by_live_process(int(match["pid"]), folder):
            log.info("removing %s, left by a build that did not finish", folder)
            remove(folder)
    # This release's temporary links, and older releases' staging folders.
    sweep(final.parent, re.escape(f".{final.name}.") + "(?:building|link)-")
    if final.exists():
        for previous in final.parent.glob(f".{final.name}.previous-*"):
            remove(previous)


def _restore_previous(final: Path) -> None:
    """Releases before versions swapped in two renames; a kill between them left the old
    month as ``.<month>.previous-*`` and no month folder."""
    if final.exists() or final.is_symlink():
        return
    previous = sorted(final.parent.glob(f".{final.name}.previous-*"), key=lambda p: p.stat().st_mtime)
    if previous:
        log.info("restoring %s from %s, left by a build killed while swapping", final, previous[-1].name)
        previous[-1].rename(final)


def settle_all(root: Path) -> None:
    """``settle`` every month of the publication at ``root`` that has versions or leftovers."""
    names: set[str] = set()
    for folder, pattern in ((versions_dir(root), MONTH_PREFIX), (root, HIDDEN_MONTH_PREFIX)):
        if folder.is_dir():
            names |= {match[1] for match in map(pattern.match, os.listdir(folder)) if match}
    for name in sorted(names):
        settle(root / name)


def write_atomically(path: Path, data: bytes | Callable[[BinaryIO], None]) -> None:
    """Replace ``path`` whole: readers see the old file or the new one, never half of one.

    ``data`` is the content, or a function that writes it to the open file.
    """
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            data(out) if callable(data) else out.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException as exc:
        Path(temp).unlink(missing_ok=True)
        raise _located(exc, path)
