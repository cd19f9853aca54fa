"""The cache's memory of HTTP responses, for conditional GET and offline re-builds; the record's of failed fetches."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

from digest.core.cache import Cache
from digest.core.store import Store, now
from digest.ingest.failures import HOST_KEY, DeadLink
from digest.ingest.fetch import Response, StoredBody
from digest.ingest.wire import VALIDATORS, sendable


class StoreCache:
    """ValidatorCache backed by the cache's ``http_cache`` table. Only 200 responses are kept."""

    def __init__(self, cache: Cache):
        self.cache, self.store = cache, cache.store

    def lookup(self, url: str) -> Response | None:
        row = self.store.query_one("SELECT final_url, status, headers, body, body_sha256 FROM http_cache "
                                   "WHERE url = ?", (url,))
        if row is None:
            return None
        self.cache.used("http_cache", url)
        body = bytes(row["body"])
        if row["body_sha256"] is None:  # saved before the column existed: hashed once, now
            # (a row saved since, by another thread, has its own hash and stays as it is)
            self.store.execute("UPDATE http_cache SET body_sha256 = ?, body_size = ? WHERE url = ? "
                               "AND body_sha256 IS NULL", (hashlib.sha256(body).hexdigest(), len(body), url))
        return Response(url, row["final_url"], row["status"], body, json.loads(row["headers"]))

    def digest(self, url: str) -> StoredBody | None:
        """The SHA-256 and size of the body stored for ``url``, without reading it (None when
        nothing is stored, or the row predates its hash and has not been read since)."""
        # The covering index answers alone; SQLite would pick the primary key's and read the row.
        row = self.store.query_one("SELECT body_sha256, body_size, final_url FROM http_cache "
                                   "INDEXED BY http_cache_digests WHERE url = ? AND body_sha256 IS NOT NULL", (url,))
        if row is None:
            return None
        self.cache.used("http_cache", url)
        return StoredBody(row["body_sha256"], row["body_size"], row["final_url"])

    def save(self, response: Response) -> None:
        if response.status != 200:
            return
        self.store.execute(
            "INSERT OR REPLACE INTO http_cache (url, final_url, status, headers, body, body_sha256, body_size, "
            "fetched_at, used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (response.url, response.final_url, response.status, json.dumps(_storable(response.headers), sort_keys=True),
             response.body, hashlib.sha256(response.body).hexdigest(), len(response.body), now(), now()))


class StoreFailures:
    """FailureMemory backed by the record's ``fetch_failures`` table; expired rows are dropped when it opens."""

    def __init__(self, store: Store):
        self.store = store
        store.execute("DELETE FROM fetch_failures WHERE retry_after <= ?", (now(),))

    def recall(self, url: str, host: str) -> DeadLink | None:
        row = self.store.query_one(
            "SELECT reason, failed_at, retry_after FROM fetch_failures WHERE key IN (?, ?) AND retry_after > ? "
            "ORDER BY retry_after DESC LIMIT 1", (url, HOST_KEY + host, now()))
        if row is None:
            return None
        return DeadLink(url, row["reason"], remembered=True,
                        note=f"remembered from {_minute(row['failed_at'])}, not asked again before "
                             f"{_minute(row['retry_after'])} UTC")

    def remember(self, key: str, reason: str, days: float) -> None:
        failed = datetime.now(timezone.utc).replace(microsecond=0)
        self.store.execute("INSERT OR REPLACE INTO fetch_failures (key, reason, failed_at, retry_after) "
                           "VALUES (?, ?, ?, ?)", (key, reason, failed.isoformat(),
                                                   (failed + timedelta(days=days)).isoformat()))


def _storable(headers: dict[str, str]) -> dict[str, str]:
    """The headers without a validator that could not be sent back (see wire.sendable)."""
    return {name: value for name, value in headers.items() if name not in VALIDATORS or sendable(value)}


def _minute(stamp: str) -> str:
    return stamp[:16].replace("T", " ")
