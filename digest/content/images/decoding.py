"""How decoded pictures are held: the memory blocks Pillow allocates them in, and how many
decoded bytes the image workers may hold at once (see digest.content.images.fit)."""

from __future__ import annotations

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
