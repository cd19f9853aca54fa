"""The drawn cover remembered in the cache: a rebuild of the same issue does not draw it again.

Drawing the text and encoding the cover and its thumbnail cost more than anything else a
rebuild with nothing changed does with Pillow. The entry is keyed by everything the drawing
reads (and digest's version, which covers the fonts and the layout).
"""

from __future__ import annotations

import base64
import json

from digest import __version__
from digest.content.images.cover import draw_cover
from digest.core.cache import Cache, memo_key
from digest.core.models import Cover


class StoredCovers:
    """A ``draw=`` for assemble_issue that remembers each cover it draws."""

    def __init__(self, cache: Cache):
        self.cache = cache

    def draw(self, title: str, subtitle: str, month_label: str, issue_line: str,
             headlines: list[str], publisher: str) -> Cover:
        inputs = [__version__, title, subtitle, month_label, issue_line, headlines, publisher]
        key = memo_key(inputs)
        stored = self.cache.recall("cover", key)
        if stored is not None:
            fields = json.loads(stored)
            return Cover(base64.b64decode(fields["data"]), fields["media_type"], fields["width"], fields["height"],
                         base64.b64decode(fields["thumbnail"]), fields["description"])
        cover = draw_cover(title, subtitle, month_label, issue_line, headlines, publisher)
        self.cache.remember("cover", key, json.dumps({
            "data": base64.b64encode(cover.data).decode(), "media_type": cover.media_type, "width": cover.width,
            "height": cover.height, "thumbnail": base64.b64encode(cover.thumbnail).decode(),
            "description": cover.description}))
        return cover
