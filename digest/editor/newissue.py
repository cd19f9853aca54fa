"""`digest new-issue`: the month's issue file, drafted from what the feeds offer."""

from __future__ import annotations

import functools
from pathlib import Path

from digest.content.issue.select import select_entries
from digest.core.config import Config
from digest.core.models import IssueSpec
from digest.core.month import Month
from digest.core.store import Store
from digest.core.urls import canonical_url
from digest.core.vocabulary import LINK_NOUNS
from digest.editor.issuedraft import Candidate, Draft, continued_numbers, new_issue_path, write_draft
from digest.ingest.archive import month_window, published_elsewhere
from digest.ingest.feeds import read_source
from digest.ingest.fetch import Fetcher
from digest.ingest.gather import gather


def new_issue(config: Config, month: Month, fetcher: Fetcher | None, store: Store | None) -> tuple[Path, Draft]:
    """Read the feeds as a build would, and write the issue file listing their month's articles."""
    new_issue_path(config, month)
    number, volume = continued_numbers(config, month)
    gathered = gather(config, functools.partial(read_source, fetcher=fetcher), store, month_window(month))
    earlier = published_elsewhere(store, month) if store is not None else frozenset()
    selection = select_entries(config, IssueSpec(month=month), gathered.entries, earlier)
    zone = config.publication.zone
    kinds = {s.name: f", a {LINK_NOUNS[s.links][0]}" for s in config.sources if s.links}
    included = tuple(Candidate(canonical_url(e.link) if e.link else e.guid, e.title, e.source,
                               e.date.astimezone(zone).date().isoformat() + kinds.get(e.source, ""))
                     for e in selection.articles)
    left_out = tuple(Candidate(canonical_url(s.link) if s.link else s.title, s.title, s.source, s.reason)
                     for s in selection.skipped)
    draft = Draft(month, number, volume, included, left_out,
                  tuple(f"{p.where}: {p.reason}" for p in gathered.problems))
    return write_draft(config, draft), draft
