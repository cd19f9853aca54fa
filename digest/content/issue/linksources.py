"""Sources of links: a feed whose entries become curated links (``[[sources]] links = "kind"``).

Their entries are read, remembered and selected exactly as posts are (the month, the
source's rules, the issue file's pins and exclusions, the store's memory of what earlier
issues carried); only then are they turned into curated links instead of articles. An
entry that points into a GitHub repository (a release, a commit) stands for the repository.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from digest.content.text.sanitize import html_text
from digest.core.config import Config
from digest.core.fields import one_line_text
from digest.core.models import CuratedLink, Entry, Selection, Skipped
from digest.core.urls import canonical_url

REPOSITORY_PAGE = re.compile(r"^(https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)"
                             r"(?:/(?:releases|commit|commits|tree|blob|tags)(?:/.*)?)?/?$")
SUMMARY_WORDS = 60


def repository_url(url: str) -> str:
    """A release, commit or file page of a GitHub repository as the repository's own URL."""
    match = REPOSITORY_PAGE.match(url.split("?")[0].split("#")[0])
    return match.group(1).removesuffix(".git") if match else url


def split_links(config: Config, selection: Selection,
                earlier: frozenset[str] = frozenset()) -> tuple[Selection, tuple[CuratedLink, ...]]:
    """The selection's articles, and the entries of link sources as curated links, in reading order.

    ``earlier`` holds what earlier issues carried: a repository whose new release comes in a
    later month is not carried again.
    """
    kinds = {s.name: s.links for s in config.sources if s.links}
    articles = tuple(e for e in selection.articles if e.source not in kinds)
    links: dict[str, CuratedLink] = {}
    skipped = list(selection.skipped)
    for entry in (e for e in selection.articles if e.source in kinds):
        link = _link(kinds[entry.source], entry)
        key = canonical_url(link.url)
        if key in earlier:
            skipped.append(Skipped(entry.source, entry.title, entry.link, "already published in an earlier issue"))
        elif key in links:
            skipped.append(Skipped(entry.source, entry.title, entry.link,
                                   f"same link as {links[key].title!r}"))
        else:
            links[key] = link
    return dataclasses.replace(selection, articles=articles, skipped=tuple(skipped)), tuple(links.values())


def merge_links(edited: Iterable[CuratedLink], fed: Iterable[CuratedLink]) -> tuple[CuratedLink, ...]:
    """The issue file's links first, in its order and with its titles and summaries (the editor
    has the last word), then the fed links it does not mention."""
    edited = tuple(edited)
    known = {canonical_url(link.url) for link in edited}
    return (*edited, *(link for link in fed if canonical_url(link.url) not in known))


def _link(kind: str, entry: Entry) -> CuratedLink:
    summary = one_line_text(html_text(entry.summary or entry.content)) or ""
    words = summary.split()
    if len(words) > SUMMARY_WORDS:
        summary = " ".join(words[:SUMMARY_WORDS]) + "…"
    url = repository_url(entry.link)
    # A release or a commit is titled "v1.3.0" or by its message: the link is the repository.
    title = entry.title if url == entry.link else url.removeprefix("https://github.com/")
    return CuratedLink(kind=kind, title=title, url=url, summary=summary)
