"""QR codes of curated links, drawn inside the book.

A reader scans the code with a phone and opens the page there: e-ink browsers are poor,
and a printed URL is tedious to type. Nothing is fetched; the code is the URL itself.
"""

from __future__ import annotations

import hashlib
import io

from digest.core.models import BookImage

MODULE_PIXELS = 4
"""Pixels per QR module: about 1.5 cm for a typical URL on a 300 ppi screen, easy for a phone."""


def qr_image(url: str) -> BookImage:
    """A black-on-white PNG of ``url`` (medium error correction), named after its content."""
    import segno  # only issues with curated links draw codes (its import: 50 ms of a rebuild)

    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=MODULE_PIXELS, border=2)
    data = buffer.getvalue()
    return BookImage(f"images/qr-{hashlib.sha256(data).hexdigest()[:16]}.png", "image/png", data)
