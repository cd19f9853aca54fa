"""The store's memory of HTTP responses, for conditional GET and offline re-builds."""

from __future__ import annotations

import json

from digest.core.store import Store, now
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
