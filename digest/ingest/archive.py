"""The record's archive of feed entries (compressed) and of what each issue published."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from digest.core.models import Article, CuratedLink, Entry
from digest.core.month import Month
from digest.core.store import Store, deflate, inflate, now
from digest.core.urls import canonical_url


def entry_key(entry: Entry) -> str:
    """One entry, however many feeds carry it: its canonical URL, else its guid."""
    return canonical_url(entry.link) if entry.link else entry.guid


@dataclass(frozen=True)
class Remembered:
    """What one read of a source did to the record (remember_entries)."""

    new: int
    """Entries the record had not seen before."""
    left_out: int
    """Entries of the read past the bound, older than the ones kept: not put in the record."""
    cut: tuple[tuple[str, int], ...]
    """("YYYY-MM", entries dropped) for each month of the source over the bound."""


def remember_entries(store: Store, source: str, entries: Sequence[Entry], per_month: int) -> Remembered:
    """Add or refresh what one read of ``source`` gave; first_seen never changes. When two sources
    carry the same post, the archive keeps the first source's copy.

    The record must stay small, so it takes at most the read's newest ``per_month`` entries
    (a feed of 140,000 items fits under the fetch cap) and, after a read that brought new ones,
    keeps at most the source's newest ``per_month`` of each month (a feed that shows new links at
    every read, a spammer's or a broken CMS's, would add them every day).
    """
    kept = entries
    if len(kept) > per_month:
        kept = sorted(entries, key=lambda entry: entry.date, reverse=True)[:per_month]
    stamp, new = now(), 0
    with store.transaction() as conn:
        for entry in kept:
            key, data = entry_key(entry), deflate(json.dumps(entry_to_json(entry), sort_keys=True))
            if conn.execute("SELECT 1 FROM entries WHERE key = ?", (key,)).fetchone():
                conn.execute("UPDATE entries SET data = ?, published = ?, last_seen = ? WHERE key = ? AND source = ?",
                             (data, entry.date.isoformat(), stamp, key, entry.source))
                continue
            conn.execute(
                "INSERT INTO entries (key, source, guid, link, published, data, first_seen, last_seen) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (key, entry.source, entry.guid, entry.link, entry.date.isoformat(), data, stamp, stamp))
            new += 1
        cut = _keep_newest_per_month(conn, source, per_month) if new else ()
    return Remembered(new, len(entries) - len(kept), cut)


def _keep_newest_per_month(conn, source: str, count: int) -> tuple[tuple[str, int], ...]:
    """Drop ``source``'s archived entries past the newest ``count`` of each month (by their date)."""
    month = "substr(published, 1, 7)"
    over = tuple((row[0], row[1] - count) for row in conn.execute(
        f"SELECT {month}, count(*) FROM entries WHERE source = ? GROUP BY 1 HAVING count(*) > ?", (source, count)))
    for label, _ in over:
        conn.execute(f"DELETE FROM entries WHERE key IN (SELECT key FROM entries WHERE source = ? AND {month} = ? "
                     "ORDER BY published DESC, key DESC LIMIT -1 OFFSET ?)", (source, label, count))
    return over


@dataclass(frozen=True)
class ArchiveWindow:
    """The archived entries a build reads back: those dated from ``start`` to before ``end``
    (as the feed dated them, in its own time zone), and those whose key or guid is in ``keys``."""

    start: date
    end: date
    keys: frozenset[str] = frozenset()


ZONE_MARGIN = timedelta(days=2)
"""Time zones put a moment on dates up to 26 hours apart: a feed's date and the publication's."""


def month_window(month: Month, keys: Iterable[str] = ()) -> ArchiveWindow:
    """The window of ``month``, wide enough for whatever zones the feeds and the publication date
    their moments in, plus the entries ``keys`` name (an issue file's pins, whatever their date)."""
    start, end = (moment.date() for moment in month.bounds(ZoneInfo("UTC")))
    return ArchiveWindow(start - ZONE_MARGIN, end + ZONE_MARGIN, frozenset(keys))


def archived_entries(store: Store, sources: Iterable[str], known: Collection[str],
                     window: ArchiveWindow) -> tuple[Entry, ...]:
    """The archived entries of these sources in ``window``, in source order, then by date; none
    whose key (entry_key) is ``known`` (the feeds show them: not read back). A build inflates
    its month's entries only, however many months the record holds."""
    wanted, keys = list(sources), sorted(window.keys)
    marks = ",".join("?" * len(keys))
    named = f" OR key IN ({marks}) OR guid IN ({marks})" if keys else ""
    # Dates are stored as ISO text, so the index on published answers the range.
    rows = store.query(f"SELECT key, data FROM entries WHERE source IN ({','.join('?' * len(wanted))}) "
                       f"AND (published >= ? AND published < ?{named}) ORDER BY published, key",
                       [*wanted, window.start.isoformat(), window.end.isoformat(), *keys, *keys])
    entries = [entry_from_json(json.loads(inflate(row["data"]))) for row in rows if row["key"] not in known]
    rank = {name: i for i, name in enumerate(wanted)}
    return tuple(sorted(entries, key=lambda e: rank[e.source]))


def published_elsewhere(store: Store, month: Month) -> frozenset[str]:
    """Keys and guids of articles that issues other than ``month`` carried."""
    rows = store.query("SELECT key, guid FROM published_articles WHERE issue_month != ?", (str(month),))
    return frozenset(value for row in rows for value in (row["key"], row["guid"]))


def record_published(store: Store, month: Month, articles: Iterable[Article],
                     links: Iterable[CuratedLink] = ()) -> None:
    """Replace the record of what ``month`` carried (a rebuild may change it).

    Curated links are recorded by their URL, so a link source never brings one back later."""
    replace_published(store, month, [(canonical_url(a.link) if a.link else a.guid, a.guid, a.title) for a in articles]
                      + [(canonical_url(link.url), link.url, link.title) for link in links])


def replace_published(store: Store, month: Month, articles: Sequence[tuple[str, str, str]]) -> None:
    """Replace what ``month`` carried by ``articles``: (key, guid, title) each."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM published_articles WHERE issue_month = ?", (str(month),))
        conn.executemany(
            "INSERT OR IGNORE INTO published_articles (issue_month, key, guid, title, published_at) "
            "VALUES (?, ?, ?, ?, ?)", [(str(month), *article, now()) for article in articles])


def entry_to_json(entry: Entry) -> dict:
    """``entry`` as JSON-ready values (entry_from_json reads it back)."""
    data = asdict(entry)
    for name in ("published", "updated"):
        data[name] = data[name].isoformat() if data[name] else None
    return data


def entry_from_json(data: dict) -> Entry:
    for name in ("published", "updated"):
        data[name] = datetime.fromisoformat(data[name]) if data[name] else None
    for name in ("authors", "categories"):
        data[name] = tuple(data[name])
    return Entry(**data)
