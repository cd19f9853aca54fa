"""Read every source (concurrently), remember entries in the store, merge with the archive."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from digest.core.config import Config, Source
from digest.core.errors import SourceError
from digest.core.models import Entry, Problem
from digest.core.progress import progress
from digest.core.store import Store
from digest.ingest.archive import ArchiveWindow, archived_entries, entry_key, remember_entries
from digest.ingest.feeds import FeedResult

log = logging.getLogger(__name__)

SourceReader = Callable[[Config, Source], FeedResult]
MAX_PARALLEL_SOURCES = 8
ARCHIVED_PER_MONTH = 1_000
"""The record's bound per source and month, and per read (archive.remember_entries), or ten times
limits.entries_per_source if that is more."""


@dataclass(frozen=True)
class SourceReport:
    source: str
    entries: int = 0
    new: int = 0
    """Entries the store had not seen before."""
    error: str = ""


@dataclass(frozen=True)
class Gathered:
    entries: tuple[Entry, ...]
    """Live entries plus archived ones no feed shows any more, in source order."""
    problems: tuple[Problem, ...]
    reports: tuple[SourceReport, ...]


def gather(config: Config, reader: SourceReader, store: Store | None = None,
           window: ArchiveWindow | None = None) -> Gathered:
    """Read all sources; a broken source is a Problem, never an abort. With a ``store``, the
    entries read are remembered, and the remembered ones in ``window`` that no feed shows any
    more are added (none without a window: `digest fetch` only remembers)."""
    with progress("sources", len(config.sources)) as advance, \
            ThreadPoolExecutor(max_workers=MAX_PARALLEL_SOURCES) as pool:
        outcomes = []
        for outcome in pool.map(lambda source: _read(reader, config, source), config.sources):
            outcomes.append(outcome)
            advance()

    live: list[Entry] = []
    problems: list[Problem] = []
    reports: list[SourceReport] = []
    for source, outcome in zip(config.sources, outcomes):
        if isinstance(outcome, SourceError):
            log.info("%s", outcome)  # a problem of the report (build, fetch): printed there, once
            problems.append(Problem(outcome.where, outcome.reason))
            reports.append(SourceReport(source.name, error=outcome.reason))
            continue
        new = 0
        if store is not None:
            cap = max(ARCHIVED_PER_MONTH, 10 * config.limits.entries_per_source)
            remembered = remember_entries(store, source.name, outcome.entries, cap)
            new = remembered.new
            if remembered.left_out:
                problems.append(Problem(source.name, f"{len(outcome.entries):,} entries in one read: only the newest "
                                                     f"{cap:,} are kept in the record"))
            problems.extend(Problem(source.name, f"more than {cap:,} entries dated {month}: the record keeps the "
                                                 f"newest {cap:,} ({dropped:,} older left out)")
                            for month, dropped in remembered.cut)
        live.extend(outcome.entries)
        problems.extend(outcome.problems)
        reports.append(SourceReport(source.name, len(outcome.entries), new))

    entries = live
    if store is not None and window is not None:
        archived = archived_entries(store, [s.name for s in config.sources], {entry_key(e) for e in live}, window)
        rank = {s.name: i for i, s in enumerate(config.sources)}
        entries = sorted([*live, *archived], key=lambda e: rank[e.source])
    return Gathered(tuple(entries), tuple(problems), tuple(reports))


def _read(reader: SourceReader, config: Config, source: Source) -> FeedResult | SourceError:
    try:
        return reader(config, source)
    except SourceError as exc:
        return exc
