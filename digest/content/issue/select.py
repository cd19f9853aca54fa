"""Choose the month's entries: calendar window, per-source rules, de-duplication, order."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import replace

from digest.content.text.language import Detector, detect_entry, entry_language, primary
from digest.content.text.textmemo import TextSizer, text_size
from digest.core.config import Config, Source
from digest.core.models import Entry, IssueSpec, Selection, Skipped
from digest.core.urls import canonical_url


def reading_order(entry: Entry) -> tuple:
    return (entry.date, entry.title, entry.guid)


def select_entries(config: Config, spec: IssueSpec, entries: Iterable[Entry],
                   already_published: frozenset[str] = frozenset(),
                   languages: Detector = detect_entry) -> Selection:
    """Entries for ``spec.month``, in reading order, plus every entry left out and why.

    ``entries`` must come in source order (the config's); on duplicates the first wins.
    ``already_published`` holds canonical URLs and guids that an earlier issue carried.
    ``languages`` judges an entry's language (StoredLanguages(cache).detect remembers its verdicts).
    """
    month, zone = spec.month, config.publication.zone
    sources = {s.name: s for s in config.sources}
    pinned = {pin_key(k) for k in spec.pinned}
    excluded = {pin_key(k) for k in spec.excluded}
    cap = config.limits.entries_per_source
    kept: list[Entry] = []
    skipped: list[Skipped] = []
    seen: dict[str, Entry] = {}
    taken: dict[str, int] = {}
    over_cap: dict[str, int] = {}

    for entry in _newest_first_by_source(entries, config):
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
        elif not is_pinned and taken.get(entry.source, 0) >= cap:
            # Counted, not judged: the cap bounds the work a source with thousands of entries makes.
            over_cap[entry.source] = over_cap.get(entry.source, 0) + 1
            seen.update(dict.fromkeys(keys, entry))
            continue
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
        taken[entry.source] = taken.get(entry.source, 0) + 1
        # The text's own language (judged above, through the memo), so the page can tell a
        # hyphenator and a voice which it is; judging it again here loaded the model on every rebuild.
        kept.append(replace(entry, language=language))

    capped = [f"limits.entries_per_source ({cap}) reached by {source}: {count:,} more of its "
              f"{month.label} entries left out, the newest {cap} kept" for source, count in over_cap.items()]
    kept, over_limit = _apply_limits(kept, sources)
    skipped.extend(over_limit)
    kept, issue_cap = _cap_articles(kept, config.limits.articles, pinned)
    kept.sort(key=reading_order)
    return Selection(tuple(kept), tuple(skipped), (*capped, *issue_cap))


def cap_text(config: Config, entries: tuple[Entry, ...], size: TextSizer = text_size) -> Selection:
    """Leave out articles whose text is over ``limits.article_kb``, then the oldest ones past
    ``limits.issue_text_mb`` in all; run on full texts (after enrichment). ``size`` measures a
    body's text (the build's remembers it: StoredTextSizes)."""
    limits = config.limits
    # The words a reader gets, not the markup: a whole web page as an entry's content carries
    # scripts and attributes many times the size of its text, and the cleaner drops them.
    sizes = {id(entry): size(entry.content or entry.summary).utf8_bytes for entry in entries}
    too_long = [entry for entry in entries if sizes[id(entry)] > limits.article_kb * 1000]
    short_enough = [entry for entry in entries if sizes[id(entry)] <= limits.article_kb * 1000]
    capped = []
    if too_long:
        named = ", ".join(f"{e.title[:60]!r} ({e.source}, {sizes[id(e)] // 1000} kB)" for e in too_long[:3])
        more = f" and {len(too_long) - 3} more" if len(too_long) > 3 else ""
        capped.append(f"limits.article_kb ({limits.article_kb}) exceeded: {_count(len(too_long))} "
                      f"left out: {named}{more}")
    kept, total, dropped = [], 0, 0
    for entry in sorted(short_enough, key=reading_order, reverse=True):
        if total + sizes[id(entry)] > limits.issue_text_mb * 1_000_000:
            dropped += 1
            continue
        total += sizes[id(entry)]
        kept.append(entry)
    if dropped:
        capped.append(f"limits.issue_text_mb ({limits.issue_text_mb:g}) reached: {_count(dropped)} "
                      f"left out, the oldest first; {total / 1_000_000:.1f} MB of text kept")
    return Selection(tuple(sorted(kept, key=reading_order)), (), tuple(capped))


def drop_short(config: Config, spec: IssueSpec, entries: tuple[Entry, ...],
               size: TextSizer = text_size) -> Selection:
    """Entries with fewer words than their source's ``min_words`` are left out and reported.

    Run on full texts (after enrichment), so a summary-only feed is judged by its articles;
    a pinned entry is kept whatever its length. ``size`` as in cap_text.
    """
    limits = {s.name: s.min_words for s in config.sources}
    pinned = {pin_key(k) for k in spec.pinned}
    kept, skipped = [], []
    for entry in entries:
        words = size(entry.content or entry.summary).words
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


def _newest_first_by_source(entries: Iterable[Entry], config: Config) -> list[Entry]:
    """Each source's entries newest first, the sources in the config's order (so the first
    source still wins a duplicate, and a capped source keeps its newest entries)."""
    order = {source.name: number for number, source in enumerate(config.sources)}
    ordered = sorted(entries, key=lambda e: e.date, reverse=True)
    ordered.sort(key=lambda e: order.get(e.source, len(order)))
    return ordered


def _cap_articles(entries: list[Entry], cap: int, pinned: set[str]) -> tuple[list[Entry], list[str]]:
    """The newest ``cap`` entries (pinned ones always), and the report line when others were left out."""
    newest = sorted(entries, key=lambda e: e.date, reverse=True)
    kept = [e for number, e in enumerate(newest)
            if number < cap or {e.guid, canonical_url(e.link)} & pinned]
    if len(kept) == len(entries):
        return kept, []
    return kept, [f"limits.articles ({cap}) reached: {_count(len(entries) - len(kept))} left out, "
                  f"the newest {cap} kept"]


def _count(articles: int) -> str:
    return f"{articles:,} article{'s' if articles != 1 else ''}"


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
