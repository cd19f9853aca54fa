"""An issue's original images, downloaded ahead of the workers that fit them.

Fitting an image takes a core; downloading one mostly waits (a slow host answers in seconds).
``Downloads`` is the mapping fit_budget reads originals from. Inside ``ahead()`` the originals
not stored yet are downloaded in the background, in reading order, into the cache
(Fetcher.ahead): a worker that reads one then finds it stored, and a slow host holds a
download thread instead of a core. Nothing is held in memory: the cache keeps each copy.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from concurrent.futures import Future

from digest.core.errors import ImageError, SourceError
from digest.ingest.fetch import Fetcher, StoredBody


class Downloads(Mapping[str, bytes]):
    """Image URL -> bytes, fetched only when asked for (or ahead, see ``ahead``) and never held:
    the store keeps the copy (a second read, e.g. at a lower budget step, makes no request)."""

    def __init__(self, urls: list[str], fetcher: Fetcher, max_bytes: int):
        self._urls, self._fetcher, self._max_bytes = urls, fetcher, max_bytes
        self._stored: dict[str, StoredBody | None] = {}
        self._ahead: dict[str, Future[SourceError | None]] = {}
        self.failed: dict[str, SourceError] = {}
        """The downloads that failed, for one report line per host."""

    def stored(self, url: str) -> StoredBody | None:
        """The hash and size of the bytes ``self[url]`` would give from the store without a request
        (looked up once, until ``self[url]`` is read)."""
        if url not in self._stored:
            self._stored[url] = self._fetcher.stored(url, max_bytes=self._max_bytes)
        return self._stored[url]

    @contextlib.contextmanager
    def ahead(self) -> Iterator[None]:
        """Download every original not stored yet in the background while the block runs (see
        Fetcher.ahead: without a cache, each is downloaded when it is read, as outside the block)."""
        missing = [url for url in self._urls if self.stored(url) is None]
        with self._fetcher.ahead(missing, max_bytes=self._max_bytes, revalidate=False) as pending:
            self._ahead = pending
            try:
                yield
            finally:
                self._ahead = {}

    def __getitem__(self, url: str) -> bytes:
        ahead = self._ahead.pop(url, None)
        failure = ahead.result() if ahead is not None and not ahead.cancelled() else None
        if failure is not None:
            self.failed[url] = failure
        if url in self.failed:
            raise ImageError(url, f"not downloaded: {self.failed[url].reason}")
        self._stored.pop(url, None)
        try:
            return self._fetcher.get(url, max_bytes=self._max_bytes, revalidate=False).body
        except SourceError as exc:
            self.failed[url] = exc
            raise ImageError(url, f"not downloaded: {exc.reason}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._urls)

    def __len__(self) -> int:
        return len(self._urls)
