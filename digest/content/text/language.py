"""Which language an entry is written in.

Feeds often declare one language for everything they carry, while syndicated feeds
mix in posts in other languages; the text itself is the better witness when it is
long enough to judge.
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from digest import __version__
from digest.content.text.sanitize import html_text
from digest.core.cache import Cache
from digest.core.month import Month

Detector = Callable[[str, str], str | None]
"""What judges the language of an entry's title and HTML body: ``detect_entry``, or a store's
memo of it (StoredLanguages.detect)."""

MIN_LETTERS = 40
MIN_CONFIDENCE = 0.95


MONTH_JUDGED = "language-month"
"""Memo kind: a month already built with this cache (see model_ahead)."""
_loading = threading.Lock()  # one load, whichever thread asks first


def _identifier():
    with _loading:
        return _loaded()


@functools.lru_cache(maxsize=1)
def _loaded():
    from digest.content.text.langmodel import load_identifier

    return load_identifier()


@contextmanager
def language_model(*, ahead: bool = False) -> Iterator[None]:
    """Judge every text inside the block: the model (about 100 MB of arrays) is loaded once, on
    the first judgement, and dropped on the way out. A second load held beside a whole issue's
    entries was a build's peak memory; the images come after the block.

    With ``ahead`` it starts loading at once in a background thread, so the load overlaps the
    feeds being read instead of holding up the selection (0.06 s once langmodel has unpacked the
    model on this machine; its first unpacking, about 1 s, mostly releases the GIL).
    """
    loader = threading.Thread(target=_identifier, name="language model", daemon=True) if ahead else None
    if loader is not None:
        loader.start()
    try:
        yield
    finally:
        if loader is not None:
            loader.join()  # else a load still running would outlive the block
        _loaded.cache_clear()


def model_ahead(cache: Cache, month: Month) -> bool:
    """Whether to load the model ahead: on the first build of ``month`` only. Every text judged
    then is remembered (StoredLanguages), so a rebuild needs the model only for entries new
    since, and loads it when the first of them is judged."""
    return cache.recall(MONTH_JUDGED, str(month)) is None


def remember_month(cache: Cache, month: Month) -> None:
    cache.remember(MONTH_JUDGED, str(month), "yes")


def primary(tag: str | None) -> str | None:
    """'en-US' -> 'en'."""
    return tag.split("-")[0].split("_")[0].lower() if tag else None


def detect(text: str) -> str | None:
    """The detected primary language, or None when the text is too short or the guess is weak."""
    if len(re.findall(r"\w", text)) < MIN_LETTERS:
        return None
    lang, confidence = _identifier().classify(text)
    return lang if confidence >= MIN_CONFIDENCE else None


def detect_entry(title: str, html: str) -> str | None:
    """detect() on an entry's title and the start of its body's visible text."""
    return detect(_entry_text(title, html))


def _entry_text(title: str, html: str) -> str:
    return title + "\n" + html_text(html)[:3000]


def entry_language(title: str, html: str, declared: str | None,
                   languages: Detector = detect_entry) -> str | None:
    """The text's language when it is clear, else the declared one (``languages`` detects it)."""
    return languages(title, html) or primary(declared)


class StoredLanguages:
    """detect_entry() remembered in the cache by the SHA-256 of the title and body, so a rebuild
    of the same entries neither loads the model (about a second) nor parses the bodies again
    to judge them (2 s at 1,000 entries)."""

    def __init__(self, cache: Cache):
        self.cache = cache

    def detect(self, title: str, html: str) -> str | None:
        key = f"{hashlib.sha256((title + chr(0) + html).encode('utf-8')).hexdigest()} {__version__}"
        remembered = self.cache.recall("language", key)
        if remembered is not None:
            return remembered or None
        detected = detect(_entry_text(title, html))
        self.cache.remember("language", key, detected or "")
        return detected
