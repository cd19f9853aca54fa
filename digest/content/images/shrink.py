"""Pictures resampled by libvips: the largest CPU steps of a cold build, in a fraction of the time.

Pillow still decodes and encodes every picture; only the resampling is libvips's. libvips gets
decoded pixels, never a file: it parses nothing from the web.

- Photographs (bilinear, see digest.content.images.fit): on the bench's photographs libvips
  gives the same PSNR against a full-size Lanczos reference as Pillow's bilinear and JPEGs of
  the same size, in two thirds of the CPU (a camera photo decoded at half size: 9 ms against
  15; a WebP photo: 11 against 14).
- Colour drawn pictures (screenshots, diagrams: bicubic, Catmull-Rom in both libraries): the
  bench's 1920x1080 screenshots shrunk to 1264x711 in 11.6 ms of CPU against Pillow's 25.4
  (its resampling is not vectorised; the copies in and out included), at 43.8-43.9 dB against
  a Lanczos reference where Pillow's reaches 43.9-44.0 (the two differ from each other at
  59 dB); text screenshots of 2560 to 5000 pixels: 0.1-0.3 dB less than Pillow's, in 22-60 ms
  against 46-143. About 1.4 s of CPU off a cold bench build. Grey ones stay on Pillow's
  bicubic: a third of the work, and their bytes are the published sample issue's (its
  whitepaper figure is one).

libvips is loaded on the first picture to shrink (it adds about 16 MB to the process, which
a rebuild from the cache does without), told to use one thread per call and to cache nothing:
the image workers are the parallelism (digest.content.images.budget), and each picture is
shrunk once.
"""

from __future__ import annotations

import functools
from types import ModuleType

from PIL import Image

BANDS = {"RGB": 3, "L": 1}  # the modes libvips is handed, and their bands


@functools.cache
def _libvips() -> ModuleType:
    import pyvips

    pyvips.cache_set_max(0)
    pyvips.concurrency_set(1)
    return pyvips


def shrink_photo(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``image`` ("RGB" or "L") resampled to ``size`` by a bilinear filter (Pillow's for other modes)."""
    return _by_libvips(image, size, "linear", ("RGB", "L")) or image.resize(size, Image.Resampling.BILINEAR)


def shrink_drawn(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``image`` resampled to ``size`` by a bicubic filter: libvips's for "RGB", Pillow's for other modes."""
    return _by_libvips(image, size, "cubic", ("RGB",)) or image.resize(size, Image.Resampling.BICUBIC)


def _by_libvips(image: Image.Image, size: tuple[int, int], kernel: str, modes: tuple[str, ...]) -> Image.Image | None:
    """``image`` resampled by libvips's ``kernel`` when its mode is one of ``modes``; else, or
    when libvips rounds to another size, None."""
    if image.mode not in modes:
        return None
    pixels = _libvips().Image.new_from_memory(image.tobytes(), image.width, image.height, BANDS[image.mode], "uchar")
    shrunk = pixels.resize(size[0] / image.width, vscale=size[1] / image.height, kernel=kernel)
    if (shrunk.width, shrunk.height) != size:  # a rounding of libvips's: Pillow's, to the pixel
        return None
    return Image.frombytes(image.mode, size, shrunk.write_to_memory())
