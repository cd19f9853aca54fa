"""How decoded pictures are held: the memory blocks Pillow allocates them in, how many decoded
bytes the image workers may hold at once, and how many scans a JPEG may make its decoder run
(see digest.content.images.fit)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image

# Pillow allocates a big picture in blocks of this size (16 MB by default). Past 32 MB glibc maps
# each block on its own and gives it back when freed; smaller ones stay in the arena of the
# worker thread that freed them, so six workers decoding in turn grew to 1.6 GB, not 0.2.
Image.core.set_block_size(64 * 1024 * 1024)

# Decoded pixel bytes all image workers together may hold at once (see DecodeBudget): with 3 workers
# per core each holding a 40-megapixel decode, six hostile PNGs of 150 KB took 3.4-4.5 GB.
DECODE_BUDGET_BYTES = 200_000_000


class DecodeBudget:
    """A counting semaphore on decoded bytes: a worker waits until its picture fits beside the
    others'. A picture bigger than the whole budget waits to be decoded alone."""

    def __init__(self, capacity: int):
        self.capacity, self.held = capacity, 0
        self.changed = threading.Condition()

    @contextmanager
    def hold(self, amount: int) -> Iterator[None]:
        amount = min(amount, self.capacity)
        with self.changed:
            self.changed.wait_for(lambda: self.held + amount <= self.capacity)
            self.held += amount
        try:
            yield
        finally:
            with self.changed:
                self.held -= amount
                self.changed.notify_all()


# Shared by every image worker of the process.
DECODE_BUDGET = DecodeBudget(DECODE_BUDGET_BYTES)


# A progressive JPEG costs its decoder a pass over the whole picture for each scan. Encoders write
# about ten (libjpeg's progressive script: 10 for colour, 6 for grey), while an 86 KB file that
# repeats one scan 5,000 times took 12 s of CPU to decode, and one as big as the download cap
# would take hours. libjpeg-turbo's own tools refuse more than 500 scans (-limitscans).
MAX_JPEG_SCANS = 100
# A marker: 0xFF followed by neither a stuffed zero, a restart marker nor another fill byte.
_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def jpeg_scans(data: bytes, limit: int = MAX_JPEG_SCANS) -> int:
    """The scans (SOS segments) of a JPEG's first picture, counted up to ``limit + 1``.

    The walk goes from marker to marker and skips each scan's entropy-coded data with one regular
    expression search, so a big photograph costs about a millisecond."""
    scans, at = 0, 2
    while scans <= limit and (found := _MARKER.search(data, at)) is not None:
        code = data[found.start() + 1]
        if code == 0xD9:  # EOI: the second picture of an MPO is never decoded
            break
        at = found.end()
        if code not in (0x01, 0xD8):  # every marker but TEM and SOI has a length
            at += int.from_bytes(data[at:at + 2], "big")
        scans += code == 0xDA
    return scans
