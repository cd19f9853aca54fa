"""Images fitted while the month's pages are still being extracted.

On summary-only sources full_text extracts the fetched pages one after another on one core,
and an article's images are known as soon as its page is. ``fitting_ahead`` fetches and fits
them meanwhile, in background workers, at the issue's first budget step: into the image
cache, where enrich finds them (ImageCache.remembered) instead of fitting them after the last
page. On the bench's summary-only corpus that hides the extraction (1.5-2.5 s on one core)
behind image work that used the other core.

Nothing here is reported: enrich reports a download that failed here (FitAhead.failed, not
asked again), and a broken picture is fitted, and refused, again there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from digest.content.images.budget import WORKERS
from digest.content.images.cache import ImageCache
from digest.content.images.fit import ImageProfile
from digest.core.errors import ImageError, SourceError
from digest.ingest.fetch import Fetcher

log = logging.getLogger(__name__)

class FitAhead:
    """Asked with the image URLs of each article as its page is extracted; fits them in ``pool``."""

    def __init__(self, fetcher: Fetcher, images: ImageCache, profile: ImageProfile, pool: ThreadPoolExecutor):
        self._fetcher, self._images, self._profile, self._pool = fetcher, images, profile, pool
        self._asked: set[str] = set()
        self.failed: dict[str, SourceError] = {}
        """The downloads that failed, by URL: enrich reports them as they failed here (asked
        again, a dead link would be refused as remembered from an earlier run)."""

    def __call__(self, urls: Iterable[str]) -> None:
        for url in urls:
            if url not in self._asked:
                self._asked.add(url)
                self._pool.submit(self._fit, url)

    def _fit(self, url: str) -> None:
        profile = self._profile
        try:
            stored = self._fetcher.stored(url, max_bytes=profile.max_bytes)
            if stored is None or self._images.remembered(stored.sha256, stored.size, profile) is None:
                body = self._fetcher.get(url, max_bytes=profile.max_bytes, revalidate=False).body
                self._images.process(body, profile, source=url)
        except SourceError as exc:
            self.failed[url] = exc
        except ImageError as exc:
            log.debug("not fitted ahead (enrich fits it again and reports it): %s", exc)


@contextmanager
def fitting_ahead(fetcher: Fetcher | None, images: ImageCache, profile: ImageProfile) -> Iterator[FitAhead | None]:
    """A FitAhead whose work is done when the block ends (its queue dropped if the block fails);
    None without a fetcher."""
    if fetcher is None:
        yield None
        return
    pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="fit-ahead")
    try:
        yield FitAhead(fetcher, images, profile, pool)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
