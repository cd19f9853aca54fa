"""Fitted images remembered in the store, so a rebuild of unchanged inputs does not refit them.

An image is keyed by the SHA-256 of its original bytes and the profile it was fitted to
(with digest's version, so an upgrade refits everything once). A rebuild knows that hash
from the HTTP cache (digest.ingest.fetch.Fetcher.stored), so ``remembered`` finds the
fitted copy without reading the original at all.
"""

from __future__ import annotations

import dataclasses
import json

from digest import __version__
from digest.content.images import ImageProfile, ProcessedImage, content_hash, process_image
from digest.core.cache import Cache
from digest.core.store import now


class ImageCache:
    """A ``process=`` for fit_budget that remembers each fitted image in the cache."""

    def __init__(self, cache: Cache):
        self.cache = cache

    def remembered(self, original_sha256: str, original_bytes: int, profile: ImageProfile) -> ProcessedImage | None:
        """What ``process`` gives for an original with this hash and size, if it is stored, else None."""
        key = (original_sha256, _profile_key(profile))
        row = self.cache.store.query_one("SELECT data, media_type, width, height FROM processed_images "
                                         "WHERE original_sha256 = ? AND profile = ?", key)
        if row is None:
            return None
        self.cache.used("processed_images", *key)
        encoded = bytes(row["data"])
        return ProcessedImage(encoded, row["media_type"], row["width"], row["height"],
                              content_hash(encoded), original_bytes)

    def process(self, data: bytes, profile: ImageProfile, *, source: str = "") -> ProcessedImage:
        key = (content_hash(data), _profile_key(profile))
        remembered = self.remembered(key[0], len(data), profile)
        if remembered is not None:
            return remembered
        # Failures are not remembered: refusing a broken image costs less than a lookup.
        image = process_image(data, profile, source=source)
        stamp = now()
        self.cache.store.execute("INSERT OR REPLACE INTO processed_images (original_sha256, profile, data, "
                                 "media_type, width, height, created_at, used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                 (*key, image.data, image.media_type, image.width, image.height, stamp, stamp))
        return image


def _profile_key(profile: ImageProfile) -> str:
    return json.dumps({"digest": __version__, **dataclasses.asdict(profile)}, sort_keys=True)
