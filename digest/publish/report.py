"""Plain-text reports for the terminal and CI logs."""

from __future__ import annotations

from digest.content.survey import SourceSurvey
from digest.core.models import BuildResult
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
