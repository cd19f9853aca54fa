"""Everything the CLI prints: plain-text reports for the terminal and CI logs, and JSON."""

from __future__ import annotations

import json

from digest.content.survey import SourceSurvey
from digest.core.models import BuildResult
from digest.core.month import Month
from digest.deliver.ledger import LedgerEntry
from digest.deliver.send import SendReport
from digest.deliver.subscribers import Subscriber
from digest.ebook.check import CheckReport, finding_line
from digest.ebook.check_rules import RULES, Finding
from digest.ingest.gather import Gathered


def format_build_report(result: BuildResult) -> str:
    issue = result.issue
    lines = [f"{issue.title}: {len(issue.articles)} articles, "
             f"{sum(len(g.links) for g in issue.curated)} curated links"]
    for section in issue.sections:
        lines.append(f"  {section.section.title}: {len(section.articles)}")
    for path in result.files:
        lines.append(f"  wrote {path}")
    for note in result.notes:
        lines.append(f"  note: {note}")
    if result.skipped:
        lines.append(f"skipped {len(result.skipped)}:")
        lines.extend(f"  - {s.title} ({s.source}): {s.reason}" for s in result.skipped)
    if result.problems:
        lines.append(f"problems {len(result.problems)}:")
        lines.extend(f"  - {p.where}: {p.reason}" for p in result.problems)
    return "\n".join(lines)


def format_fetch_report(gathered: Gathered) -> str:
    lines = []
    for report in gathered.reports:
        if report.error:
            lines.append(f"{report.source}: ERROR {report.error}")
        else:
            lines.append(f"{report.source}: {report.entries} entries, {report.new} new")
    failed_sources = {report.error for report in gathered.reports if report.error}
    lines.extend(f"  - {p.where}: {p.reason}" for p in gathered.problems if p.reason not in failed_sources)
    return "\n".join(lines)


def format_sources_report(surveys: tuple[SourceSurvey, ...]) -> str:
    lines = []
    for survey in surveys:
        src = survey.source
        head = f"{src.name} [{src.section}] {src.url}"
        if survey.error:
            lines.append(f"{head}\n  ERROR {survey.error}")
            continue
        detail = f"  {survey.entries} entries"
        if survey.in_month or survey.selected or survey.skipped:
            detail += f"; this month: {survey.in_month}, selected {survey.selected}"
        lines.append(f"{head}\n{detail}")
        lines.extend(f"  skipped: {reason}" for reason in survey.skipped)
    return "\n".join(lines)


def format_check_report(report: CheckReport) -> str:
    lines = []
    for book in report.books:
        if book.ok:
            lines.append(f"{book.path}: Kindle-ready ({len(RULES)} Kindle rules"
                         f"{'' if book.notes else ' and EPUBCheck'} passed)")
        else:
            count = len(book.violations)
            lines.append(f"{book.path}: NOT Kindle-ready, {count} violation{'s' if count != 1 else ''}")
        lines.extend(f"  {finding_line(f)}" for f in (*book.violations, *book.warnings))
        lines.extend(f"  note: {note}" for note in book.notes)
    return "\n".join(lines)


def check_report_json(report: CheckReport) -> str:
    def findings(items: tuple[Finding, ...]) -> list[dict]:
        return [{"rule": f.rule, "where": f.where, "message": f.message} for f in items]

    return json.dumps({
        "ok": report.ok,
        "rules": ["epubcheck", *(rule for rule, _ in RULES)],
        "books": [{"path": str(book.path), "ok": book.ok, "size": book.path.stat().st_size,
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
    return "\n".join([*lines, f"{len(subscribers)} subscribers, {active} active"])


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
             f"{e.attempts} attempt{'s' * (e.attempts != 1)}  {e.updated_at}  {e.message_id}  {e.error}".rstrip()
             for e in entries]
    return "\n".join([f"{month}: {len(entries)} deliveries", *lines])


_STATUS_LABEL = {"sending": "unconfirmed"}
