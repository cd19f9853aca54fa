"""A new issue file: its number and volume continued from the previous one, and the month's
candidate articles as commented lines the editor uncomments to exclude or pin one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from digest.core.config import Config
from digest.core.errors import ConfigError
from digest.core.month import Month
from digest.core.tomltext import read_toml
from digest.core.vocabulary import LINK_KINDS

ISSUE_FILE_RE = re.compile(r"^(\d{4}-\d{2})\.toml$")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Candidate:
    """One line of the draft: an article the editor may exclude (or pin, if a rule left it out)."""

    key: str
    """The article's URL (or guid without one), as ``excluded``/``pinned`` take it."""
    title: str
    source: str
    note: str
    """The date for an article that goes in; the reason for one a rule leaves out."""


@dataclass(frozen=True)
class Draft:
    month: Month
    number: int
    volume: int
    included: tuple[Candidate, ...] = ()
    left_out: tuple[Candidate, ...] = ()
    unread: tuple[str, ...] = ()
    """Feeds that could not be read, as ``where: reason``."""


def continued_numbers(config: Config, month: Month) -> tuple[int, int]:
    """(number, volume) after the latest issue file before ``month``: one more issue, and one
    more volume for each new year; (1, 1) for the first issue."""
    earlier = sorted(m for m in issue_months(config) if m < month)
    if not earlier:
        return 1, 1
    previous = earlier[-1]
    path = config.output.issues_dir / f"{previous}.toml"
    data, _ = read_toml(path)
    # The same fallbacks as the build: without a number, the month; without a volume, the year.
    number, volume = data.get("number") or previous.month, data.get("volume") or previous.year
    if not isinstance(number, int) or not isinstance(volume, int):
        raise ConfigError(f"{path}: number and volume must be integers")
    return number + 1, volume + (month.year - previous.year)


def issue_months(config: Config) -> list[Month]:
    """The months that have an issue file."""
    folder = config.output.issues_dir
    names = (ISSUE_FILE_RE.match(p.name) for p in folder.glob("*.toml")) if folder.is_dir() else ()
    return sorted(Month.parse(m.group(1)) for m in names if m)


def latest_issue_month(config: Config) -> Month:
    """The month of the latest issue file: the issue being edited, what a command means without --month."""
    months = issue_months(config)
    if not months:
        raise ConfigError(f"{config.output.issues_dir}: no issue file yet: give --month YYYY-MM, "
                          "or start one with `digest new-issue`")
    return months[-1]


def next_issue_month(config: Config) -> Month:
    """The month `digest new-issue` starts without --month: the one after the latest issue
    file, or this month (in the publication's time zone) for the first."""
    months = issue_months(config)
    if months:
        return months[-1].next()
    moment = datetime.now(config.publication.zone)
    return Month(moment.year, moment.month)


def new_issue_path(config: Config, month: Month) -> Path:
    """Where ``month``'s issue file goes; an error if it exists (checked before any feed is read)."""
    path = config.output.issues_dir / f"{month}.toml"
    if path.exists():
        raise ConfigError(f"{path}: exists already; edit it, or delete it to start the issue again")
    return path


def write_draft(config: Config, draft: Draft) -> Path:
    """Write ``issues/YYYY-MM.toml``; an existing file is never replaced."""
    path = new_issue_path(config, draft.month)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(draft_text(config, draft), encoding="utf-8")
    return path


def draft_text(config: Config, draft: Draft) -> str:
    label = draft.month.label
    lines = [
        f"# {_comment(config.publication.title)}, {label}: what the editor adds to the feeds.",
        f"number = {draft.number}",
        f"volume = {draft.volume}",
        '# title = "A title for this issue, instead of the month"',
        "",
        f"# Every article the feeds offer for {label} goes in unless its line below is uncommented.",
        "excluded = [",
        *(_line(c) for c in draft.included),
        "]",
        "# Articles a rule left out (language, keyword, limit...): uncomment a line to take it all the same.",
        "pinned = [",
        *(_line(c) for c in draft.left_out),
        "]",
    ]
    lines += [f"# not read: {_comment(where)}" for where in draft.unread]
    lines += [
        "",
        f"# Curated links, one [[links]] table each; kind is one of: {', '.join(LINK_KINDS)}.",
        f"# `digest link add URL --month {draft.month}` fetches a page's title and summary and adds it here.",
        "",
    ]
    return "\n".join(lines)


def _line(candidate: Candidate) -> str:
    key = json.dumps(candidate.key, ensure_ascii=False).replace("\x7f", "\\u007f")  # json keeps DEL raw
    return (f"    # {key},  "
            f"# {_comment(candidate.title)} ({_comment(candidate.source)}; {_comment(candidate.note)})")


def _comment(text: str, limit: int = 120) -> str:
    """Text that cannot end a TOML comment or break the line: no control characters, one line."""
    text = " ".join(_UNPRINTABLE.sub(" ", text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"
