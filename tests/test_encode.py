"""JPEG and PNG bytes of a fitted picture (digest.content.images.encode)."""

from __future__ import annotations

import io

from PIL import Image

from digest.content.images import encode


def test_a_jpeg_is_encoded_through_a_scratch_file_to_the_bytes_pillow_writes_in_memory(monkeypatch):
    image = Image.merge("RGB", (Image.linear_gradient("L"), Image.effect_noise((256, 256), 60),
                                 Image.radial_gradient("L"))).resize((640, 427))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=82, optimize=True, progressive=False)
    assert encode.jpeg_bytes(image, 82) == buffer.getvalue()
    with encode._scratch_file() as scratch:  # a real descriptor: what lets Pillow encode without the GIL
        assert scratch.fileno() >= 0

    def no_scratch_file():
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(encode, "_scratch_file", no_scratch_file)
    assert encode.jpeg_bytes(image, 82) == buffer.getvalue()  # through memory, the same bytes
