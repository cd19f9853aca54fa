"""The editor's per-month input: ``issues/YYYY-MM.toml`` and ``issues/YYYY-MM.md``.

Both are optional; a month without them builds from the feeds alone.
"""

from __future__ import annotations

from pathlib import Path

from digest.core.config import Config
from digest.core.configfile import check_link_fields
from digest.core.errors import ConfigError
from digest.core.fields import one_line_text
from digest.core.models import CuratedLink, IssueSpec
from digest.core.month import Month
from digest.core.tomlread import TableReader
from digest.core.tomltext import read_toml, read_user_text


def load_issue(config: Config, month: Month) -> IssueSpec:
    """The issue file for ``month`` if there is one, else an empty spec."""
    toml_path = config.output.issues_dir / f"{month}.toml"
    note_path = config.output.issues_dir / f"{month}.md"
    note = read_user_text(note_path) if note_path.exists() else ""
    first = first_issue(config.output.issues_dir, month)
    if not toml_path.exists():
        return IssueSpec(month=month, note=note, first_issue=first)

    data, lines = read_toml(toml_path)
    root = TableReader(data, str(toml_path), lines=lines)
    number = root.integer("number", default=0, minimum=1) or None
    volume = root.integer("volume", default=0, minimum=1) or None
    title = _plain(root.string("title"))
    cover_name = root.string("cover")
    pinned = root.strings("pinned")
    excluded = root.strings("excluded")
    headlines = root.strings("cover_headlines")
    links = []
    for table in root.tables("links"):
        link = CuratedLink(
            kind=table.string("kind", required=True),
            title=_plain(table.string("title")),
            url=table.string("url", required=True),
            summary=_plain(table.string("summary")),
            image_url=table.string("image"),
        )
        table.done()
        check_link_fields(table, link.kind, link.url)
        if link.image_url and not link.image_url.startswith(("http://", "https://")):
            table.problem("image", f"not an http(s) URL: {link.image_url!r}")
        links.append(link)
    root.done()

    cover = None
    if cover_name:
        cover = (toml_path.parent / cover_name).resolve()
        if not cover.is_file():
            root.problem("cover", f"no such image: {cover_name}")
    if root.problems:
        raise ConfigError(root.problems)
    return IssueSpec(month=month, number=number, volume=volume, title=title, links=tuple(links),
                     pinned=pinned, excluded=excluded, cover=cover, note=note, source_file=toml_path,
                     cover_headlines=headlines, first_issue=first)


def first_issue(issues_dir: Path, month: Month) -> Month:
    """The earliest month that has an issue file or note, and at latest ``month`` itself."""
    months = [month]
    for path in issues_dir.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9].*") if issues_dir.is_dir() else ():
        if path.suffix in (".toml", ".md"):
            try:
                months.append(Month.parse(path.stem))
            except ConfigError:
                continue  # not an issue file (a month 13, a year before 1970)
    return min(months)


def _plain(value: str) -> str:
    """Shown on the cover, in the contents and in Kindle's lists: no control or bidi-override characters."""
    return one_line_text(value) or ""

