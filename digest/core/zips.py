"""Byte-reproducible zip files: fixed timestamps, permissions, order and compression."""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

# Deflating what is compressed already costs time and saves nothing: store it.
ALREADY_COMPRESSED = (".jpg", ".jpeg", ".png", ".gif", ".epub", ".azw3", ".mobi", ".zip")

Member = tuple[str, "bytes | Path"]
"""An archive name and its content: bytes, or a file streamed from disk."""


def write_zip(target: BinaryIO, members: Iterable[Member], moment: datetime) -> None:
    """Write ``members`` in order, every entry stamped ``moment``; files are streamed, not loaded.

    ``mimetype`` (first, in an EPUB) and already-compressed files are stored uncompressed.
    """
    stamp = moment.timetuple()[:6]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in members:
            entry = zipfile.ZipInfo(name, date_time=stamp)
            entry.create_system = 3
            entry.external_attr = 0o100644 << 16
            stored = name == "mimetype" or name.lower().endswith(ALREADY_COMPRESSED)
            entry.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            if isinstance(content, Path):
                with content.open("rb") as source, archive.open(entry, "w") as sink:
                    shutil.copyfileobj(source, sink, 1 << 20)
            else:
                archive.writestr(entry, content)


def reproducible_zip(data: BinaryIO, moment: datetime) -> bytes:
    """The same zip with fixed metadata (ebooklib stamps every entry with 'now'); order is kept.

    ``data`` is read where it is (a BytesIO is not copied): a 45 MB book is held twice, not three times."""
    source = zipfile.ZipFile(data)
    out = io.BytesIO()
    write_zip(out, ((info.filename, source.read(info)) for info in source.infolist()), moment)
    return out.getvalue()
