"""What a fetched body really is, whatever its server called it."""

from __future__ import annotations

MAGIC = (
    (b"%PDF-", "pdf"),
    (b"\xff\xd8\xff", "image"), (b"\x89PNG\r\n\x1a\n", "image"), (b"GIF87a", "image"), (b"GIF89a", "image"),
    (b"II*\x00", "image"), (b"MM\x00*", "image"), (b"BM", "image"),
)


def sniff(body: bytes, content_type: str = "") -> str:
    """What a body really is: 'feed', 'html', 'json', 'image', 'pdf' or 'other'.

    Servers mislabel things; the bytes decide, the header only breaks ties.
    """
    for magic, kind in MAGIC:
        if body.startswith(magic):
            return kind
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP" or body[4:12] in (b"ftypavif", b"ftypavis"):
        return "image"
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"{", b"[")):
        return "json"
    if b"<svg" in head[:512]:
        return "image"
    if any(tag in head for tag in (b"<rss", b"<feed", b"<rdf:rdf")):
        return "feed"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head or b"<body" in head:
        return "html"
    if "json" in content_type:
        return "json"
    if any(t in content_type for t in ("rss", "atom", "xml")):
        return "feed"
    if "html" in content_type:
        return "html"
    return "other"
