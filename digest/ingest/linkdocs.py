"""The documents behind curated links: a whitepaper's PDF, a repository's raw README and diagram.

Read from the config's ``[links] snapshots`` folder when it holds a copy (laid out as
``HOST/PATH``, so the sample builds offline and a document behind a login can be supplied),
else downloaded through the fetch layer with its caps, memory of dead links and SSRF guard.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from digest.core.errors import SourceError
from digest.ingest.fetch import Fetcher

log = logging.getLogger(__name__)


def snapshot_path(folder: str, url: str) -> Path | None:
    """Where ``folder`` would hold a copy of ``url``; None when the URL would lead outside it."""
    parts = urlsplit(url)
    if not folder or not parts.hostname:
        return None
    root = Path(folder).resolve()
    path = (root / parts.hostname / unquote(parts.path).lstrip("/")).resolve()
    return path if path.is_relative_to(root / parts.hostname) and path != root / parts.hostname else None


def read_documents(urls: Iterable[str], fetcher: Fetcher | None, snapshots: str,
                   max_bytes: int) -> dict[str, bytes | SourceError]:
    """Each URL's bytes, or the reason it could not be had; without a fetcher, snapshots only."""
    found: dict[str, bytes | SourceError] = {}
    remote: list[str] = []
    for url in dict.fromkeys(urls):
        path = snapshot_path(snapshots, url)
        if path is not None and path.is_file():
            size = path.stat().st_size
            found[url] = path.read_bytes() if size <= max_bytes else SourceError(
                url, f"{size} bytes, over the {max_bytes}-byte cap")
        elif fetcher is not None:
            remote.append(url)
    if remote and fetcher is not None:
        for url, response in fetcher.get_all(remote, label="documents", max_bytes=max_bytes,
                                             revalidate=False).items():
            found[url] = response if isinstance(response, SourceError) else response.body
    return found
