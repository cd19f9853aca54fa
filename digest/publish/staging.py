"""The only writer to the output directory: stage a month's files, then swap them into place.

A failed build removes its staging folder and leaves what was published untouched.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from digest.core.config import Config
from digest.core.month import Month

log = logging.getLogger(__name__)


def publication_root(config: Config) -> Path:
    """The folder holding every month of the publication, the site and the catalogs."""
    return config.output.dir / config.publication.slug


def month_dir(config: Config, month: Month) -> Path:
    return publication_root(config) / str(month)


def file_stem(config: Config, month: Month) -> str:
    return f"{config.publication.slug}-{month}"


@contextmanager
def staged(final: Path) -> Iterator[Path]:
    """Yield an empty folder beside ``final``; on success it replaces ``final`` whole."""
    final.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(final)
    stage = Path(tempfile.mkdtemp(prefix=f".{final.name}.building-{os.getpid()}-", dir=final.parent))
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    os.chmod(stage, 0o755)
    _swap_into_place(stage, final)


def _remove_leftovers(final: Path) -> None:
    """Delete staging folders of builds that were killed (their process is gone) before the swap."""
    for folder in final.parent.glob(f".{final.name}.building-*"):
        pid = folder.name.removeprefix(f".{final.name}.building-").split("-")[0]
        if pid.isdigit() and _alive(int(pid)):
            continue  # another build of this month is running right now
        log.info("removing %s, left by a build that did not finish", folder.name)
        shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _swap_into_place(stage: Path, final: Path) -> None:
    retired = None
    if final.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{final.name}.previous-", dir=final.parent))
        retired.rmdir()
        final.rename(retired)
    stage.rename(final)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
    log.info("published %s", final)


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
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
