"""Pictures shrunk by libvips (digest.content.images.shrink): the exact size asked for, the
quality of Pillow's filter (bilinear for photographs, bicubic for colour drawn pictures), grey
drawn pictures left to Pillow, and libvips loaded only when a picture is shrunk."""

from __future__ import annotations

import io
import math
import subprocess
import sys

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageStat

from digest.content.images.shrink import shrink_drawn, shrink_photo


def scene(size: tuple[int, int]) -> Image.Image:
    """Gradients and soft noise: the detail of a photograph, not its grain."""
    return Image.merge("RGB", (Image.linear_gradient("L").resize(size),
                               Image.effect_noise(size, 60).filter(ImageFilter.GaussianBlur(0.5)),
                               Image.radial_gradient("L").resize(size)))


def psnr(image: Image.Image, reference: Image.Image) -> float:
    squares = sum(ImageStat.Stat(ImageChops.difference(image, reference)).sum2)
    return 10 * math.log10(255 ** 2 * len(reference.getbands()) * reference.width * reference.height / squares)


def jpeg_size(image: Image.Image) -> int:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=82, optimize=True)
    return buffer.tell()


@pytest.mark.parametrize("mode", ["RGB", "L"])
@pytest.mark.parametrize("before, after", [((1500, 1000), (1264, 843)), ((2000, 1500), (1264, 948)),
                                           ((1265, 1636), (1264, 1635)), ((4001, 3), (1264, 1)),
                                           ((640, 2400), (448, 1680))])
def test_a_photo_comes_out_at_the_size_asked_for_in_its_own_mode(mode, before, after):
    shrunk = shrink_photo(scene(before).convert(mode), after)
    assert shrunk.size == after and shrunk.mode == mode


def test_a_shrunk_photo_is_as_faithful_and_as_small_as_pillows_bilinear():
    original = scene((3000, 2000))
    size = (1264, 843)
    reference = original.resize(size, Image.Resampling.LANCZOS)
    ours, pillows = shrink_photo(original, size), original.resize(size, Image.Resampling.BILINEAR)
    assert psnr(ours, reference) > psnr(pillows, reference) - 0.5
    assert psnr(ours, reference) > 36  # Pillow's 37.4 dB; its box filter 33.2, nearest neighbour 23.6
    assert abs(jpeg_size(ours) - jpeg_size(pillows)) < 0.05 * jpeg_size(pillows)


def test_other_modes_are_shrunk_by_pillow():
    original = scene((1500, 1000)).convert("CMYK")
    assert shrink_photo(original, (750, 500)).tobytes() == original.resize((750, 500),
                                                                           Image.Resampling.BILINEAR).tobytes()


def test_libvips_is_loaded_only_when_a_picture_is_shrunk():
    probe = ("import sys\n"
             "from PIL import Image\n"
             "from digest.content.images import fit\n"
             "print('pyvips' in sys.modules)\n"
             "from digest.content.images.shrink import shrink_photo\n"
             "shrink_photo(Image.new('RGB', (300, 200)), (150, 100))\n"
             "print('pyvips' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]



def screenshot(size: tuple[int, int]) -> Image.Image:
    """Rows of small text, coloured rules and a dark bar: what a shrunk screenshot must keep legible."""
    image = Image.new("RGB", size, (250, 250, 252))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size[0], 60), fill=(36, 41, 47))
    for row in range(3, size[1] // 24):
        draw.text((20 + row % 7, row * 24), "queue latency cache shard replica " * (size[0] // 220), fill=(30, 30, 30))
        draw.line((0, row * 24 + 19, size[0], row * 24 + 19), fill=(200, 60, 60))
    return image


@pytest.mark.parametrize("before, after", [((1920, 1080), (1264, 711)), ((5000, 3000), (1264, 758)),
                                           ((1265, 1636), (1264, 1635)), ((4001, 3), (1264, 1))])
def test_a_drawn_picture_comes_out_at_the_size_asked_for(before, after):
    shrunk = shrink_drawn(screenshot(before), after)
    assert shrunk.size == after and shrunk.mode == "RGB"


@pytest.mark.parametrize("before", [(1920, 1080), (3840, 2160)])
def test_a_shrunk_screenshot_is_as_faithful_as_pillows_bicubic(before):
    original = screenshot(before)
    size = (1264, round(before[1] * 1264 / before[0]))
    reference = original.resize(size, Image.Resampling.LANCZOS)
    ours, pillows = shrink_drawn(original, size), original.resize(size, Image.Resampling.BICUBIC)
    assert ours.tobytes() != pillows.tobytes()  # libvips's, not Pillow's
    assert psnr(ours, reference) > psnr(pillows, reference) - 0.5  # 0.1-0.2 dB apart
    assert psnr(ours, reference) > 35  # bilinear: about 7 dB less on such text


def test_grey_drawn_pictures_keep_pillows_bicubic_bytes():
    original = screenshot((1265, 1636)).convert("L")
    assert shrink_drawn(original, (1264, 1635)).tobytes() == original.resize(
        (1264, 1635), Image.Resampling.BICUBIC).tobytes()
