"""Photographs shrunk by libvips: the largest CPU step of a cold build, in two thirds of the time.

Pillow still decodes and encodes every picture; only the resampling of a photograph (bilinear,
see digest.content.images.fit) is libvips's. libvips gets decoded pixels, never a file: it
parses nothing from the web. On the bench's photographs it gives the same PSNR against a
full-size Lanczos reference as Pillow's bilinear and JPEGs of the same size, in two thirds of
the CPU (a camera photo decoded at half size: 9 ms against 15; a WebP photo: 11 against 14).
A cold bench build takes 2 s less CPU (28.1 -> 26.0 s, 3 runs each) and 1.2 s less time.
Drawn pictures (screenshots, diagrams) stay on Pillow's bicubic: libvips's cubic gives other
bytes, and the sample issue's whitepaper figure is one of them.

libvips is loaded on the first photograph to shrink (it adds about 16 MB to the process, which
a rebuild from the cache does without), told to use one thread per call and to cache nothing:
the image workers are the parallelism (digest.content.images.budget), and each picture is
shrunk once.
"""

from __future__ import annotations

import functools
from types import ModuleType

from PIL import Image

BANDS = {"RGB": 3, "L": 1}


@functools.cache
def _libvips() -> ModuleType:
    import pyvips

    pyvips.cache_set_max(0)
    pyvips.concurrency_set(1)
    return pyvips


def shrink_photo(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``image`` ("RGB" or "L") resampled to ``size`` by a bilinear filter (Pillow's for other modes)."""
    bands = BANDS.get(image.mode)
    if bands is not None:
        pixels = _libvips().Image.new_from_memory(image.tobytes(), image.width, image.height, bands, "uchar")
        shrunk = pixels.resize(size[0] / image.width, vscale=size[1] / image.height, kernel="linear")
        if (shrunk.width, shrunk.height) == size:  # else a rounding of libvips's: Pillow's, to the pixel
            return Image.frombytes(image.mode, size, shrunk.write_to_memory())
    return image.resize(size, Image.Resampling.BILINEAR)
