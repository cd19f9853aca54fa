"""Images that already fit the box keep their pixels: copied with the metadata dropped, not re-encoded."""

from __future__ import annotations

import dataclasses
import io
import struct
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms, ImageDraw

from digest.content.images.fit import ImageProfile, process_image
from digest.content.images.keep import estimated_quality
from digest.core.errors import ImageError

PROFILE = ImageProfile()
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b"<rdf:Description>Shot in Berlin</rdf:Description></rdf:RDF></x:xmpmeta>")


def photo(size=(1000, 700)) -> Image.Image:
    image = Image.merge("RGB", (Image.linear_gradient("L").resize(size), Image.effect_noise(size, 40),
                                Image.radial_gradient("L").resize(size)))
    ImageDraw.Draw(image).rectangle((50, 50, 250, 250), fill=(255, 0, 0))
    return image


def chart(size=(640, 400)) -> Image.Image:
    image = Image.new("P", size, 0)
    image.putpalette([255, 255, 255, 30, 30, 30, 200, 60, 60] + [0] * 759)
    draw = ImageDraw.Draw(image)
    for bar in range(10):
        draw.rectangle((30 + bar * 55, 380 - 30 * bar, 70 + bar * 55, 380), fill=2)
    draw.line((20, 380, 620, 380), fill=1, width=2)
    return image


def encode(image: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def exif(orientation: int = 1) -> Image.Exif:
    tags = Image.Exif()
    tags[ExifTags.Base.Orientation] = orientation
    tags[ExifTags.Base.Make] = "PhoneCorp"
    tags[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (52.0, 31.0, 2.0)}
    return tags


SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def with_png_metadata(data: bytes) -> bytes:
    """Insert text, time and EXIF chunks after IHDR (8-byte signature + 25-byte IHDR chunk)."""
    extra = (png_chunk(b"tEXt", b"Author\0Grace Hopper") + png_chunk(b"tIME", b"\x07\xe6\x01\x02\x03\x04\x05")
             + png_chunk(b"eXIf", exif().tobytes()) + png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + XMP))
    return data[:33] + extra + data[33:]


def test_jpeg_inside_the_box_keeps_its_pixels_and_loses_its_metadata():
    original = encode(photo(), "JPEG", quality=75, exif=exif(), icc_profile=SRGB, comment=b"at home", xmp=XMP)
    result = process_image(original, PROFILE)

    assert result.media_type == "image/jpeg" and (result.width, result.height) == (1000, 700)
    assert decoded(result.data).tobytes() == decoded(original).tobytes()  # not a generation lost
    out = decoded(result.data)
    assert not out.getexif() and not {"icc_profile", "comment", "xmp", "exif"} & set(out.info)
    for secret in (b"Exif", b"PhoneCorp", b"at home", b"Berlin", b"ICC_PROFILE"):
        assert secret not in result.data
    assert len(result.data) < len(original)


def test_indexed_png_inside_the_box_keeps_its_pixels_and_loses_its_metadata():
    original = with_png_metadata(encode(chart(), "PNG"))
    assert decoded(original).info.get("Author") == "Grace Hopper"
    result = process_image(original, PROFILE)

    assert result.media_type == "image/png" and (result.width, result.height) == (640, 400)
    assert decoded(result.data).convert("RGB").tobytes() == decoded(original).convert("RGB").tobytes()
    out = decoded(result.data)
    assert not out.getexif() and not {"Author", "XML:com.adobe.xmp", "exif"} & set(out.info)
    for chunk in (b"tEXt", b"tIME", b"eXIf", b"iTXt", b"Hopper"):
        assert chunk not in result.data


@pytest.mark.parametrize("case", ["sideways", "cmyk", "progressive", "adobe-rgb-like", "high-quality",
                                  "too-big", "grayscale-profile"])
def test_images_that_are_not_right_as_they_are_are_still_re_encoded(case):
    profile = PROFILE
    image = photo()
    if case == "sideways":
        data = encode(image, "JPEG", quality=75, exif=exif(orientation=6))
    elif case == "cmyk":
        data = encode(image.convert("CMYK"), "JPEG", quality=75)
    elif case == "progressive":
        data = encode(image, "JPEG", quality=75, progressive=True)
    elif case == "adobe-rgb-like":  # any profile but sRGB: the colours must be converted
        data = encode(image, "JPEG", quality=75,
                      icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes())
    elif case == "high-quality":
        data = encode(image, "JPEG", quality=95)
    elif case == "too-big":
        data = encode(photo((2000, 1400)), "JPEG", quality=75)
    else:
        profile = dataclasses.replace(PROFILE, grayscale=True)
        data = encode(image, "JPEG", quality=75)
    result = process_image(data, profile)
    out = decoded(result.data)

    assert round(estimated_quality(out)) == PROFILE.jpeg_quality  # encoded here, at the profile's quality
    assert out.mode in ("RGB", "L") and "icc_profile" not in out.info and "progressive" not in out.info
    if case == "sideways":
        assert (result.width, result.height) == (700, 1000)
    if case == "too-big":
        assert (result.width, result.height) == (1264, 885)
    if case == "grayscale-profile":
        assert out.mode == "L"


def test_a_lower_quality_from_the_size_budget_re_encodes_a_copied_jpeg():
    original = encode(photo(), "JPEG", quality=75)
    assert process_image(original, PROFILE).data == original  # nothing to strip: copied byte for byte...
    lowered = process_image(original, dataclasses.replace(PROFILE, jpeg_quality=60))
    assert round(estimated_quality(decoded(lowered.data))) == 60  # ...re-encoded when the budget asks for 60
    assert len(lowered.data) < len(process_image(original, PROFILE).data)


def test_a_truncated_image_inside_the_box_is_refused_not_copied():
    original = encode(photo(), "JPEG", quality=75)
    with pytest.raises(ImageError, match="unreadable image"):
        process_image(original[: len(original) // 2], PROFILE, source="https://example.org/cut.jpg")
