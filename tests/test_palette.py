"""Pictures of at most 256 colours indexed exactly (digest.content.images.palette): every pixel
kept, the palette exactly the picture's colours in order of use, files as small as median cut's."""

from __future__ import annotations

import random

import pytest
from PIL import Image, ImageDraw

from digest.content.images.encode import png_bytes
from digest.content.images.palette import ROWS_AT_ONCE, indexed_exactly


def chart(size: tuple[int, int], colours: int, seed: int = 1) -> Image.Image:
    """Bars in ``colours`` - 1 colours on white, a few of them nearly alike (one step apart)."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    fills = [(10 + i * 3, 200 - i, 100 + (i % 2)) for i in range(colours - 1)]
    for bar, fill in enumerate(fills):
        left = bar * size[0] // len(fills)
        draw.rectangle((left, rng.randrange(size[1] // 2), left + size[0] // len(fills) - 1, size[1] - 1), fill=fill)
    return image


@pytest.mark.parametrize("size, colours", [((640, 400), 4), ((1264, 711), 256), ((300, 2 * ROWS_AT_ONCE + 7), 31),
                                           ((1, 1), 1)])
def test_every_pixel_is_kept_and_the_palette_is_exactly_the_pictures_colours(size, colours):
    image = chart(size, colours) if colours > 1 else Image.new("RGB", size, (1, 2, 3))
    found = image.getcolors(256)
    indexed = indexed_exactly(image, found)
    assert indexed.mode == "P"
    assert indexed.convert("RGB").tobytes() == image.tobytes()
    palette = indexed.getpalette()
    entries = [tuple(palette[i:i + 3]) for i in range(0, len(palette), 3)]
    assert len(entries) == len(found) and sorted(entries) == sorted(colour for _, colour in found)
    counts = {colour: count for count, colour in found}
    assert [counts[entry] for entry in entries] == sorted(counts.values(), reverse=True)  # most used first


def test_grey_pictures_are_indexed_with_grey_entries():
    image = Image.linear_gradient("L").resize((256, 64)).point(lambda v: v // 16 * 16)  # 16 greys
    indexed = indexed_exactly(image, image.getcolors(16))
    assert indexed.convert("L").tobytes() == image.tobytes()
    assert all(len(set(indexed.getpalette()[i:i + 3])) == 1 for i in range(0, 48, 3))


def test_the_png_is_about_as_small_as_median_cuts_and_keeps_its_bit_depth():
    image = chart((640, 400), 4, seed=7)
    ours = png_bytes(indexed_exactly(image, image.getcolors(256)))
    theirs = png_bytes(image.quantize(4, Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE))
    assert len(ours) < 1.05 * len(theirs)
    assert ours[24] == 2  # the IHDR's bit depth: 4 colours take 2 bits a pixel, as median cut's
