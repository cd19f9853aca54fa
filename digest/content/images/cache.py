"""Fitted images remembered in the store, so a rebuild of unchanged inputs does not refit them.

An image is keyed by the SHA-256 of its original bytes and the profile it was fitted to
(with digest's version, so an upgrade refits everything once). A rebuild knows that hash
from the HTTP cache (digest.ingest.fetch.Fetcher.stored), so ``remembered`` finds the
fitted copy without reading the original at all.

With a ``folder``, each image fitted now is written there and handed on as that file, and one
fitted in an earlier build is handed on as where the cache keeps it (Kept, read when the book
is written): an issue's images are never all in memory, and the EPUB writer streams them.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import threading
from pathlib import Path

from digest import __version__
from digest.content.images.fit import ImageProfile, ProcessedImage, content_hash, process_image
from digest.core.cache import Cache
from digest.core.errors import ImageError
from digest.core.models import ImageData, Kept
from digest.core.store import now

BUDGET_STEP = "budget-step"
"""Cache memo kind: the step of the quality ladder an issue's images fitted the budget at."""


class ImageCache:
    """A ``process=`` for fit_budget that remembers each fitted image in the cache (and, with a
    ``folder``, keeps it there rather than in memory)."""

    def __init__(self, cache: Cache, folder: Path | None = None):
        self.cache, self.folder = cache, folder

    def remembered(self, original_sha256: str, original_bytes: int, profile: ImageProfile) -> ProcessedImage | None:
        """What ``process`` gives for an original with this hash and size, if it is stored, else None.

        With a ``folder``, the fitted bytes stay in the cache (Kept) until the book is written:
        a rebuild that copies the published book reads none of them."""
        key = (original_sha256, _profile_key(profile))
        row = self.cache.store.query_one("SELECT size, sha256, media_type, width, height FROM processed_images "
                                         "INDEXED BY processed_images_fitted WHERE original_sha256 = ? AND profile = ?",
                                         key)
        if row is None:
            return None
        self.cache.used("processed_images", *key)
        if self.folder is not None and row["sha256"]:
            data: ImageData = Kept(row["size"], row["sha256"], functools.partial(self._fitted_bytes, key))
            return ProcessedImage(data, row["media_type"], row["width"], row["height"], row["sha256"], original_bytes)
        encoded = self._fitted_bytes(key)
        image = ProcessedImage(encoded, row["media_type"], row["width"], row["height"], content_hash(encoded),
                               original_bytes)
        if not row["sha256"]:  # fitted before the cache kept the hash
            self.cache.store.execute("UPDATE processed_images SET sha256 = ? WHERE original_sha256 = ? AND "
                                     "profile = ?", (image.sha256, *key))
        return self._kept(image)

    def _fitted_bytes(self, key: tuple[str, str]) -> bytes:
        row = self.cache.store.query_one("SELECT data FROM processed_images WHERE original_sha256 = ? AND profile = ?",
                                         key)
        if row is None:
            raise ImageError(key[0], "a fitted image left the cache while the build used it")
        return bytes(row["data"])

    def process(self, data: bytes, profile: ImageProfile, *, source: str = "") -> ProcessedImage:
        key = (content_hash(data), _profile_key(profile))
        remembered = self.remembered(key[0], len(data), profile)
        if remembered is not None:
            return remembered
        # Failures are not remembered: refusing a broken image costs less than a lookup.
        image = process_image(data, profile, source=source)
        stamp = now()
        self.cache.store.execute("INSERT OR REPLACE INTO processed_images (original_sha256, profile, data, sha256, "
                                 "size, media_type, width, height, created_at, used_at) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 (*key, image.data, image.sha256, image.size, image.media_type, image.width,
                                  image.height, stamp, stamp))
        return self._kept(image)

    def settled(self, inputs: str) -> ImageProfile | None:
        """The profile fit_budget stopped at for these ``inputs`` (originals, budget) last time."""
        recorded = self.cache.recall(BUDGET_STEP, f"{inputs} {__version__}")
        return None if recorded is None else ImageProfile(**json.loads(recorded))

    def settle(self, inputs: str, profile: ImageProfile) -> None:
        self.cache.remember(BUDGET_STEP, f"{inputs} {__version__}", json.dumps(dataclasses.asdict(profile)))

    def _kept(self, image: ProcessedImage) -> ProcessedImage:
        """``image`` as its file in ``folder`` (named by its hash: written once however often it is used)."""
        if self.folder is None:
            return image
        path = self.folder / f"{image.sha256}.{image.extension}"
        if not path.exists():
            # Two workers may fit the same picture at once: each writes its own file, then one wins whole.
            part = path.with_name(f"{path.name}.{threading.get_ident()}")
            part.write_bytes(image.read())
            part.replace(path)
        return dataclasses.replace(image, data=path)


def _profile_key(profile: ImageProfile) -> str:
    return json.dumps({"digest": __version__, **dataclasses.asdict(profile)}, sort_keys=True)
