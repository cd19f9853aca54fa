"""Keep an image that is already right for the book: its bytes copied, only the metadata dropped.

Re-encoding an image that already fits the box costs time and a generation of JPEG loss.
``lossless_copy`` returns the original's compressed data with every metadata segment
removed, or None when the image must go through the full pipeline instead because it:
- does not fit the profile's box, or carries an EXIF orientation other than upright;
- is not 8-bit RGB/grey (CMYK, YCCK, 16-bit), or carries a colour profile other than sRGB;
- is a JPEG that is progressive, arithmetic-coded or lossless (old Kindles show only baseline
  JPEGs), or of a higher quality than the profile's (the size budget lowers that quality);
- is a PNG other than an 8-bit-or-less palette or grey image without transparency, not
  interlaced (truecolour PNGs come out smaller as indexed PNG or JPEG).
The image is decoded once all the same, so a corrupt file is refused, not copied.
"""

from __future__ import annotations

import io

from PIL import ExifTags, Image, ImageCms

# The markers of a JPEG's image data and decoding tables; everything else (APP1 EXIF/XMP,
# APP2 ICC/MPF, APP3-APP15, COM) is metadata.
JPEG_KEPT = {0xC0, 0xC1, 0xC4, 0xDB, 0xDD}
JPEG_OTHER_FRAMES = {0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
APP0, APP14, SOS, EOI = 0xE0, 0xEE, 0xDA, b"\xff\xd9"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_KEPT = {b"IHDR", b"PLTE", b"IDAT", b"IEND"}
# libjpeg's luminance table at quality 50 (Annex K), the base every common encoder scales.
STANDARD_LUMA = (16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
                 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
                 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99)


def lossless_copy(data: bytes, image: Image.Image, box: tuple[int, int], *, quality: int,
                  grayscale: bool) -> bytes | None:
    """``data`` without its metadata, when ``image`` (its decoded self) may go in as it is; else None."""
    if image.width > box[0] or image.height > box[1] or not _srgb_or_none(image.info.get("icc_profile")):
        return None
    if image.getexif().get(ExifTags.Base.Orientation, 1) != 1:
        return None
    if image.format in ("JPEG", "MPO"):
        if image.mode not in ("RGB", "L") or (grayscale and image.mode != "L") or estimated_quality(image) > quality:
            return None
        strip = _strip_jpeg
    elif image.format == "PNG":
        if image.mode not in ("P", "L", "1") or (grayscale and image.mode == "P"):
            return None
        if "transparency" in image.info or image.info.get("interlace"):
            return None
        strip = _strip_png
    else:
        return None
    image.load()  # decoded once, so a corrupt or truncated file raises here instead of going into the book
    return strip(data)


def estimated_quality(image: Image.Image) -> float:
    """The libjpeg quality (1-100) a JPEG's luminance table was scaled for."""
    tables = getattr(image, "quantization", None)
    if not tables or 0 not in tables:
        return 100.0
    scale = sum(tables[0]) * 100 / sum(STANDARD_LUMA)
    return 100 - scale / 2 if scale <= 100 else 5000 / scale


def _srgb_or_none(icc: bytes | None) -> bool:
    if not icc:
        return True
    try:
        description = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc)))
    except (ImageCms.PyCMSError, OSError, ValueError):
        return False
    return "srgb" in description.lower()


def _strip_jpeg(data: bytes) -> bytes | None:
    """Walk the markers up to the scan; keep tables and frame, JFIF (without thumbnail) and Adobe."""
    if not data.startswith(b"\xff\xd8"):
        return None
    kept, pos = [b"\xff\xd8"], 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        end = pos + 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
        segment = data[pos:end]
        if marker in JPEG_OTHER_FRAMES:
            return None
        if marker == SOS:
            # Entropy-coded data never holds 0xFFD9 (0xFF is stuffed), so the first one is the EOI;
            # anything after it (an MPO's second picture) is dropped.
            eoi = data.find(EOI, end)
            return None if eoi < 0 else b"".join(kept) + data[pos:eoi + 2]
        # JFIF's header says YCbCr, Adobe's says how the colours were transformed: both decide colours.
        if (marker in JPEG_KEPT or (marker == APP0 and segment[4:9] == b"JFIF\0" and len(segment) == 18)
                or (marker == APP14 and segment[4:9] == b"Adobe")):
            kept.append(segment)
        pos = end
    return None


def _strip_png(data: bytes) -> bytes | None:
    """Keep the critical chunks; text, time, EXIF, colour and physical-size chunks go."""
    if not data.startswith(PNG_SIGNATURE):
        return None
    kept, pos = [PNG_SIGNATURE], len(PNG_SIGNATURE)
    while pos + 12 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind, end = data[pos + 4:pos + 8], pos + 12 + length
        if end > len(data):
            return None
        if kind in PNG_KEPT:
            kept.append(data[pos:end])
        elif not kind[0] & 0x20:  # an unknown critical chunk: not ours to drop
            return None
        if kind == b"IEND":
            return b"".join(kept)
        pos = end
    return None
