"""The editor's commands as library calls: start a publication, draft an issue, add a link.

Each reads the web as a build does (the cache, the config's fetch policy).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from digest.core.config import Config
from digest.core.configfile import load_config
from digest.core.month import Month
from digest.core.stores import build_stores
from digest.editor.installsource import package_source
from digest.editor.issuedraft import Draft, latest_issue_month
from digest.editor.linkadd import AddedLink, add_link
from digest.editor.newissue import new_issue
from digest.editor.scaffold import NewPublication, Scaffold, create_publication
from digest.ingest.netguard import needed_opt_in
from digest.pipeline import make_fetcher


def start_publication(directory: Path, options: NewPublication) -> tuple[Scaffold, Draft]:
    """`digest init`: the publication's files, then its first issue file, drafted like any later one."""
    if options.feed and not options.private_host:
        options = replace(options, private_host=needed_opt_in(options.feed))
    if not options.package:
        options = replace(options, package=package_source())
    scaffold = create_publication(directory, options)
    _, draft = draft_issue(load_config(scaffold.config_path), scaffold.month)
    return scaffold, draft


def draft_issue(config: Config, month: Month) -> tuple[Path, Draft]:
    """`digest new-issue`: the month's issue file, with the feeds' articles as comments."""
    with build_stores(config, exclusive=False) as stores, make_fetcher(config, stores) as fetcher:
        return new_issue(config, month, fetcher, stores.record)


def add_curated_link(config: Config, url: str, *, kind: str | None = None, month: Month | None = None) -> AddedLink:
    """`digest link add`: describe ``url`` and append it to ``month``'s issue file (default: the latest)."""
    month = month or latest_issue_month(config)
    with build_stores(config, exclusive=False) as stores, make_fetcher(config, stores) as fetcher:
        return add_link(config, month, url, fetcher, kind)
