"""Extracted articles remembered in the cache, so a rebuild does not extract unchanged pages again.

A page is keyed by the SHA-256 of its bytes, its URL and a fingerprint of the extractor's
own source (digest.content.text.extract and every digest module it uses: the fallback, the
page limits, the repairs, the sanitizer helpers), so a changed extractor re-extracts
everything once, even within one version of digest. A page
without an article is remembered too, with its reason: the same bytes fail the same way, and
finding that out (readability included) was the slowest part of a rebuild.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date
from functools import cache

from digest import __version__
from digest.content.text import extract
from digest.content.text.extract import Extracted, extract_article
from digest.core.cache import Cache, code_fingerprint
from digest.core.errors import ExtractionError


class ExtractionCache:
    """An ``extract=`` for enrich that remembers each extracted article in the cache."""

    def __init__(self, cache: Cache):
        self.cache = cache

    def recall(self, page_sha256: str, url: str) -> Extracted | None:
        """What ``extract`` gave for the page with this SHA-256 at ``url``, without the page
        (raises the ExtractionError it raised); None when it was not asked."""
        remembered = self.cache.recall("extracted", " ".join([page_sha256, url, _fingerprint()]))
        if remembered is None:
            return None
        fields = json.loads(remembered)
        if "failed" in fields:
            raise ExtractionError(url, fields["failed"])
        published = fields["published"] and date.fromisoformat(fields["published"])
        return Extracted(**{**fields, "published": published, "authors": tuple(fields["authors"])})

    def extract(self, page: bytes, url: str) -> Extracted:
        sha256 = hashlib.sha256(page).hexdigest()
        remembered = self.recall(sha256, url)
        if remembered is not None:
            return remembered
        key = " ".join([sha256, url, _fingerprint()])
        try:
            extracted = extract_article(page, url)
        except ExtractionError as exc:  # a page fixed upstream has other bytes, so another key
            self.cache.remember("extracted", key, json.dumps({"failed": exc.reason}))
            raise
        value = {**dataclasses.asdict(extracted), "published": extracted.published and extracted.published.isoformat()}
        self.cache.remember("extracted", key, json.dumps(value))
        return extracted


@cache
def _fingerprint() -> str:
    return code_fingerprint((extract,), __version__)  # and every digest module it uses
