"""Read a source (RSS 0.9x/1.0/2.0, Atom, JSON Feed; local file or URL) into Entry records."""

from __future__ import annotations

import calendar
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape
from pathlib import Path

import feedparser

from digest.core.config import Config, Source
from digest.core.errors import SourceError
from digest.core.models import Entry, Problem
from digest.core.urls import absolute_url
from digest.ingest.fetch import Fetcher, sniff

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedResult:
    source: Source
    entries: tuple[Entry, ...]
    problems: tuple[Problem, ...]


def read_source(config: Config, source: Source, fetcher: Fetcher | None = None) -> FeedResult:
    """Load and parse one source. A broken source raises SourceError; a broken entry is a Problem."""
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
    if _looks_like_json(body, headers):
        return _parse_json_feed(source, location, body, base)
    return _parse_xml_feed(source, location, body, headers, base)


def _looks_like_json(body: bytes, headers: dict[str, str]) -> bool:
    return sniff(body, headers.get("content-type", "").lower()) == "json"


def _parse_xml_feed(source: Source, location: str, body: bytes, headers: dict[str, str],
                    base: str) -> FeedResult:
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
        where = f"{location} entry {index + 1}"
        title = (raw.get("title") or "").strip()
        published = _to_datetime(raw.get("published_parsed"))
        # plain dict lookup: feedparser's .get() maps a missing updated to published, with a warning
        updated = _to_datetime(dict.get(raw, "updated_parsed"))
        link = raw.get("link") or ""
        if not title:
            problems.append(Problem(where, f"entry without a title ({link or 'no link'})"))
            continue
        if not (published or updated):
            problems.append(Problem(where, f"entry {title!r} has no date"))
            continue
        contents = raw.get("content") or []
        html_contents = [c for c in contents if "html" in c.get("type", "")] or contents
        content = html_contents[0].get("value", "") if html_contents else ""
        declared = (html_contents[0].get("language") if html_contents else None) or \
            raw.get("summary_detail", {}).get("language")
        entries.append(Entry(
            source=source.name,
            section=source.section,
            guid=raw.get("id") or link,
            title=title,
            link=absolute_url(base, link) if link else "",
            authors=_authors(raw),
            published=published,
            updated=updated,
            summary=raw.get("summary", ""),
            content=content or raw.get("summary", ""),
            categories=tuple(t.get("term", "") for t in raw.get("tags", []) if t.get("term")),
            language=declared or feed_language,
        ))
    log.info("%s: %d entries", source.name, len(entries))
    return FeedResult(source, tuple(entries), tuple(problems))


def _authors(raw) -> tuple[str, ...]:
    names = [a.get("name", "").strip() for a in raw.get("authors", []) if a.get("name")]
    if not names and raw.get("author"):
        names = [raw["author"].strip()]
    return tuple(dict.fromkeys(n for n in names if n))


def _to_datetime(struct) -> datetime | None:
    """feedparser normalises dates to UTC struct_time."""
    if not struct:
        return None
    return datetime.fromtimestamp(calendar.timegm(struct), tz=timezone.utc)


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
            problems.append(Problem(where, "item is not an object"))
            continue
        title = str(item.get("title") or "").strip()
        link = str(item.get("url") or "")
        published = _parse_iso(item.get("date_published"))
        updated = _parse_iso(item.get("date_modified"))
        if not title:
            problems.append(Problem(where, f"entry without a title ({link or 'no link'})"))
            continue
        if not (published or updated):
            problems.append(Problem(where, f"entry {title!r} has no valid date"))
            continue
        summary = str(item.get("summary") or "")
        entries.append(Entry(
            source=source.name,
            section=source.section,
            guid=str(item.get("id") or link),
            title=title,
            link=absolute_url(base, link) if link else "",
            authors=_json_authors(item) or feed_authors,
            published=published,
            updated=updated,
            summary=summary,
            content=str(item.get("content_html") or "") or _text_to_html(item.get("content_text")) or summary,
            categories=tuple(str(t) for t in item.get("tags") or []),
            language=item.get("language") or data.get("language"),
        ))
    log.info("%s: %d entries", source.name, len(entries))
    return FeedResult(source, tuple(entries), tuple(problems))


def _json_authors(obj: dict) -> tuple[str, ...]:
    authors = obj.get("authors") or ([obj["author"]] if isinstance(obj.get("author"), dict) else [])
    return tuple(str(a["name"]).strip() for a in authors if isinstance(a, dict) and a.get("name"))


def _parse_iso(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _text_to_html(text) -> str:
    if not text:
        return ""
    return "".join(f"<p>{escape(p.strip())}</p>" for p in str(text).split("\n\n") if p.strip())
