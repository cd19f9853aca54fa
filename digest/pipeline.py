"""The whole build, top to bottom: config -> gather -> select -> assemble -> render -> package."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from digest.assemble import assemble_issue
from digest.config import Config
from digest.epub import build_epub, cover_href
from digest.errors import BuildError, SourceError
from digest.feeds import read_source
from digest.issuefile import load_issue
from digest.models import BuildResult, Entry, Issue, Problem, Skipped
from digest.month import Month
from digest.publish import file_stem, month_dir, staged
from digest.render import Page, Theme, render_pages
from digest.select import select_entries

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Composition:
    """An issue gathered and rendered, nothing written yet (shared by build and preview)."""

    issue: Issue
    pages: tuple[Page, ...]
    theme: Theme
    skipped: tuple[Skipped, ...]
    problems: tuple[Problem, ...]


def build_issue(config: Config, month: Month, *, strict: bool = False,
                allow_empty: bool = False) -> BuildResult:
    """Build and publish one month. Everything is gathered before anything is written."""
    composition = compose_issue(config, month, strict=strict, allow_empty=allow_empty)
    issue = composition.issue
    epub_bytes = build_epub(issue, composition.pages, composition.theme)

    final = month_dir(config, month)
    epub_name = f"{file_stem(config, month)}.epub"
    with staged(final) as stage:
        (stage / epub_name).write_bytes(epub_bytes)
    return BuildResult(issue=issue, epub=final / epub_name, files=(final / epub_name,),
                       skipped=composition.skipped, problems=composition.problems)


def compose_issue(config: Config, month: Month, *, strict: bool = False,
                  allow_empty: bool = False) -> Composition:
    """Read the issue file and every source, select the month, assemble and render the pages."""
    spec = load_issue(config, month)
    theme = Theme.load(config.output.templates_dir)
    entries, problems = gather_entries(config)
    selection = select_entries(config, spec, entries)
    if strict and problems:
        raise BuildError("strict mode: " + "; ".join(f"{p.where}: {p.reason}" for p in problems))
    if not selection.articles and not allow_empty:
        raise BuildError(f"no articles for {month.label}: nothing to publish "
                         f"({len(entries)} entries read from {len(config.sources)} sources)")
    issue = assemble_issue(config, spec, selection.articles)
    pages = render_pages(issue, theme, cover_href(issue))
    return Composition(issue, pages, theme, selection.skipped, tuple(problems))


def gather_entries(config: Config) -> tuple[tuple[Entry, ...], list[Problem]]:
    """Every entry of every source, in config order; a broken source becomes a Problem."""
    entries: list[Entry] = []
    problems: list[Problem] = []
    for source in config.sources:
        try:
            result = read_source(config, source)
        except SourceError as exc:
            log.warning("%s", exc)
            problems.append(Problem(exc.where, exc.reason))
            continue
        entries.extend(result.entries)
        problems.extend(result.problems)
    return tuple(entries), problems
