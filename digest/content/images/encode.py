"""Encoding a fitted picture into bytes, on every core at once.

Into a BytesIO, Pillow's JPEG encoder holds the GIL from start to end (1.85 s of the 6.4 s a
bench build's threads held it, by py-spy --gil), so two fitting workers never encoded at the
same time. Into a file, ImageFile._save hands the encoder the descriptor and it runs in one
call without the GIL: the same bytes. The file is in memory and has no name (memfd on Linux,
else an unnamed temporary file); where neither can be made, the BytesIO.
"""

from __future__ import annotations

import io
import os
import tempfile
from typing import IO

from PIL import Image


def jpeg_bytes(image: Image.Image, quality: int) -> bytes:
    """``image`` as a baseline JPEG with optimised Huffman tables (what Pillow writes of
    ``image.info`` goes in: the caller empties it to strip the metadata)."""
    try:
        file: IO[bytes] = _scratch_file()
    except OSError:
        file = io.BytesIO()
    with file:
        image.save(file, "JPEG", quality=quality, optimize=True, progressive=False)
        file.seek(0)
        return file.read()


def png_bytes(image: Image.Image) -> bytes:
    """``image`` as PNG. zlib level 8, not 9 (Pillow's optimize): on a shrunk screenshot 10 ms
    instead of 23, 0.2% larger. Pillow's PNG writer compresses without the GIL either way."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=8)
    return buffer.getvalue()


def _scratch_file() -> IO[bytes]:
    if hasattr(os, "memfd_create"):
        return os.fdopen(os.memfd_create("digest-jpeg", os.MFD_CLOEXEC), "w+b")
    return tempfile.TemporaryFile()
