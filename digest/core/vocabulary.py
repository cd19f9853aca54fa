"""The words and numbers every stage shares, each defined once.

Formats, their media types and file roles, the curated-link kinds, and the limits that
come from Send to Kindle and the e-ink screen. Config defaults, the bundle, the store's
schema checks, delivery and the preview all read them from here.
"""

from __future__ import annotations

FORMATS = ("epub", "azw3", "mobi")
"""Every ebook format digest can produce, in the order they are listed everywhere."""
KINDLE_FORMATS = ("azw3", "mobi")
"""The formats calibre converts from the EPUB."""
SEND_TO_KINDLE_FORMATS = ("epub",)
"""What Amazon's Send to Kindle e-mail service accepts (MOBI no longer)."""

MEDIA_TYPES = {
    "epub": "application/epub+zip",
    "azw3": "application/x-mobi8-ebook",
    "mobi": "application/x-mobipocket-ebook",
    "zip": "application/zip",
    "jpg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
}
"""Media type of each file a bundle may hold, by extension."""

LINK_KINDS = {
    "industry-trend": "Industry Trends",
    "whitepaper": "Technical Whitepapers",
    "reference-architecture": "Reference Architectures",
    "solution": "Solutions and Implementation Guides",
    "training": "Training and Certification",
    "sample-code": "Sample Code",
}
"""Curated-link kinds, in the order they appear, with their headings."""
LINK_NOUNS = {
    "industry-trend": ("industry trend", "industry trends"),
    "whitepaper": ("whitepaper", "whitepapers"),
    "reference-architecture": ("reference architecture", "reference architectures"),
    "solution": ("solution guide", "solution guides"),
    "training": ("training course", "training courses"),
    "sample-code": ("code sample", "code samples"),
}
"""Each link kind counted in a sentence (singular, plural): "3 whitepapers: ..."."""

WORDS_PER_MINUTE = 230
"""Reading speed behind "6 min read" (adult silent reading of non-fiction, about 200-260)."""


def reading_minutes(word_count: int) -> int:
    """Minutes to read ``word_count`` words at WORDS_PER_MINUTE, at least one."""
    return max(1, round(word_count / WORDS_PER_MINUTE))


MB = 1024 * 1024
"""A megabyte as the config's sizes count it (``[fetch] max_mb``)."""


def size_text(size: int) -> str:
    """A byte count as a reader says it: "25 MB", "1.5 MB", "97.7 KB", "512 bytes"."""
    if size < 1024:
        return f"{size} bytes"
    value, unit = (size / MB, "MB") if size >= MB else (size / 1024, "KB")
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"


SEND_TO_KINDLE_LIMIT_MB = 50
"""The largest e-mail Send to Kindle accepts."""
BOOK_BUDGET_MB = 45.0
"""Default size budget of an EPUB: room to spare under the Send to Kindle limit."""

IMAGE_BOX = (1264, 1680)
"""Default largest image (width, height): a 300 ppi e-ink Kindle's screen."""

CALIBRE_OUTPUT_PROFILES = (
    "cybook_opus", "cybookg3", "default", "galaxy", "generic_eink", "generic_eink_hd", "generic_eink_large",
    "hanlinv3", "hanlinv5", "illiad", "ipad", "ipad3", "irexdr1000", "irexdr800", "jetbook5", "kindle",
    "kindle_dx", "kindle_fire", "kindle_oasis", "kindle_pw", "kindle_pw3", "kindle_scribe", "kindle_voyage",
    "kobo", "mobipocket", "msreader", "nook", "nook_color", "nook_hd_plus", "pocketbook_900", "pocketbook_hd",
    "pocketbook_inkpad3", "pocketbook_lux", "pocketbook_pro_912", "sony", "sony-landscape", "sony300", "sony900",
    "sonyt3", "tablet",
)
"""calibre's output profiles (``ebook-convert --output-profile``), as calibre 6 lists them: a typo is
reported when the config is read, not after the EPUB is built."""


def count(n: int, noun: str, plural: str = "") -> str:
    """'1 entry', '3 entries': the noun agrees with the number."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
