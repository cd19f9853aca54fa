"""The image pipeline on images made here with Pillow, one per kind met on real pages."""

from __future__ import annotations

import dataclasses
import io
import math
import struct
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageChops, ImageCms, ImageDraw, ImageFont, ImageStat, features

from digest.content.images.budget import degraded_profiles, fit_budget
from digest.content.images.fit import ImageProfile, content_hash, process_image
from digest.core.errors import ImageError

PROFILE = ImageProfile()
FONTS = Path(__file__).resolve().parent.parent / "assets" / "fonts"
URL = "https://blog.example.com/img/figure.png"
MAGIC = {b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG", b"GIF8": "GIF"}


def photo(size: tuple[int, int], seed_sigma: int = 40) -> Image.Image:
    """Gradients plus sensor-like noise: compresses like a real photograph."""
    return Image.merge("RGB", (Image.linear_gradient("L").resize(size),
                               Image.effect_noise(size, seed_sigma),
                               Image.radial_gradient("L").resize(size)))


def diagram(size: tuple[int, int] = (800, 500)) -> Image.Image:
    """Flat colours and hard edges, like an architecture diagram or a terminal screenshot."""
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for i in range(6):
        draw.rectangle((40 + i * 120, 60, 130 + i * 120, 200), outline=(20, 20, 20), width=3,
                       fill=(230, 240, 255) if i % 2 else (255, 240, 220))
        draw.line((130 + i * 120, 130, 160 + i * 120, 130), fill=(200, 0, 0), width=4)
    return image


def encode(image: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def format_of(data: bytes) -> str:
    return next((name for magic, name in MAGIC.items() if data.startswith(magic)), "other")


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def rgb_at(data: bytes, xy: tuple[int, int]) -> tuple[int, int, int]:
    return opened(data).convert("RGB").getpixel(xy)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_declaring(width: int, height: int) -> bytes:
    """A few dozen bytes of PNG whose header claims ``width`` x ``height`` RGB pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header)
            + png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + png_chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def camera_jpeg() -> bytes:
    """A 3000x2000 camera JPEG stored sideways (EXIF orientation 6) with GPS, ICC and a comment.

    The red block is in the stored top-left corner: upright, it belongs top-right.
    """
    image = photo((3000, 2000))
    ImageDraw.Draw(image).rectangle((0, 0, 400, 400), fill=(255, 0, 0))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneCorp"
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N",
                                  ExifTags.GPS.GPSLatitude: (52.0, 22.0, 1.5)}
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return encode(image, "JPEG", quality=92, exif=exif, icc_profile=icc, comment=b"shot at home")


def animated(image_format: str, **options) -> bytes:
    frames = [Image.new("RGB", (120, 80), colour) for colour in ((0, 0, 200), (200, 0, 0), (0, 200, 0))]
    return encode(frames[0], image_format, save_all=True, append_images=frames[1:],
                  duration=100, loop=0, **options)


# --- conversion ---------------------------------------------------------------------

def test_camera_jpeg_is_turned_upright_fitted_and_stripped(camera_jpeg):
    result = process_image(camera_jpeg, PROFILE, source=URL)

    assert format_of(result.data) == "JPEG" and result.media_type == "image/jpeg"
    assert (result.width, result.height) == (1120, 1680)  # portrait once upright
    assert opened(result.data).size == (result.width, result.height)
    red, green, blue = rgb_at(result.data, (result.width - 40, 40))
    assert red > 200 and green < 60 and blue < 60
    output = opened(result.data)
    assert not output.getexif() and "icc_profile" not in output.info and "comment" not in output.info
    for secret in (b"Exif", b"PhoneCorp", b"shot at home", b"ICC_PROFILE"):
        assert secret not in result.data
    assert result.original_bytes == len(camera_jpeg) > 3 * len(result.data)
    assert result.sha256 == content_hash(result.data)


def test_output_is_deterministic(camera_jpeg):
    transparent = encode(Image.new("RGBA", (300, 300), (255, 0, 0, 128)), "PNG")
    for data in (camera_jpeg, transparent, encode(photo((1500, 1000)), "WEBP"),
                 encode(screenshot((1600, 1000)), "PNG")):
        first = process_image(data, PROFILE)
        again = process_image(bytes(data), ImageProfile())
        assert first.data == again.data


def test_transparency_is_flattened_onto_white():
    image = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((100, 100, 299, 199), fill=(0, 0, 0, 255))
    result = process_image(encode(image, "PNG"), PROFILE, source=URL)

    assert format_of(result.data) == "PNG"
    assert rgb_at(result.data, (5, 5)) == (255, 255, 255)
    assert rgb_at(result.data, (200, 150)) == (0, 0, 0)
    assert opened(result.data).mode in ("L", "RGB", "P")
    assert "transparency" not in opened(result.data).info


def test_palette_gif_transparency_is_flattened_onto_white():
    image = Image.new("P", (60, 40), 1)
    image.putpalette([0, 0, 0, 10, 200, 10] + [0] * 762)
    ImageDraw.Draw(image).rectangle((0, 0, 59, 19), fill=0)
    result = process_image(encode(image, "GIF", transparency=1), PROFILE)
    assert rgb_at(result.data, (30, 30)) == (255, 255, 255)
    assert rgb_at(result.data, (30, 5)) == (0, 0, 0)


@pytest.mark.parametrize("image_format,options", [("GIF", {}), ("WEBP", {"lossless": True}), ("PNG", {})])
def test_animations_keep_their_first_frame(image_format, options):
    result = process_image(animated(image_format, **options), PROFILE, source=URL)
    output = opened(result.data)
    assert format_of(result.data) in ("PNG", "JPEG")
    assert getattr(output, "n_frames", 1) == 1 and not getattr(output, "is_animated", False)
    red, green, blue = output.convert("RGB").getpixel((60, 40))
    assert blue > 150 and red < 50 and green < 50


@pytest.mark.parametrize("image_format,options", [
    ("WEBP", {"quality": 90}), ("TIFF", {}), ("BMP", {}), ("ICO", {"sizes": [(64, 64)]}),
])
def test_other_formats_become_jpeg_or_png(image_format, options):
    image = diagram((64, 64)) if image_format == "ICO" else photo((900, 600))
    data = encode(image, image_format, **options)
    result = process_image(data, PROFILE, source=URL)
    assert format_of(result.data) in ("JPEG", "PNG")
    assert (result.width, result.height) == image.size
    corner = (0, 0, 40, 40)  # averaged: one pixel of noise moves too much through lossy codecs
    expected = ImageStat.Stat(image.crop(corner)).mean
    assert ImageStat.Stat(opened(result.data).convert("RGB").crop(corner)).mean == pytest.approx(expected, abs=12)


def test_avif_is_converted_or_refused_clearly():
    if not features.check("avif"):
        data = b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf" + b"\0" * 64
        with pytest.raises(ImageError, match="AVIF not supported"):
            process_image(data, PROFILE, source=URL)
        return
    result = process_image(encode(photo((800, 600)), "AVIF", quality=70), PROFILE, source=URL)
    assert format_of(result.data) in ("JPEG", "PNG") and (result.width, result.height) == (800, 600)


def test_cmyk_jpeg_becomes_rgb():
    data = encode(Image.new("CMYK", (300, 200), (0, 255, 255, 0)), "JPEG", quality=95)
    result = process_image(data, PROFILE, source=URL)
    assert opened(result.data).mode == "RGB"
    red, green, blue = rgb_at(result.data, (150, 100))
    assert red > 200 and green < 60 and blue < 60


def test_sixteen_bit_grey_png_is_scaled_not_clipped():
    image = Image.new("I;16", (256, 64))
    for x in range(256):
        ImageDraw.Draw(image).line((x, 0, x, 63), fill=x * 257)
    result = process_image(encode(image, "PNG"), PROFILE, source=URL)
    output = opened(result.data).convert("L")
    assert output.getpixel((0, 10)) == 0
    assert output.getpixel((128, 10)) == pytest.approx(128, abs=2)
    assert output.getpixel((255, 10)) == 255


def test_images_fit_the_box_and_are_never_upscaled():
    tall = process_image(encode(diagram((1000, 4000)), "PNG"), PROFILE)
    wide = process_image(encode(photo((5000, 1000)), "JPEG"), PROFILE)
    small = process_image(encode(diagram((300, 200)), "PNG"), PROFILE)
    assert (tall.width, tall.height) == (420, 1680)
    assert (wide.width, wide.height) == (1264, 253)
    assert (small.width, small.height) == (300, 200)


def screenshot(size: tuple[int, int] = (2400, 1600)) -> Image.Image:
    """Anti-aliased text in three colours: hundreds of colours, none of them a photo's."""
    image = Image.new("RGB", size, (248, 248, 248))
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONTS / "DejaVuSans.ttf"), 26)
    for row, y in enumerate(range(20, size[1], 38)):
        draw.text((30, y), f"{row:03d} lambda bucket vpc subnet 10.0.0.0/16 ACTIVE eu-west-1 " * 3,
                  font=font, fill=((20, 20, 20), (0, 102, 204), (180, 40, 40))[row % 3])
    return image


def test_line_art_and_screenshots_become_png_and_photos_jpeg():
    line_art = process_image(encode(diagram(), "PNG"), PROFILE)
    photo_png = process_image(encode(photo((1200, 800)), "PNG"), PROFILE)
    shot = screenshot()
    assert shot.resize((1264, 843), Image.Resampling.LANCZOS).getcolors(256) is None
    screen = process_image(encode(shot, "PNG"), PROFILE)

    assert line_art.media_type == "image/png" and format_of(line_art.data) == "PNG"
    assert opened(line_art.data).convert("RGB").getpixel((135, 130)) == (200, 0, 0)  # exact colour
    assert photo_png.media_type == "image/jpeg" and format_of(photo_png.data) == "JPEG"
    assert screen.media_type == "image/png" and opened(screen.data).mode == "P"
    assert len(screen.data) < len(encode(shot.resize((1264, 843)), "JPEG", quality=82, optimize=True))


def test_a_diagram_saved_as_jpeg_is_shrunk_as_a_drawing_not_as_a_photo():
    # A grey class diagram twice the box's width, as JPEG: few colours, so drawn (bicubic keeps its
    # lines and text: 35 dB against a full-size Lanczos shrink; the photos' bilinear gave 30).
    image = Image.new("L", (2400, 1600), 255)
    draw = ImageDraw.Draw(image)
    for x in range(0, 2400, 60):
        draw.line([(x, 0), (2400 - x, 1600)], fill=60, width=3)
    for y in range(40, 1600, 90):
        draw.text((40, y), "class Parser(Token): parse_string -> ParseResults " * 3, fill=0)
        draw.rectangle((30, y - 10, 2300, y + 30), outline=120, width=2)
    original = encode(image, "JPEG", quality=90)
    fitted = process_image(original, PROFILE)
    reference = opened(original).convert("L").resize((fitted.width, fitted.height), Image.Resampling.LANCZOS)
    error = ImageStat.Stat(ImageChops.difference(opened(fitted.data).convert("L"), reference)).sum2[0]
    assert fitted.media_type == "image/jpeg" and fitted.width == PROFILE.max_width
    assert 10 * math.log10(255 ** 2 * fitted.width * fitted.height / error) > 33


def test_grayscale_profile_gives_grey_images(camera_jpeg):
    grey = dataclasses.replace(PROFILE, grayscale=True)
    for data in (camera_jpeg, encode(diagram(), "PNG")):
        result = process_image(data, grey)
        assert opened(result.data).mode in ("L", "P")
        red, green, blue = rgb_at(result.data, (result.width // 2, 20))
        assert red == green == blue


def test_grey_pictures_become_grey_and_one_colour_pixel_keeps_the_colour():
    # One red pixel off the 8-pixel grid that the first look samples keeps a grey picture in
    # colour: the whole picture is compared when the sample is grey.
    picture = Image.new("RGB", (640, 400), (200, 200, 200))
    ImageDraw.Draw(picture).rectangle((100, 100, 300, 200), fill=(40, 40, 40))
    grey = process_image(encode(picture, "PNG"), PROFILE)
    assert rgb_at(grey.data, (150, 150)) == (40, 40, 40)
    picture.putpixel((13, 27), (255, 0, 0))
    coloured = process_image(encode(picture, "PNG"), PROFILE)
    assert rgb_at(coloured.data, (13, 27)) == (255, 0, 0)


# --- refusals -------------------------------------------------------------------------

@pytest.mark.parametrize("data,reason", [
    (b"", "empty"),
    (encode(Image.new("RGB", (1, 1)), "GIF"), "tracking pixel"),
    (encode(Image.new("RGB", (2, 2)), "PNG"), "tracking pixel"),
    (encode(Image.new("RGB", (600, 1)), "GIF"), "tracking pixel"),
    (b"<!doctype html><html><body>Not found</body></html>", "not an image"),
    (b"\x00\x01garbage" * 50, "not a supported image format"),
    (png_declaring(50_000, 50_000), "decompression bomb"),
    (png_declaring(8_000, 6_000), "decompression bomb"),  # under Pillow's own limit, over ours
    (b'<?xml version="1.0"?>\n<!-- drawn by hand -->\n<svg xmlns="http://www.w3.org/2000/svg">'
     b'<rect width="10" height="10"></svg>', "malformed SVG"),
])
def test_bad_images_are_refused_naming_the_source(data, reason):
    with pytest.raises(ImageError, match=reason) as caught:
        process_image(data, PROFILE, source=URL)
    assert str(caught.value).startswith(URL)
    assert caught.value.source == URL


def test_truncated_jpeg_is_refused(camera_jpeg):
    with pytest.raises(ImageError, match="unreadable image") as caught:
        process_image(camera_jpeg[: len(camera_jpeg) // 2], PROFILE, source=URL)
    assert URL in str(caught.value)


def test_oversized_download_is_refused_unread():
    with pytest.raises(ImageError, match=r"image is 117\.2 KB, over the 50 KB cap"):  # a 200x200 BMP
        process_image(encode(photo((200, 200)), "BMP"), dataclasses.replace(PROFILE, max_bytes=50 * 1024), source=URL)


def test_formats_outside_the_allowlist_are_not_opened():
    with pytest.raises(ImageError, match="not a supported image format"):
        process_image(encode(diagram((100, 100)), "PCX"), PROFILE, source=URL)


# --- size budget ----------------------------------------------------------------------

def test_budget_ladder_goes_down_in_quality_then_in_size():
    steps = [(p.jpeg_quality, p.max_width, p.max_height) for p in degraded_profiles(PROFILE)]
    assert steps[:5] == [(82, 1264, 1680), (70, 1264, 1680), (60, 1264, 1680),
                         (50, 1264, 1680), (40, 1264, 1680)]
    assert steps[5] == (40, 1011, 1344)
    assert all(width >= 400 for _, width, _ in steps) and len(steps) > 6


@pytest.fixture(scope="module")
def issue_images() -> dict[str, bytes]:
    originals = {f"https://blog.example.com/photo{i}.jpg": encode(photo((1000, 750), 30 + i), "JPEG",
                                                                   quality=95) for i in range(4)}
    originals["https://blog.example.com/diagram.png"] = encode(diagram(), "PNG")
    originals["https://blog.example.com/copy-of-photo0.jpg"] = originals["https://blog.example.com/photo0.jpg"]
    originals["https://tracker.example.com/p.gif"] = encode(Image.new("RGB", (1, 1)), "GIF")
    return originals


@pytest.fixture(scope="module")
def unlimited(issue_images):
    return fit_budget(issue_images, PROFILE, budget_bytes=10**9)


def test_budget_met_at_full_quality_changes_nothing(issue_images, unlimited):
    fit = fit_budget(issue_images, PROFILE, budget_bytes=10**9, fixed_bytes=1000)
    assert fit.fits and fit.profile == PROFILE and fit.images == unlimited.images
    assert set(fit.failures) == {"https://tracker.example.com/p.gif"}
    assert "tracking pixel" in str(fit.failures["https://tracker.example.com/p.gif"])
    assert len(fit.images) == 6
    distinct = {image.sha256: len(image.data) for image in fit.images.values()}
    assert len(distinct) == 5  # the copied photo is counted once
    assert fit.total_bytes == 1000 + sum(distinct.values())


def test_budget_lowers_quality_until_the_issue_fits(issue_images, unlimited):
    full = unlimited
    budget = int(full.total_bytes * 0.75)
    fit = fit_budget(issue_images, PROFILE, budget_bytes=budget, fixed_bytes=0)
    assert fit.fits and fit.total_bytes <= budget < full.total_bytes
    assert 40 <= fit.profile.jpeg_quality < 82
    assert fit.profile.max_width == 1264
    assert all(len(fit.images[url].data) < len(full.images[url].data)
               for url in fit.images if url.endswith(".jpg"))


def test_budget_shrinks_images_when_quality_alone_is_not_enough(issue_images, unlimited):
    budget = unlimited.total_bytes // 4
    fit = fit_budget(issue_images, PROFILE, budget_bytes=budget, fixed_bytes=0)
    assert fit.fits and fit.total_bytes <= budget
    assert fit.profile.jpeg_quality == 40 and fit.profile.max_width < 1000
    assert all(image.width <= fit.profile.max_width for image in fit.images.values())


def test_budget_that_cannot_be_met_says_so(issue_images):
    fit = fit_budget(issue_images, PROFILE, budget_bytes=10_000, fixed_bytes=5_000)
    assert not fit.fits and fit.total_bytes > 10_000
    assert fit.profile.max_width < 1264 and len(fit.images) == 6


@pytest.mark.slow  # about 400 JPEG encodes
def test_many_images_far_over_budget_skip_hopeless_steps_and_land_on_the_same_step():
    originals = {f"https://blog.example.com/p{i}.jpg": encode(photo((640, 480), 100 + i), "JPEG", quality=95)
                 for i in range(60)}
    steps = list(degraded_profiles(PROFILE))
    totals = [sum(len(process_image(data, step).data) for data in originals.values()) for step in steps[:5]]
    budget = totals[4]  # only the fifth step (quality 40) fits
    assert totals[3] > 1.1 * budget  # ...and the steps before it are clearly over
    calls = []

    def counting(data, profile, *, source=""):
        calls.append(source)
        return process_image(data, profile, source=source)

    fit = fit_budget(originals, PROFILE, budget_bytes=budget, process=counting)
    assert fit.fits and fit.profile == steps[4]
    # every step in full would be 5 passes (300 fits); here the first and the last step in
    # full, and a tenth of the images for each step in between
    assert len(calls) <= 2 * len(originals) + 4 * len(originals) // 10
