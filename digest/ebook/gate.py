"""The final gate: EPUBCheck and the Kindle rules on the whole book, beside the calibre conversions.

EPUBCheck and calibre only read the finished EPUB, so they run side by side (one busy process
each, as many at a time as there are cores). When the check fails only in article pages,
those articles are quarantined (simplified, or left out if they already were), the book is
rebuilt, checked once more and converted again: a month is not lost to a few pages. Any
other failure, or any failure in strict mode, is NotKindleReady.
"""

from __future__ import annotations

import logging
import os
import posixpath
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from digest.core.cache import Cache
from digest.core.config import Output
from digest.core.errors import ConversionError
from digest.core.external import stopped_on_interrupt
from digest.core.models import Issue, Problem
from digest.core.zips import file_sha256
from digest.ebook.check import BookReport, EpubCheckRunner, files_named, not_ready, require_ready
from digest.ebook.epub import cover_href, write_epub
from digest.ebook.kindle import KindleFiles
from digest.ebook.memo import kindle_formats_once, kindle_ready_once
from digest.ebook.quarantine import quarantine_articles
from digest.ebook.render import Page, Theme, article_file, render_pages

log = logging.getLogger(__name__)

BOOK_WORKERS = max(2, os.cpu_count() or 1)


@dataclass(frozen=True)
class Gated:
    """What passed the gate: the book as published (after any quarantine), its check and Kindle files."""

    issue: Issue
    pages: tuple[Page, ...]
    quarantined: tuple[Problem, ...]
    report: BookReport
    kindle: KindleFiles
    sha256: str
    """The published EPUB's (rewritten by a quarantine, else the one given)."""


def check_and_convert(cache: Cache, output: Output, published: Path, epub: Path, sha256: str, issue: Issue,
                      pages: tuple[Page, ...], theme: Theme, *, strict: bool,
                      epubcheck: EpubCheckRunner | None = None) -> Gated:
    """Check ``epub`` (its SHA-256 ``sha256``; EPUBCheck run by ``epubcheck``) and convert it;
    ``published`` is the month folder now online (see memo)."""
    kindle: KindleFiles | None
    # Leaving the block on SIGTERM or Ctrl-C stops calibre and java before the pool waits for them.
    with ThreadPoolExecutor(max_workers=BOOK_WORKERS) as pool, stopped_on_interrupt():
        checking = pool.submit(kindle_ready_once, cache, epub, sha256, epubcheck)
        try:
            kindle = kindle_formats_once(cache, output, published, epub, sha256, issue, pages, theme, pool)
        except ConversionError:
            if checking.result().ok:
                raise
            kindle = None  # a book that fails the check is the failure to report, or is rebuilt below
        report = checking.result()
    if report.ok and kindle is not None:
        return Gated(issue, pages, (), report, kindle, sha256)
    reasons = None if strict else _article_faults(issue, report)
    if not reasons:  # not the articles' fault, or strict
        raise not_ready(report)
    issue, problems = quarantine_articles(issue, reasons)
    log.warning("%d article(s) failed the final check, quarantined and the book rebuilt: %s",
                len(problems), "; ".join(f"{p.where}: {p.reason}" for p in problems))
    pages = render_pages(issue, theme, cover_href(issue))
    write_epub(issue, pages, theme, epub)
    sha256 = file_sha256(epub)
    report = require_ready(kindle_ready_once(cache, epub, sha256, epubcheck))
    kindle = kindle_formats_once(cache, output, published, epub, sha256, issue, pages, theme)
    return Gated(issue, pages, tuple(problems), report, kindle, sha256)


def _article_faults(issue: Issue, report: BookReport) -> dict[str, tuple[str, ...]] | None:
    """Each failing article's reasons, or None when any violation lies outside article pages."""
    pages = {article_file(article): article.id for article in issue.articles}
    reasons: dict[str, list[str]] = {}
    for finding in report.violations:
        named = [pages.get(posixpath.basename(path)) for path in files_named(finding)]
        articles = [article_id for article_id in named if article_id is not None]
        if not named or len(articles) < len(named):
            return None
        for article_id in articles:
            reasons.setdefault(article_id, []).append(f"[{finding.rule}] {finding.message}")
    return {article_id: tuple(found) for article_id, found in reasons.items()}
