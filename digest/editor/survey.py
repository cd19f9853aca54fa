"""`digest sources`: what each configured source yields, overall and for one month."""

from __future__ import annotations

from dataclasses import dataclass

from digest.content.issue.select import select_entries
from digest.core.config import Config, Listing, Source
from digest.core.errors import SourceError
from digest.core.month import Month
from digest.ingest.curate import listing_rule
from digest.ingest.feeds import read_source
from digest.ingest.fetch import Fetcher
from digest.ingest.issuefile import load_issue


@dataclass(frozen=True)
class SourceSurvey:
    source: Source
    entries: int = 0
    in_month: int = 0
    selected: int = 0
    chosen: tuple[str, ...] = ()
    """Titles of the articles the issue would carry, in reading order."""
    skipped: tuple[str, ...] = ()
    error: str = ""


@dataclass(frozen=True)
class ListingSurvey:
    listing: Listing
    items: int = 0
    in_month: tuple[str, ...] = ()
    """Titles of the items dated in the month: the curated links the issue would get."""
    undated: int = 0
    error: str = ""


def survey_listings(config: Config, month: Month | None, fetcher: Fetcher) -> tuple[ListingSurvey, ...]:
    """Read each ``[[listings]]`` page live and count its items, and those dated in ``month``."""
    from digest.ingest.listing import parse_listing  # BeautifulSoup: only when there are listings

    start, end = (moment.date() for moment in month.bounds(config.publication.zone)) if month else (None, None)
    results = []
    for listing in config.listings:
        try:
            page = fetcher.get(listing.url)
        except SourceError as exc:
            results.append(ListingSurvey(listing, error=exc.reason))
            continue
        found = parse_listing(page.body, page.final_url, listing_rule(listing))
        results.append(ListingSurvey(
            listing, items=len(found.items),
            in_month=tuple(item.title for item in found.items
                           if start and end and item.published and start <= item.published < end),
            undated=sum(item.published is None for item in found.items)))
    return tuple(results)


def survey_sources(config: Config, month: Month | None, fetcher: Fetcher) -> tuple[SourceSurvey, ...]:
    """Read each source live (nothing is stored) and count what it yields."""
    spec = load_issue(config, month) if month else None
    results = []
    for source in config.sources:
        try:
            feed = read_source(config, source, fetcher)
        except SourceError as exc:
            results.append(SourceSurvey(source, error=exc.reason))
            continue
        if spec is None or month is None:
            results.append(SourceSurvey(source, entries=len(feed.entries)))
            continue
        selection = select_entries(config, spec, feed.entries)
        zone = config.publication.zone
        results.append(SourceSurvey(
            source,
            entries=len(feed.entries),
            in_month=sum(month.contains(e.date, zone) for e in feed.entries),
            selected=len(selection.articles),
            chosen=tuple(e.title for e in selection.articles),
            skipped=tuple(f"{s.title}: {s.reason}" for s in selection.skipped),
        ))
    return tuple(results)
