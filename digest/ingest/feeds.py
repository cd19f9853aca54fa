"""Read a source (RSS 0.9x/1.0/2.0, Atom, JSON Feed; local file or URL) into Entry records."""

from __future__ import annotations

import calendar
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape
from pathlib import Path

from digest.core.config import Config, Source
from digest.core.errors import SourceError
from digest.core.models import Entry, Problem
from digest.ingest.entries import RawEntry, check_entry, describe
from digest.ingest.fetch import Fetcher
from digest.ingest.sniffing import sniff

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedResult:
    source: Source
    entries: tuple[Entry, ...]
    problems: tuple[Problem, ...]


FeedParser = Callable[[Source, str, bytes, dict[str, str], str], FeedResult]
"""parse_feed's signature: source, location, body, response headers, base URL."""


def read_source(config: Config, source: Source, fetcher: Fetcher | None = None,
                parse: FeedParser | None = None) -> FeedResult:
    """Load and parse one source. A broken source raises SourceError; a broken entry is a Problem.

    ``parse`` reads the body (parse_feed unless given; a build passes one that remembers feeds).
    """
    location = config.resolve(source.url)
    if source.is_remote:
        if fetcher is None:
            raise SourceError(location, "remote source but no network access in this run")
        response = fetcher.get(location)
        body, headers, base = response.body, response.headers, response.final_url
    else:
        try:
            body = Path(location).read_bytes()
        except OSError as exc:
            raise SourceError(location, f"cannot read feed: {exc.strerror or exc}") from None
        headers, base = {}, Path(location).as_uri()
    return (parse or parse_feed)(source, location, body, headers, base)


def parse_feed(source: Source, location: str, body: bytes, headers: dict[str, str], base: str) -> FeedResult:
    """The entries of a feed's ``body``, JSON Feed or XML (``headers``: the response's, lower-case)."""
    if _looks_like_json(body, headers):
        return _parse_json_feed(source, location, body, base)
    return _parse_xml_feed(source, location, body, headers, base)


def _looks_like_json(body: bytes, headers: dict[str, str]) -> bool:
    return sniff(body, headers.get("content-type", "").lower()) == "json"


def _parse_xml_feed(source: Source, location: str, body: bytes, headers: dict[str, str],
                    base: str) -> FeedResult:
    # Imported here: a rebuild of unchanged feeds takes them from digest.ingest.feedmemo.
    import feedparser

    parsed = feedparser.parse(
        body,
        response_headers={"content-location": base, **{k.lower(): v for k, v in headers.items()}},
        sanitize_html=False,  # our own sanitizer runs later, with Kindle's rules
        resolve_relative_uris=True,
    )
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        reason = parsed.get("bozo_exception") or "not a feed"
        raise SourceError(location, f"malformed feed: {reason}")
    feed_language = parsed.feed.get("language")
    entries, problems = [], []
    for index, raw in enumerate(parsed.entries):
        contents = [c for c in raw.get("content") or [] if isinstance(c, dict)]
        html_contents = [c for c in contents if "html" in (c.get("type") or "")] or contents
        declared = (html_contents[0].get("language") if html_contents else None) or \
            (raw.get("summary_detail") or {}).get("language")
        fields = RawEntry(
            title=raw.get("title"),
            link=raw.get("link"),
            guid=raw.get("id"),
            authors=[a for a in raw.get("authors") or [] if isinstance(a, dict) and a.get("name")]
            or [raw.get("author")],
            published=_to_datetime(raw.get("published_parsed")),
            # plain dict lookup: feedparser's .get() maps a missing updated to published, with a warning
            updated=_to_datetime(dict.get(raw, "updated_parsed")),
            summary=raw.get("summary"),
            content=html_contents[0].get("value") if html_contents else None,
            categories=[t.get("term") for t in raw.get("tags") or [] if isinstance(t, dict) and t.get("term")],
            language=declared,
        )
        entry, entry_problems = check_entry(source, f"{location} entry {index + 1}", base, fields, feed_language)
        problems.extend(entry_problems)
        if entry is not None:
            entries.append(entry)
    log.info("%s: %d entries", source.name, len(entries))
    return FeedResult(source, tuple(entries), tuple(problems))


def _to_datetime(struct) -> datetime | None:
    """feedparser normalises dates to UTC struct_time."""
    if not struct:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(struct), tz=timezone.utc)
    except (OverflowError, ValueError, OSError):  # a year no clock can hold
        return None


def _parse_json_feed(source: Source, location: str, body: bytes, base: str) -> FeedResult:
    """JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1); feedparser reads XML only."""
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceError(location, f"malformed JSON feed: {exc}") from None
    if not isinstance(data, dict) or "jsonfeed.org/version/" not in str(data.get("version", "")) \
            or not isinstance(data.get("items"), list):
        raise SourceError(location, "not a JSON Feed (missing 'version' or 'items')")
    feed_authors = _json_authors(data)
    entries, problems = [], []
    for index, item in enumerate(data["items"]):
        where = f"{location} item {index + 1}"
        if not isinstance(item, dict):
            problems.append(Problem(where, f"item is {describe(item)}, not an object"))
            continue
        fields = RawEntry(
            title=item.get("title"),
            link=item.get("url") or item.get("external_url"),
            guid=item.get("id"),
            authors=_json_authors(item) or feed_authors,
            published=_parse_iso(item.get("date_published")),
            updated=_parse_iso(item.get("date_modified")),
            summary=item.get("summary"),
            content=item.get("content_html") or _text_to_html(item.get("content_text")),
            categories=item.get("tags") or (),
            language=item.get("language"),
        )
        entry, entry_problems = check_entry(source, where, base, fields, data.get("language"))
        problems.extend(entry_problems)
        if entry is not None:
            entries.append(entry)
    log.info("%s: %d entries", source.name, len(entries))
    return FeedResult(source, tuple(entries), tuple(problems))


def _json_authors(obj: dict) -> object:
    """JSON Feed 1.1 "authors" (a list), else 1.0's "author" (one object); checked by check_entry."""
    return obj.get("authors") or obj.get("author") or ()


def _parse_iso(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _text_to_html(text) -> str | None:
    if not isinstance(text, str):
        return None
    return "".join(f"<p>{escape(p.strip())}</p>" for p in str(text).split("\n\n") if p.strip())
