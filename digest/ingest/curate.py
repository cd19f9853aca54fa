"""Curated links that describe themselves, and listing pages that supply them.

An issue file may give only a URL: the page's title, description and lead image are read
from its meta tags (or a PDF's metadata and page count). A listing source (a whitepaper
directory, a solutions library) is read with CSS selectors; its items dated in the month
become curated links of the listing's kind.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable

from digest.core.config import Config, Listing
from digest.core.errors import SourceError
from digest.core.models import CuratedLink, Problem
from digest.core.month import Month
from digest.core.urls import canonical_url
from digest.ingest.fetch import Fetcher
from digest.ingest.linkmeta import page_metadata
from digest.ingest.listing import ListingRule, parse_listing
from digest.ingest.wire import url_problem

log = logging.getLogger(__name__)


def curated_links(config: Config, month: Month, links: Iterable[CuratedLink],
                  fetcher: Fetcher | None) -> tuple[tuple[CuratedLink, ...], tuple[Problem, ...]]:
    """The issue file's links, completed from the web, plus the month's items of every listing."""
    links = list(links)
    problems: list[Problem] = []
    if fetcher is not None:
        listed, problems = _from_listings(config, month, fetcher)
        known = {canonical_url(link.url) for link in links}
        links += [link for link in listed if canonical_url(link.url) not in known]
    unfetchable = {link.url: problem for link in links if (problem := url_problem(link.url))}
    problems += [Problem(url, f"curated link left out: {problem}") for url, problem in unfetchable.items()]
    links = [link for link in links if link.url not in unfetchable]
    if fetcher is not None:
        links, described = _described(links, fetcher)
        problems += described
    untitled = [link for link in links if not link.title]
    problems += [Problem(link.url, "curated link has no title and none could be fetched; shown by its URL")
                 for link in untitled]
    return tuple(dataclasses.replace(link, title=link.title or link.url) for link in links), tuple(problems)


def _described(links: list[CuratedLink], fetcher: Fetcher) -> tuple[list[CuratedLink], list[Problem]]:
    """Fill in a missing title or summary, and find the lead image, from each page."""
    wanted = [link.url for link in links if not (link.title and link.summary)]
    pages = fetcher.get_all(wanted) if wanted else {}
    completed, problems = [], []
    for link in links:
        page = pages.get(link.url)
        if page is None:
            completed.append(link)
            continue
        try:
            if isinstance(page, SourceError):
                raise page
            meta = page_metadata(page.body, page.content_type, page.final_url)
        except SourceError as exc:
            problems.append(Problem(exc.where, f"curated link not described: {exc.reason}"))
            completed.append(link)
            continue
        summary = link.summary or meta.description or ""
        if meta.page_count:
            summary = f"{summary} (PDF, {meta.page_count} pages)".strip()
        completed.append(dataclasses.replace(link, title=link.title or meta.title or "", summary=summary,
                                             image_url=link.image_url or meta.image_url or ""))
    return completed, problems


def _from_listings(config: Config, month: Month, fetcher: Fetcher) -> tuple[list[CuratedLink], list[Problem]]:
    links, problems = [], []
    zone = config.publication.zone
    start, end = (moment.date() for moment in month.bounds(zone))
    pages = fetcher.get_all(listing.url for listing in config.listings)
    for listing in config.listings:
        page = pages[listing.url]
        if isinstance(page, SourceError):
            problems.append(Problem(page.where, f"listing {listing.name!r}: {page.reason}"))
            continue
        found = parse_listing(page.body, page.final_url, listing_rule(listing))
        in_month = [item for item in found.items if item.published and start <= item.published < end]
        undated = sum(1 for item in found.items if item.published is None)
        if undated:
            problems.append(Problem(listing.url, f"listing {listing.name!r}: {undated} items without a date"))
        log.info("listing %s: %d items, %d in %s", listing.name, len(found.items), len(in_month), month)
        links += [CuratedLink(listing.kind, item.title, item.url, item.summary) for item in in_month]
    return links, problems


def listing_rule(listing: Listing) -> ListingRule:
    """The CSS selectors of a ``[[listings]]`` entry."""
    return ListingRule(item=listing.item, title=listing.title, link=listing.link or None,
                       date=listing.date or None, summary=listing.summary or None,
                       date_format=listing.date_format or None)
