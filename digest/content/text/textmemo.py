"""How much visible text each body holds, remembered in the cache by the body's hash.

drop_short counts an article's words and cap_text its text's bytes (digest.content.issue.select):
each parses the body (sanitize.html_text). Remembered, it is one lookup a body: a rebuild of the
real pages' month (175 articles) went from 0.86 to 0.69 s (medians of 10). The
key holds the parser's code (as in digest.content.text.cleanmemo), so a change to it counts again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from digest.content.text.cleanmemo import sanitizer_fingerprint
from digest.content.text.sanitize import html_text
from digest.core.cache import Cache, memo_key


@dataclass(frozen=True)
class TextSize:
    words: int
    utf8_bytes: int


TextSizer = Callable[[str], TextSize]


def text_size(html: str) -> TextSize:
    """The words and UTF-8 bytes of the visible text of ``html`` (a body or a summary)."""
    text = html_text(html)
    return TextSize(len(text.split()), len(text.encode("utf-8")))


class StoredTextSizes:
    """A ``size=`` for drop_short and cap_text: text_size remembered in the cache."""

    def __init__(self, cache: Cache):
        self.cache = cache

    def size(self, html: str) -> TextSize:
        key = memo_key([hashlib.sha256(html.encode("utf-8")).hexdigest(), sanitizer_fingerprint()])
        remembered = self.cache.recall("text-size", key)
        if remembered is not None:
            words, utf8_bytes = remembered.split()
            return TextSize(int(words), int(utf8_bytes))
        found = text_size(html)
        self.cache.remember("text-size", key, f"{found.words} {found.utf8_bytes}")
        return found
