"""Everything the CLI prints: plain-text reports for the terminal and CI logs, and JSON."""

from __future__ import annotations

import json
import shlex
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from digest.core.month import Month
from digest.core.vocabulary import LINK_NOUNS, count, size_text
from digest.ebook.a11y_rules import CONFORMS_TO
from digest.ebook.check import finding_line
from digest.ebook.check_rules import RULES

if TYPE_CHECKING:  # each command imports only the reports it prints (the mail modules cost a build 20 ms)
    from digest.core.cache import Pruned
    from digest.core.models import BuildResult
    from digest.deliver.ledger import LedgerEntry
    from digest.deliver.send import SendReport
    from digest.deliver.subscribers import Subscriber
    from digest.ebook.check import BookReport, CheckReport
    from digest.ebook.check_rules import Finding
    from digest.editor.issuedraft import Draft
    from digest.editor.linkadd import AddedLink
    from digest.editor.scaffold import Scaffold
    from digest.editor.survey import ListingSurvey, SourceSurvey
    from digest.ingest.gather import Gathered


def format_build_report(result: BuildResult) -> str:
    issue = result.issue
    lines = [f"{issue.title}: {count(len(issue.articles), 'article')}, "
             f"{count(sum(len(g.links) for g in issue.curated), 'curated link')}"]
    width = max((len(s.section.title) for s in issue.sections), default=0)
    lines.extend(f"  {s.section.title:<{width}}  {len(s.articles)}" for s in issue.sections)
    if pages := link_pages(result):
        lines.append("  pages of their own: " + ", ".join(
            count(number, LINK_NOUNS[kind][0] + (" brief" if kind == "whitepaper" else " page"))
            for kind, number in pages.items()))
    if result.files:
        lines.append(f"files in {result.files[0].parent}:")
        width = max(len(path.name) for path in result.files)
        lines.extend(f"  {path.name:<{width}}  {size_text(path.stat().st_size):>9}" for path in result.files)
    lines.append(f"check: {kindle_verdict(result.check_notes)}")
    lines.extend(f"  warning: {line}" for line in result.check_warnings)
    if result.site is not None:
        lines.append(f"site: {result.site}")
    lines.append(f"store: record {size_text(result.stored.record)}, cache {size_text(result.stored.cache)}"
                 + (f" ({size_text(result.stored.pruned)} least recently used pruned)" if result.stored.pruned else ""))
    for note in result.notes:
        lines.append(f"note: {note}")
    if result.skipped:
        lines.append(f"skipped {len(result.skipped)}:")
        lines.extend(f"  - {s.title} ({s.source}): {s.reason}" for s in result.skipped)
    if result.problems:
        lines.append(f"problems {len(result.problems)}:")
        lines.extend(f"  - {p.where}: {p.reason}" for p in result.problems)
    lines.append(f"built in {result.elapsed:.1f} s")
    return "\n".join(lines)


def link_pages(result: BuildResult) -> dict[str, int]:
    """How many curated links of each kind have a page of their own (a brief, a diagram)."""
    counted = Counter(link.kind for group in result.issue.curated for link in group.links if link.brief)
    return dict(counted)


def kindle_verdict(notes: tuple[str, ...]) -> str:
    """The verdict on a book that broke no rule, as `check`, `build` and their --json give it.

    Kindle-ready means EPUBCheck ran and passed too (README); ``notes`` say what did not run.
    """
    if notes:
        return f"{len(RULES)} Kindle rules passed; " + "; ".join(notes)
    return f"Kindle-ready (EPUBCheck and {len(RULES)} Kindle rules passed)"


def build_report_json(result: BuildResult) -> str:
    """The build report for machines; its shape is schemas/build-report.schema.json."""
    issue = result.issue
    return json.dumps({
        "title": issue.title,
        "month": str(issue.month),
        "number": issue.number,
        "volume": issue.volume,
        "articles": len(issue.articles),
        "curated_links": sum(len(g.links) for g in issue.curated),
        "link_pages": link_pages(result),
        "sections": [{"id": s.section.id, "title": s.section.title, "articles": len(s.articles)}
                     for s in issue.sections],
        "files": [{"path": str(path), "bytes": path.stat().st_size} for path in result.files],
        "check": {"kindle_ready": not result.check_notes, "verdict": kindle_verdict(result.check_notes),
                  "complete": not result.check_notes,
                  "warnings": list(result.check_warnings), "notes": list(result.check_notes)},
        "site": str(result.site) if result.site is not None else None,
        "store": {"record_bytes": result.stored.record, "cache_bytes": result.stored.cache,
                  "pruned_bytes": result.stored.pruned},
        "notes": list(result.notes),
        "skipped": [{"source": s.source, "title": s.title, "link": s.link, "reason": s.reason}
                    for s in result.skipped],
        "problems": [{"where": p.where, "reason": p.reason} for p in result.problems],
        "elapsed_seconds": round(result.elapsed, 3),
    }, indent=2, ensure_ascii=False)


def format_prune_report(pruned: Pruned, *, dry_run: bool) -> str:
    verb = "would remove" if dry_run else "removed"
    return (f"cache: {verb} {count(pruned.rows, 'row')} ({size_text(pruned.freed)}), "
            f"{size_text(pruned.kept)} {'would stay' if dry_run else 'left'}")


def format_fetch_report(gathered: Gathered) -> str:
    lines = []
    for report in gathered.reports:
        if report.error:
            lines.append(f"{report.source}: ERROR {report.error}")
        else:
            lines.append(f"{report.source}: {count(report.entries, 'entry', 'entries')}, {report.new} new")
    failed_sources = {report.error for report in gathered.reports if report.error}
    lines.extend(f"  - {p.where}: {p.reason}" for p in gathered.problems if p.reason not in failed_sources)
    return "\n".join(lines)


def format_sources_report(surveys: tuple[SourceSurvey, ...], listings: tuple[ListingSurvey, ...] = (),
                          month: Month | None = None) -> str:
    lines = []
    for survey in surveys:
        src = survey.source
        head = f"{src.name} [{src.section}] {src.url}"
        if survey.error:
            lines.append(f"{head}\n  ERROR {survey.error}")
            continue
        detail = f"  {count(survey.entries, 'entry', 'entries')}"
        if survey.in_month or survey.selected or survey.skipped:
            detail += f"; this month: {survey.in_month}, selected {survey.selected}"
        lines.append(f"{head}\n{detail}")
        lines.extend(f"  + {title}" for title in survey.chosen)
        lines.extend(f"  - skipped: {reason}" for reason in survey.skipped)
    for found in listings:
        head = f"{found.listing.name} [listing: {found.listing.kind}] {found.listing.url}"
        if found.error:
            lines.append(f"{head}\n  ERROR {found.error}")
            continue
        detail = f"  {count(found.items, 'item')}"
        if month is not None:
            detail += f"; this month: {len(found.in_month)}"
        if found.undated:
            detail += f"; {found.undated} without a date (left out)"
        lines.append(f"{head}\n{detail}")
        lines.extend(f"  + {title}" for title in found.in_month)
    return "\n".join(lines)


def format_check_report(report: CheckReport) -> str:
    lines = []
    for book in report.books:
        lines.append(f"{book.path}: {_book_verdict(book)}")
        lines.append(f"  accessibility: {'declares ' + CONFORMS_TO if book.conforms else 'no conformance declared'}")
        lines.extend(f"  {finding_line(f)}" for f in (*book.violations, *book.warnings))
        if not book.ok:  # else the verdict carries them
            lines.extend(f"  note: {note}" for note in book.notes)
    return "\n".join(lines)


def _book_verdict(book: BookReport) -> str:
    if book.ok:
        return kindle_verdict(book.notes)
    return f"NOT Kindle-ready, {count(len(book.violations), 'violation')}"


def check_report_json(report: CheckReport) -> str:
    def findings(items: tuple[Finding, ...]) -> list[dict]:
        return [{"rule": f.rule, "where": f.where, "message": f.message} for f in items]

    return json.dumps({
        "ok": report.ok,
        "kindle_ready": all(book.ok and not book.notes for book in report.books),
        "rules": ["epubcheck", *(rule for rule, _ in RULES)],
        "books": [{"path": str(book.path), "ok": book.ok, "kindle_ready": book.ok and not book.notes,
                   "verdict": _book_verdict(book), "conforms": book.conforms, "size": book.path.stat().st_size,
                   "violations": findings(book.violations), "warnings": findings(book.warnings),
                   "notes": list(book.notes)} for book in report.books],
    }, indent=2, ensure_ascii=False)


def format_subscribers(subscribers: tuple[Subscriber, ...]) -> str:
    if not subscribers:
        return "no subscribers"
    width = max(len(s.address) for s in subscribers)
    lines = [f"{s.address:<{width}}  {s.format:<4}  {'active' if s.active else 'inactive':<8}  "
             f"{s.added_at[:10]}  {s.name}".rstrip() for s in subscribers]
    active = sum(s.active for s in subscribers)
    return "\n".join([*lines, f"{count(len(subscribers), 'subscriber')}, {active} active"])


def format_send_report(report: SendReport) -> str:
    counts: dict[str, int] = {}
    for outcome in report.outcomes:
        counts[outcome.result] = counts.get(outcome.result, 0) + 1
    head = f"{report.month}: " + (", ".join(f"{n} {result}" for result, n in sorted(counts.items()))
                                  or "no active subscribers")
    lines = [head]
    for o in report.outcomes:
        if o.result != "already sent":
            lines.append(f"  {o.result:<11} {o.address} ({o.format})" + (f": {o.detail}" if o.detail else ""))
    return "\n".join(lines)


def format_deliveries(month: Month, entries: tuple[LedgerEntry, ...]) -> str:
    if not entries:
        return f"{month}: no deliveries"
    width = max(len(e.address) for e in entries)
    lines = [f"{e.address:<{width}}  {e.format:<4}  {_STATUS_LABEL.get(e.status, e.status):<11}  "
             f"{count(e.attempts, 'attempt')}  {e.updated_at}  {e.message_id}  {e.error}".rstrip()
             for e in entries]
    return "\n".join([f"{month}: {count(len(entries), 'delivery', 'deliveries')}", *lines])


_STATUS_LABEL = {"sending": "unconfirmed"}


def format_init_report(directory: Path, scaffold: Scaffold, draft: Draft) -> str:
    lines = [f"created {path}" for path in (*scaffold.written, scaffold.issue_path)]
    lines.append(f"first issue: {draft.month.label}, {count(len(draft.included), 'article')} from the feeds")
    lines.extend(f"  not read: {where}" for where in draft.unread)
    lines.extend(f"to do: {note}" for note in scaffold.notes)
    month = draft.month
    lines.append("next:")
    if directory.resolve() != Path.cwd().resolve():
        lines.append(f"  cd {shlex.quote(str(directory))}")
    # Without --month each command takes the latest issue file: the one just written.
    lines += [f"  digest build               # the {month.label} issue: EPUB, AZW3 and MOBI in dist/",
              "  digest preview --open      # the issue in a browser, live",
              "  digest link add URL        # a curated link, described from its page"]
    return "\n".join(lines)


def format_draft_report(path: Path, draft: Draft) -> str:
    lines = [f"wrote {path}: No. {draft.number}, Vol. {draft.volume}; "
             f"{count(len(draft.included), 'article')} go in, {len(draft.left_out)} left out by a rule"]
    lines.extend(f"  not read: {where}" for where in draft.unread)
    return "\n".join(lines)


def format_link_report(url: str, added: AddedLink) -> str:
    lines = [f"added to {added.path}: {added.title or url}",
             f"  kind: {added.kind} ({added.kind_reason})"]
    if added.summary:
        lines.append(f"  summary: {added.summary}")
    if added.image_url:
        lines.append(f"  image: {added.image_url}")
    if added.problem:
        lines.append(f"  not described ({added.problem}): the build will try again")
    return "\n".join(lines)
