"""One feed entry's raw fields checked into an Entry, whatever the feed put in them.

A field of the wrong type or with an unusable value is ignored and named in the
report; the entry itself is left out only when it has neither a title nor any text
(or no date to place it in a month).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

from digest.core.config import Source
from digest.core.fields import TITLE_CHARS, language_tag, one_line_text, web_url
from digest.core.models import Entry, Problem

# Lone surrogates (a JSON "\ud800") cannot be encoded; everything else in HTML is the sanitizer's job.
SURROGATES = re.compile("[\ud800-\udfff]")


@dataclass
class RawEntry:
    """An entry's fields as the feed gave them, of any type."""

    title: object = None
    link: object = None
    guid: object = None
    authors: object = ()
    """A list of names (strings) or of objects with a "name"; a single name is taken too."""
    published: datetime | None = None
    updated: datetime | None = None
    summary: object = None
    content: object = None
    categories: object = ()
    language: object = None
    notes: list[str] = field(default_factory=list)
    """What the format-specific reader already ignored."""


def check_entry(source: Source, where: str, base: str, raw: RawEntry,
                default_language: object = None) -> tuple[Entry | None, list[Problem]]:
    """The Entry for ``raw`` (or None when it must be left out) and what was wrong with it."""
    notes = list(raw.notes)
    title = _text_field("title", raw.title, notes)
    link = _link(raw.link, base, notes)
    summary = _html_field("summary", raw.summary, notes)
    content = _html_field("content", raw.content, notes)
    label = repr(title[:80]) if title else f"({link or 'no link'})"
    if not title and not (content.strip() or summary.strip()):
        return None, [Problem(where, f"entry without a title or text {label}")]
    if not (raw.published or raw.updated):
        return None, [Problem(where, f"entry {label} has no date")]
    if not title:
        notes.append("entry without a title: titled from its first words")
    elif len(title) > TITLE_CHARS:
        notes.append(f"title of {len(title)} characters shortened in the contents and on the cover")
    if raw.title is not None and title and isinstance(raw.title, str) \
            and title != " ".join(raw.title.split()):
        notes.append("control or bidi-override characters removed from the title")
    entry = Entry(
        source=source.name,
        section=source.section,
        # Something to remember the entry by in the store, even without an id, a link or a title.
        guid=_text_field("id", raw.guid, notes) or link or title
        or "sha256:" + hashlib.sha256((content or summary).encode("utf-8", "replace")).hexdigest(),
        title=title,
        link=link,
        authors=_names(raw.authors, notes),
        published=raw.published,
        updated=raw.updated,
        summary=summary,
        content=content or summary,
        categories=_names(raw.categories, notes, field_name="tags"),
        language=_language(raw.language, notes) or language_tag(default_language),
    )
    problems = [Problem(where, f"entry {label}: {'; '.join(notes)}")] if notes else []
    return entry, problems


def describe(value: object) -> str:
    """A value's type in JSON's words, for the report."""
    kinds = {bool: "a boolean", int: "a number", float: "a number", str: "a string",
             list: "a list", dict: "an object", type(None): "null"}
    return kinds.get(type(value), type(value).__name__)


def _text_field(name: str, value: object, notes: list[str]) -> str:
    if value is None:
        return ""
    text = one_line_text(value)
    if text is None:
        notes.append(f"ignored '{name}' ({describe(value)}, not a string)")
        return ""
    return text


def _html_field(name: str, value: object, notes: list[str]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        notes.append(f"ignored '{name}' ({describe(value)}, not a string)")
        return ""
    return SURROGATES.sub("", value)


def _link(value: object, base: str, notes: list[str]) -> str:
    if value is None or value == "":
        return ""
    url = web_url(value, base)
    if not url:
        # Named by its scheme only: the report and manifest must not carry a hostile URL along.
        scheme = value.split(":", 1)[0][:20] if isinstance(value, str) and ":" in value else ""
        shown = f"a {scheme!r} link" if scheme.isalnum() else f"a link ({describe(value)})"
        notes.append(f"ignored {shown}: not an http(s) URL")
    return url


def _names(value: object, notes: list[str], field_name: str = "authors") -> tuple[str, ...]:
    """Names from a list of strings or of {"name": ...} objects; a lone string or object is taken too."""
    if isinstance(value, (str, dict)):
        if isinstance(value, str) and value.strip():
            notes.append(f"'{field_name}' is a string, not a list: taken as one")
        value = [value]
    if not isinstance(value, (list, tuple)):
        notes.append(f"ignored '{field_name}' ({describe(value)}, not a list)")
        return ()
    names, ignored = [], []
    for item in value:
        name = item.get("name") if isinstance(item, dict) else item
        text = one_line_text(name)
        if text:
            names.append(text[:TITLE_CHARS])
        elif text is None and name is not None:
            ignored.append(describe(name))
    if ignored:
        notes.append(f"ignored '{field_name}' values that are not strings ({', '.join(dict.fromkeys(ignored))})")
    return tuple(dict.fromkeys(names))


def _language(value: object, notes: list[str]) -> str | None:
    if value is None or value == "":
        return None
    tag = language_tag(value)
    if tag is None:
        shown = repr(value[:40]) if isinstance(value, str) else describe(value)
        notes.append(f"ignored the language {shown} (not a BCP 47 tag)")
    return tag
