"""Choose the month's entries: calendar window, per-source rules, de-duplication, order."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import replace

from digest.content.language import detect, entry_language, primary, release_model
from digest.content.sanitize import html_text
from digest.core.config import Config, Source
from digest.core.models import Entry, IssueSpec, Selection, Skipped
from digest.core.urls import canonical_url


def reading_order(entry: Entry) -> tuple:
    return (entry.date, entry.title, entry.guid)


def select_entries(config: Config, spec: IssueSpec, entries: Iterable[Entry],
                   already_published: frozenset[str] = frozenset(),
                   languages: Callable[[str], str | None] = detect) -> Selection:
    """Entries for ``spec.month``, in reading order, plus every entry left out and why.

    ``entries`` must come in source order (the config's); on duplicates the first wins.
    ``already_published`` holds canonical URLs and guids that an earlier issue carried.
    ``languages`` detects a text's language (StoredLanguages(cache).detect remembers its verdicts).
    """
    month, zone = spec.month, config.publication.zone
    sources = {s.name: s for s in config.sources}
    pinned = {pin_key(k) for k in spec.pinned}
    excluded = {pin_key(k) for k in spec.excluded}
    kept: list[Entry] = []
    skipped: list[Skipped] = []
    seen: dict[str, Entry] = {}

    for entry in entries:
        keys = {entry.guid, canonical_url(entry.link)} - {""}
        is_pinned = bool(keys & pinned)
        if not is_pinned and not month.contains(entry.date, zone):
            continue  # another month's post: not worth a line in the report
        duplicate = next((seen[k] for k in keys if k in seen), None)
        reason, language = None, None
        if duplicate is not None:
            reason = f"duplicate of {duplicate.title!r} from {duplicate.source}"
        elif keys & excluded:
            reason = "excluded by the issue file"
        else:
            # The text's own language, kept for the article's lang attribute.
            language = entry_language(entry.title, entry.content or entry.summary, entry.language, languages)
            if language and language != primary(entry.language):
                entry = dataclasses.replace(entry, language=language)
            if not is_pinned:
                reason = _rule_violation(config, sources[entry.source], entry, language,
                                         already_published & keys)
        if reason:
            skipped.append(Skipped(entry.source, entry.title, entry.link, reason))
            continue
        seen.update(dict.fromkeys(keys, entry))
        # The text's own language (judged above, through the memo), so the page can tell a
        # hyphenator and a voice which it is; judging it again here loaded the model on every rebuild.
        kept.append(replace(entry, language=language))
    release_model()

    kept, over_limit = _apply_limits(kept, sources)
    kept.sort(key=reading_order)
    skipped.extend(over_limit)
    return Selection(tuple(kept), tuple(skipped))


def drop_short(config: Config, spec: IssueSpec, entries: tuple[Entry, ...]) -> Selection:
    """Entries with fewer words than their source's ``min_words`` are left out and reported.

    Run on full texts (after enrichment), so a summary-only feed is judged by its articles;
    a pinned entry is kept whatever its length.
    """
    limits = {s.name: s.min_words for s in config.sources}
    pinned = {pin_key(k) for k in spec.pinned}
    kept, skipped = [], []
    for entry in entries:
        words = len(html_text(entry.content or entry.summary).split())
        limit = limits.get(entry.source, 0)
        if words < limit and not {entry.guid, canonical_url(entry.link)} & pinned:
            skipped.append(Skipped(entry.source, entry.title, entry.link,
                                   f"{words} word{'s' if words != 1 else ''}, under the source's min_words of {limit}"))
        else:
            kept.append(entry)
    return Selection(tuple(kept), tuple(skipped))


def pin_key(value: str) -> str:
    """How an issue file's pinned or excluded entry (a guid or a URL) is matched."""
    return canonical_url(value) if value.startswith(("http://", "https://")) else value


def _rule_violation(config: Config, source: Source, entry: Entry, language: str | None,
                    published_before: frozenset[str]) -> str | None:
    if published_before:
        return "already published in an earlier issue"
    accepted = {primary(lang) or lang for lang in (source.languages or (config.publication.language,))}
    if language and language not in accepted:
        return f"language {language!r} (accepted: {', '.join(sorted(accepted))})"
    categories = {c.lower() for c in entry.categories}
    if source.include_categories and not categories & {c.lower() for c in source.include_categories}:
        return "no included category"
    hit = categories & {c.lower() for c in source.exclude_categories}
    if hit:
        return f"excluded category {sorted(hit)[0]!r}"
    text = f"{entry.title}\n{entry.summary}".lower()
    if source.include_keywords and not any(k.lower() in text for k in source.include_keywords):
        return "no included keyword"
    word = next((k for k in source.exclude_keywords if k.lower() in text), None)
    if word:
        return f"excluded keyword {word!r}"
    return None


def _apply_limits(entries: list[Entry], sources: dict[str, Source]) -> tuple[list[Entry], list[Skipped]]:
    """Keep the newest ``max_articles`` per source; the rest are reported."""
    kept, skipped = [], []
    counts: dict[str, int] = {}
    for entry in sorted(entries, key=lambda e: e.date, reverse=True):
        limit = sources[entry.source].max_articles
        counts[entry.source] = counts.get(entry.source, 0) + 1
        if limit and counts[entry.source] > limit:
            skipped.append(Skipped(entry.source, entry.title, entry.link, f"over the source's limit of {limit}"))
        else:
            kept.append(entry)
    return kept, skipped
