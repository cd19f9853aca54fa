"""Folders a killed run left behind, and the private temporary folders a run makes.

Every such folder carries the id of the process that made it. It is a leftover when that
process is gone, or when the process now holding that id started after the folder was made
(the id was reused). A kill -9 runs no cleanup; the next run sweeps what it finds.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

KINDS = ("kindle", "epubcheck", "validate", "images")
"""The private folders a run makes (``private_folder``); only these are swept from the temp folder."""
_swept = False


def made_by_live_process(pid: int, path: Path) -> bool:
    """True while the process ``pid`` that made ``path`` may still be using it."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process: alive
    started = process_start(pid)
    try:
        made = path.lstat().st_mtime
    except FileNotFoundError:
        return False
    # A margin for clock granularity: a process is "newer" only when clearly so.
    return started is None or started <= made + 1


def process_start(pid: int) -> float | None:
    """When process ``pid`` started (epoch seconds), where /proc tells (Linux); else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime "))
        return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def remove(path: Path) -> None:
    """Remove a leftover file, link or folder."""
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def sweep(folder: Path, prefix: str) -> None:
    """Remove the entries of ``folder`` named ``<prefix><pid>`` or ``<prefix><pid>-...`` whose
    process is gone; ``prefix`` is a regular expression."""
    named = re.compile(f"^{prefix}(\\d+)(?:-|$)")
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        match = named.match(name)
        if match is not None and not made_by_live_process(int(match[1]), folder / name):
            log.info("removing %s, left by a run that did not finish", folder / name)
            remove(folder / name)


@contextmanager
def private_folder(kind: str) -> Iterator[Path]:
    """A temporary folder ``digest-<kind>-<pid>-*``, removed on the way out. The first one a
    run makes sweeps those of every kind that killed runs left."""
    assert kind in KINDS, kind
    global _swept
    if not _swept:
        _swept = True
        sweep(Path(tempfile.gettempdir()), f"digest-(?:{'|'.join(KINDS)})-")
    with tempfile.TemporaryDirectory(prefix=f"digest-{kind}-{os.getpid()}-") as folder:
        yield Path(folder)
