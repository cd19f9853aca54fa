"""Parsed feeds remembered in the cache, so a rebuild does not parse an unchanged feed again.

A feed that answered 304 Not Modified hands back the very bytes the last build parsed,
and feedparser takes a noticeable part of a warm build to read them again. Each source
keeps one row: what it was parsed from (the SHA-256 of the body, the response headers
and the base URL) and the entries and problems that came out. The row is found by the
source's settings, its location and a fingerprint of the parsing code (digest's version,
feedparser's, and the modules that turn a feed into entries), so any change there parses
every feed again once. A feed that fails to parse is not remembered: it raises as before.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from functools import cache
from importlib.metadata import version

from digest import __version__
from digest.core import fields
from digest.core.cache import Cache, code_fingerprint, memo_key
from digest.core.config import Source
from digest.core.models import Problem
from digest.ingest import entries, feeds
from digest.ingest.archive import entry_from_json, entry_to_json
from digest.ingest.feeds import FeedResult, parse_feed

log = logging.getLogger(__name__)


class ParsedFeeds:
    """A ``parse=`` for read_source that remembers each source's last parse in the cache."""

    def __init__(self, cache: Cache):
        self.cache = cache

    def parse(self, source: Source, location: str, body: bytes, headers: dict[str, str], base: str) -> FeedResult:
        key = memo_key([dataclasses.asdict(source), location, _fingerprint()])
        read_from = memo_key([hashlib.sha256(body).hexdigest(), sorted(headers.items()), base])
        remembered = self.cache.recall("parsed-feed", key)
        if remembered is not None:
            value = json.loads(remembered)
            if value["read_from"] == read_from:
                found = tuple(entry_from_json(data) for data in value["entries"])
                log.info("%s: %d entries (feed unchanged since it was last parsed)", source.name, len(found))
                return FeedResult(source, found, tuple(Problem(*pair) for pair in value["problems"]))
        result = parse_feed(source, location, body, headers, base)
        self.cache.remember("parsed-feed", key, json.dumps({
            "read_from": read_from,
            "entries": [entry_to_json(entry) for entry in result.entries],
            "problems": [[problem.where, problem.reason] for problem in result.problems],
        }))
        return result


@cache
def _fingerprint() -> str:
    return code_fingerprint((feeds, entries, fields), f"{__version__} {version('feedparser')}")
