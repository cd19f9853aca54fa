"""The store's memory of HTTP responses, for conditional GET and offline re-builds, and of failed fetches."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from digest.core.store import Store, now
from digest.ingest.failures import HOST_KEY, DeadLink
from digest.ingest.fetch import Response


class StoreCache:
    """ValidatorCache backed by the ``http_cache`` table. Only 200 responses are kept."""

    def __init__(self, store: Store):
        self.store = store

    def lookup(self, url: str) -> Response | None:
        row = self.store.query_one("SELECT final_url, status, headers, body FROM http_cache WHERE url = ?", (url,))
        if row is None:
            return None
        return Response(url, row["final_url"], row["status"], bytes(row["body"]), json.loads(row["headers"]))

    def save(self, response: Response) -> None:
        if response.status != 200:
            return
        self.store.execute(
                "INSERT OR REPLACE INTO http_cache (url, final_url, status, headers, body, fetched_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
            (response.url, response.final_url, response.status, json.dumps(response.headers, sort_keys=True),
             response.body, now()))


class StoreFailures:
    """FailureMemory backed by the ``fetch_failures`` table; expired rows are dropped when it opens."""

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


def _minute(stamp: str) -> str:
    return stamp[:16].replace("T", " ")
