"""Turn any downloaded image into a small, metadata-free JPEG or PNG sized for e-ink.

A pure library: bytes in, bytes out, no network and no store. The same input bytes and
profile always give the same output bytes, so EPUBs built from cached originals stay
byte-reproducible.

An image that already fits the box as a baseline JPEG or an indexed or grey PNG keeps its
compressed data, only its metadata dropped (digest.content.images.keep). Otherwise the
output rule (see ``_encode``) applies: an image is a *photo* when the original is a JPEG or has
more than 4096 colours once decoded (before resizing); photos become JPEG at the
profile's quality. Everything else is *drawn* (diagrams, charts, screenshots, line art,
grey images) and is encoded both as PNG and as JPEG, and the smaller file wins (PNG on a
tie). The PNG is indexed: exact when the resized image has at most 256 colours (16 for
grey ones), else octree-quantised to at most 256 colours without dithering, which keeps
text crisp and makes a shrunk screenshot about half the size of its JPEG. JPEG wins more
often as the budget lowers the quality.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass
from functools import cache

from PIL import ExifTags, Image, ImageChops, ImageCms, ImageFile, ImageOps, features

from digest.content.images.decoding import DECODE_BUDGET, MAX_JPEG_SCANS, jpeg_scans
from digest.content.images.encode import jpeg_bytes, png_bytes
from digest.content.images.keep import PNG_SIGNATURE, lossless_copy
from digest.content.images.palette import indexed_exactly
from digest.content.images.shrink import shrink_drawn, shrink_photo
from digest.content.images.svg import rasterise_svg
from digest.core.errors import ImageError
from digest.core.models import ImageData, data_bytes, data_size
from digest.core.vocabulary import MB, size_text

log = logging.getLogger(__name__)

# What Pillow may open. An allowlist keeps it away from EPS (runs Ghostscript), PSD, PDF...
READABLE = ("JPEG", "PNG", "GIF", "WEBP", "AVIF", "TIFF", "BMP", "DIB", "ICO")
# The JPEG opener calls camera JPEGs that carry a second (preview) picture "MPO".
JPEG_SOURCES = {"JPEG", "MPO"}
PAPER = (255, 255, 255)
# Screenshots and diagrams have hundreds of colours (anti-aliasing); photographs many thousands.
DRAWN_MAX_COLOURS = 4096
ICO_MAGIC = b"\x00\x00\x01\x00"
# A leading XML prolog, comments or doctype (with an internal subset) may come before the root element.
SVG_ROOT = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*|<!--.*?-->\s*|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>\s*)*<svg[\s>]",
                      re.S | re.I)


@dataclass(frozen=True)
class ImageProfile:
    """How images are fitted for the reading device. The defaults suit a 300 ppi e-ink Kindle."""

    max_width: int = 1264
    """Widest output in pixels; wider images are scaled down (never up), keeping the ratio."""
    max_height: int = 1680
    """Tallest output in pixels; taller images are scaled down (never up), keeping the ratio."""
    grayscale: bool = False
    """Store every image as 8-bit grey: smaller files, and what an e-ink screen shows anyway."""
    jpeg_quality: int = 82
    """Quality (1-95) for JPEG output; the size budget lowers it step by step."""
    min_quality: int = 40
    """The lowest JPEG quality the size budget may go down to before it shrinks images."""
    max_pixels: int = 40_000_000
    """Images declaring more pixels than this are refused unread (decompression bombs)."""
    max_bytes: int = 25 * MB
    """Downloads larger than this are refused without decoding."""


@dataclass(frozen=True)
class ProcessedImage:
    """An image ready to go into the book."""

    data: ImageData
    """The encoded file's bytes, the file they were written to, or where the cache keeps them
    (see digest.content.images.cache)."""
    media_type: str
    width: int
    height: int
    sha256: str
    original_bytes: int

    @property
    def extension(self) -> str:
        return "jpg" if self.media_type == "image/jpeg" else "png"

    @property
    def size(self) -> int:
        return data_size(self.data)

    def read(self) -> bytes:
        return data_bytes(self.data)


def content_hash(data: bytes) -> str:
    """The sha256 hex digest the caller dedupes images by (and may name files after)."""
    return hashlib.sha256(data).hexdigest()


def process_image(data: bytes, profile: ImageProfile, *, source: str = "") -> ProcessedImage:
    """Convert ``data`` (any supported format) to a JPEG or PNG that fits ``profile``.

    Raises ImageError, naming ``source`` (the image URL), for empty, truncated, corrupt,
    oversized or unsupported data, decompression bombs, undrawable SVG and tracking pixels: the
    caller drops the image and keeps its alt text.
    """
    if not data:
        raise ImageError(source, "empty image (0 bytes)")
    if len(data) > profile.max_bytes:
        raise ImageError(source, f"image is {size_text(len(data))}, over the {size_text(profile.max_bytes)} cap")
    if SVG_ROOT.match(data[:4096].lstrip(b"\xef\xbb\xbf")):
        data = rasterise_svg(data, (profile.max_width, profile.max_height), source=source)
    try:
        icon = _ico_picture_size(data)
        if icon is not None:
            _check_size(icon, profile, source)
        # Pillow decodes an ICO's picture inside Image.open already.
        with DECODE_BUDGET.hold(4 * icon[0] * icon[1] if icon else 0):
            opened = Image.open(io.BytesIO(data), formats=READABLE)
        _check_size(opened.size, profile, source)
        if opened.format in JPEG_SOURCES and jpeg_scans(data) > MAX_JPEG_SCANS:
            raise ImageError(source, f"refused: a JPEG of more than {MAX_JPEG_SCANS} scans "
                                     "(each costs its decoder a pass over the whole picture)")
        with DECODE_BUDGET.hold(_decoded_bytes(opened, profile)):
            # Before any draft: the size must be the file's own.
            copied = lossless_copy(data, opened, (profile.max_width, profile.max_height),
                                   quality=profile.jpeg_quality, grayscale=profile.grayscale)
            if copied is not None:
                media_type = "image/png" if opened.format == "PNG" else "image/jpeg"
                return ProcessedImage(copied, media_type, opened.width, opened.height, content_hash(copied),
                                      len(data))
            from_jpeg = opened.format in JPEG_SOURCES
            _draft(opened, profile)
            opened.load()
            ImageOps.exif_transpose(opened, in_place=True)  # in place: a copy of a 40 Mpx picture is 160 MB
            image = _normalise(opened)
            # The picture, not its format, picks the resampling: a diagram saved as JPEG is still drawn.
            drawn = image.getcolors(DRAWN_MAX_COLOURS) is not None
            image = _fit(image, profile, drawn)
            encoded, media_type = _encode(image, from_jpeg or not drawn, profile)
    except Image.UnidentifiedImageError:
        raise ImageError(source, _unidentified(data)) from None
    except Image.DecompressionBombError as exc:
        raise ImageError(source, f"refused as a decompression bomb: {exc}") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
        # Pillow reports truncated and corrupt files through all of these.
        raise ImageError(source, f"unreadable image: {exc or type(exc).__name__}") from None
    return ProcessedImage(encoded, media_type, image.width, image.height,
                          content_hash(encoded), len(data))


def _ico_picture_size(data: bytes) -> tuple[int, int] | None:
    """The largest picture an ICO holds, by that picture's own header; None if not an ICO.

    Pillow decodes one picture of a file, and for most formats the size Image.open reports is
    that picture's: the first frame of a GIF (a frame larger than its screen enlarges the size),
    TIFF, MPO, APNG or WebP. An ICO's directory says at most 256x256 whatever the PNG or BMP
    inside declares, and Image.open decodes that picture at once (an ICO holding a 12000x12000
    PNG took 672 MB). ICNS, CUR, EPS, PSD and PDF are not READABLE at all.
    """
    if not data.startswith(ICO_MAGIC):
        return None
    largest = (0, 0)
    for index in range(int.from_bytes(data[4:6], "little")):
        entry = data[6 + 16 * index:22 + 16 * index]
        offset = int.from_bytes(entry[12:16], "little")
        header = data[offset:offset + 24]
        if len(entry) < 16 or len(header) < 24:
            break
        if header.startswith(PNG_SIGNATURE):
            size = int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
        else:  # a BMP info header: its height counts the transparency mask too
            size = (abs(int.from_bytes(header[4:8], "little", signed=True)),
                    abs(int.from_bytes(header[8:12], "little", signed=True)) // 2)
        largest = max(largest, size, key=lambda side: side[0] * side[1])
    return largest


def _decoded_bytes(image: ImageFile.ImageFile, profile: ImageProfile) -> int:
    """The bytes the decoded picture takes (DECODE_BUDGET); a big JPEG is decoded at 1/2 to 1/8 scale (_draft)."""
    pixels = image.size[0] * image.size[1]
    if image.format in JPEG_SOURCES:
        pixels = min(pixels, 4 * profile.max_width * profile.max_height)
    return pixels * max(len(image.getbands()), 3)  # a palette or grey image still becomes RGB on the way


def _check_size(size: tuple[int, int], profile: ImageProfile, source: str) -> None:
    """Decide from the headers alone, before a single pixel is decoded."""
    width, height = size
    if width * height > profile.max_pixels:
        raise ImageError(source, f"refused as a decompression bomb: {width}x{height} pixels "
                                 f"is over the {profile.max_pixels}-pixel limit")
    if (width <= 2 and height <= 2) or width == 1 or height == 1:
        raise ImageError(source, f"tracking pixel ({width}x{height})")


def _draft(image: ImageFile.ImageFile, profile: ImageProfile) -> None:
    """Let libjpeg decode a big JPEG at 1/2, 1/4 or 1/8 scale: much faster, same result size."""
    if image.format not in JPEG_SOURCES:
        return
    box = (profile.max_width, profile.max_height)
    if image.getexif().get(ExifTags.Base.Orientation) in (5, 6, 7, 8):
        box = box[::-1]  # stored sideways: the box applies to the rotated picture
    fitted = _fitted_size(image.size, box)
    if fitted != image.size:
        image.draft(None, fitted)


def _normalise(image: Image.Image) -> Image.Image:
    """Any mode in, sRGB "RGB" or "L" out, with transparency flattened onto white."""
    image = _to_srgb(image)
    if image.mode.startswith("I;16") or image.mode == "I":
        # 16-bit grey: scale to 8 bits (a plain convert would clip everything above 255).
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    elif image.mode == "F":
        image = image.convert("L")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        # Pasted through the alpha channel onto RGB paper: the same pixels as alpha_composite
        # onto opaque white, without its two extra RGBA copies (a 40 Mpx picture: 320 MB less).
        rgba = image if image.mode == "RGBA" else image.convert("RGBA")
        image = Image.new("RGB", rgba.size, PAPER)
        image.paste(rgba, mask=rgba.getchannel("A"))
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    if image.mode == "RGB" and _is_grey(image):
        image = image.convert("L")
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Apply an embedded ICC profile (Adobe RGB, Display P3, CMYK press profiles...)."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        converted = ImageCms.profileToProfile(
            image, ImageCms.ImageCmsProfile(io.BytesIO(icc)), _srgb(),
            outputMode="RGBA" if image.mode == "RGBA" else "RGB")
    except (ImageCms.PyCMSError, OSError, ValueError) as exc:
        # A broken profile is common and harmless: the colours are merely a little off.
        log.debug("ignoring unusable ICC profile: %s", exc)
        return image
    assert converted is not None
    return converted


@cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _is_grey(image: Image.Image) -> bool:
    """Whether every pixel has equal red, green and blue.

    Asked first of every 8th pixel of every 8th row (a nearest-neighbour copy): a colour pixel
    there is one of the picture's, so a colour photo is settled on 1/64 of its pixels, and only
    a picture grey there is compared whole. The copy used to be reduce(8)'s block averages, which
    read every pixel: 300 bench pictures took 0.51 s of CPU for it, 0.05 s now; same verdicts.
    """
    sample = image.resize((max(1, image.width // 8), max(1, image.height // 8)), Image.Resampling.NEAREST)
    return _channels_equal(sample) and _channels_equal(image)


def _channels_equal(image: Image.Image) -> bool:
    red, green, blue = image.split()
    return (ImageChops.difference(red, green).getbbox() is None
            and ImageChops.difference(green, blue).getbbox() is None)


def _fitted_size(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, box[0] / width, box[1] / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _fit(image: Image.Image, profile: ImageProfile, drawn: bool) -> Image.Image:
    size = _fitted_size(image.size, (profile.max_width, profile.max_height))
    if size != image.size:
        # Drawn pictures (at most DRAWN_MAX_COLOURS, whatever their format): bicubic keeps text and
        # lines crisp (bilinear cost a shrunk PNG screenshot 7 dB of PSNR against a full-size
        # Lanczos reference, a class diagram saved as JPEG 5 dB once encoded). Photographs:
        # bilinear took 38% less time than bicubic in Pillow (15.7 against 25.1 ms a camera photo,
        # the largest CPU step of a cold build) for 0.6 dB less once saved as JPEG (37.2 against
        # 37.8 dB for camera JPEGs, 39.9 against 40.5 for WebP photos) and 6% smaller files.
        # Both mostly by libvips (digest.content.images.shrink).
        image = shrink_drawn(image, size) if drawn else shrink_photo(image, size)
    if profile.grayscale and image.mode != "L":
        image = image.convert("L")
    return image


def _encode(image: Image.Image, photo: bool, profile: ImageProfile) -> tuple[bytes, str]:
    """Pick the output format by the rule in the module docstring."""
    jpeg = _save(image, "JPEG", profile)
    if photo:
        return jpeg, "image/jpeg"
    # Grey images always fit 256 entries; past 16 greys (what e-ink shows) octree pays off.
    colours = image.getcolors(256 if image.mode == "RGB" else 16)
    if colours:
        indexed = indexed_exactly(image, colours)
    else:
        indexed = image.convert("RGB").quantize(256, Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    png = _save(indexed, "PNG", profile)
    return (png, "image/png") if len(png) <= len(jpeg) else (jpeg, "image/jpeg")


def _save(image: Image.Image, image_format: str, profile: ImageProfile) -> bytes:
    # Pillow copies some of image.info (ICC profile, JPEG comment) into what it writes:
    # emptying it is what strips the metadata.
    image.info = {}
    return jpeg_bytes(image, profile.jpeg_quality) if image_format == "JPEG" else png_bytes(image)


def _unidentified(data: bytes) -> str:
    """Name formats people actually meet, so the report says more than "unknown"."""
    head = data[:32]
    if head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"avis"):
        return "AVIF not supported by this Pillow build" if not features.check("avif") else "corrupt AVIF"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1"):
        return "HEIC/HEIF not supported"
    if head.lstrip().startswith(b"<"):
        return "not an image (looks like HTML or XML)"
    return "not a supported image format"
