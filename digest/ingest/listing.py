"""Listing sources: a web page that lists items (whitepapers, solutions), read with CSS selectors."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime

from digest.core.urls import absolute_url

log = logging.getLogger(__name__)

MONTHS = {name: number for number, names in enumerate(
    ("jan january", "feb february", "mar march", "apr april", "may", "jun june", "jul july",
     "aug august", "sep sept september", "oct october", "nov november", "dec december"), start=1)
    for name in names.split()}
ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
SLASHED_DATE = re.compile(r"\b(\d{4})/(\d{1,2})/(\d{1,2})(?!\d)")
MONTH_DAY_YEAR = re.compile(r"\b([A-Za-z]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})\b")
DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?[ -]([A-Za-z]{3,9})\.?,?[ -](\d{4})\b")
MONTH_YEAR = re.compile(r"\b([A-Za-z]{3,9})\.?,? (\d{4})\b")


@dataclass(frozen=True)
class ListingRule:
    """CSS selectors for one listing page; all but ``item`` are relative to an item."""

    item: str
    title: str
    link: str | None = None
    """The element whose href is the item's URL; by default the title's link or the item's first link."""
    date: str | None = None
    summary: str | None = None
    date_format: str | None = None
    """strptime format tried first, for dates the lenient parser cannot read (e.g. "%d/%m/%Y")."""


@dataclass(frozen=True)
class ListingItem:
    title: str
    url: str
    published: date | None
    summary: str


@dataclass(frozen=True)
class ListingPage:
    items: tuple[ListingItem, ...]
    skipped: int
    """Items without a title or a link, left out."""


def parse_listing(html: str | bytes, url: str, rule: ListingRule) -> ListingPage:
    """The items of a listing page, in page order, with absolute URLs."""
    from bs4 import BeautifulSoup  # imported here: a build without listing sources never needs it

    soup = BeautifulSoup(html, "lxml")
    base = soup.find("base", href=True)
    base_url = absolute_url(url, str(base["href"])) if base else url
    items, skipped = [], 0
    for element in soup.select(rule.item):
        title_element = element.select_one(rule.title)
        title = " ".join(title_element.get_text(" ").split()) if title_element else ""
        href = _href(element, title_element, rule.link)
        if not title or not href:
            skipped += 1
            continue
        date_element = element.select_one(rule.date) if rule.date else None
        summary_element = element.select_one(rule.summary) if rule.summary else None
        items.append(ListingItem(
            title=title,
            url=absolute_url(base_url, href),
            published=_date(date_element, rule.date_format) if date_element else None,
            summary=" ".join(summary_element.get_text(" ").split()) if summary_element else "",
        ))
    if skipped:
        log.info("%s: %d listing items without a title or link skipped", url, skipped)
    return ListingPage(tuple(items), skipped)


def _href(item, title_element, link_selector: str | None) -> str:
    if link_selector:
        candidates = [item.select_one(link_selector)]
    else:
        candidates = [title_element, item]
    for candidate in candidates:
        if candidate is None:
            continue
        link = candidate if candidate.get("href") else candidate.find("a", href=True)
        href = (link.get("href") or "").strip() if link else ""
        if href and not href.startswith(("#", "javascript:")):
            return href
    return ""


def _date(element, date_format: str | None) -> date | None:
    text = element.get("datetime") or element.get("content") or element.get_text(" ")
    text = " ".join(text.split())
    if date_format:
        try:
            return datetime.strptime(text, date_format).date()
        except ValueError:
            pass  # pages mix formats ("Jan. 23, 2018" beside "09/01/2018"): try the usual ones
    return parse_date(text)


def parse_date(text: str) -> date | None:
    """A date written the ways listing pages write them, found anywhere in ``text``.

    "2018-01-05", "2018/01/05", "January 5, 2018", "Jan. 5 2018", "05 Jan 2018",
    "5th January 2018"; "January 2018" means the 1st. English month names only.
    """
    for pattern, order in ((ISO_DATE, "ymd"), (SLASHED_DATE, "ymd"), (MONTH_DAY_YEAR, "mdy"),
                           (DAY_MONTH_YEAR, "dmy"), (MONTH_YEAR, "my")):
        for match in pattern.finditer(text):
            parts = dict(zip(order, match.groups()))
            month = MONTHS.get(parts["m"].lower()) if not parts["m"].isdigit() else int(parts["m"])
            if month is None:
                continue
            try:
                return date(int(parts["y"]), month, int(parts.get("d", 1)))
            except ValueError:
                continue
    return None
