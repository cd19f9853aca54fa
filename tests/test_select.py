"""Choosing a month's articles: time zone, rules, duplicates, pins, limits, order."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from digest.content.issue.select import select_entries
from digest.core.models import Entry, IssueSpec
from digest.core.month import Month

ENGLISH = ("<p>This is a perfectly ordinary English paragraph about building distributed systems "
           "on the cloud, long enough for the language to be recognised.</p>")


def entry(title, day=10, source="AWS Architecture Blog", link=None, guid=None, categories=(), html=ENGLISH,
          language=None, summary="", hour=12):
    link = link or f"https://example.org/{title.lower().replace(' ', '-')}/"
    return Entry(source=source, section="architecture", guid=guid or link, title=title, link=link,
                 authors=("A. Writer",), published=datetime(2018, 1, day, hour, tzinfo=timezone.utc),
                 updated=None, summary=summary, content=html, categories=categories, language=language)


def with_source(config, **rules):
    sources = tuple(replace(s, **rules) if s.name == "AWS Architecture Blog" else s for s in config.sources)
    return replace(config, sources=sources)


def titles(selection):
    return [e.title for e in selection.articles]


def test_month_window_uses_the_publication_time_zone(sample_config):
    # Los Angeles: 2018-02-01 07:59Z is still January 31; 08:00Z is February.
    late = replace(entry("Late"), published=datetime(2018, 2, 1, 7, 59, tzinfo=timezone.utc))
    early = replace(entry("Early"), published=datetime(2018, 2, 1, 8, 0, tzinfo=timezone.utc))
    first = replace(entry("First"), published=datetime(2018, 1, 1, 8, 0, tzinfo=timezone.utc))
    before = replace(entry("Before"), published=datetime(2018, 1, 1, 7, 59, tzinfo=timezone.utc))
    selection = select_entries(sample_config, IssueSpec(Month(2018, 1)), [late, early, first, before])
    assert titles(selection) == ["First", "Late"]


def test_duplicates_by_guid_or_by_url_without_tracking_parameters(sample_config):
    original = entry("Original", link="https://example.org/post/")
    same_url = entry("Copy", link="https://EXAMPLE.org/post/?utm_source=x&utm_medium=y#comments",
                     guid="other-guid", source="AWS News Blog")
    same_guid = entry("Same guid", link="https://example.org/moved/", guid=original.guid)
    different_query = entry("Different page", link="https://example.org/post/?page=2")
    selection = select_entries(sample_config, IssueSpec(Month(2018, 1)),
                               [original, same_url, same_guid, different_query])
    assert titles(selection) == ["Different page", "Original"]
    assert sorted(s.title for s in selection.skipped) == ["Copy", "Same guid"]
    assert all("duplicate of 'Original'" in s.reason for s in selection.skipped)


def test_language_rule_detects_the_text_even_when_the_feed_claims_english(sample_config):
    bulgarian = entry("Новини", language="en-US",
                      html="<p>Европейската комисия реши да предяви иск срещу България пред Съда на ЕС "
                           "заради непълното транспониране на директивата за колективното управление.</p>")
    selection = select_entries(sample_config, IssueSpec(Month(2018, 1)), [bulgarian, entry("Kept")])
    assert titles(selection) == ["Kept"]
    assert selection.skipped[0].reason == "language 'bg' (accepted: en)"
    multilingual = with_source(sample_config, languages=("en", "bg"))
    assert len(select_entries(multilingual, IssueSpec(Month(2018, 1)), [bulgarian]).articles) == 1


def test_category_and_keyword_rules(sample_config):
    entries = [entry("Kerberos on EMR", categories=("Security",)),
               entry("Cats on the Internet", categories=("Fun",)),
               entry("Sponsored: buy now", categories=("Security",), summary="advert")]
    config = with_source(sample_config, include_categories=("security",), exclude_keywords=("sponsored",))
    selection = select_entries(config, IssueSpec(Month(2018, 1)), entries)
    assert titles(selection) == ["Kerberos on EMR"]
    reasons = {s.title: s.reason for s in selection.skipped}
    assert reasons == {"Cats on the Internet": "no included category",
                       "Sponsored: buy now": "excluded keyword 'sponsored'"}


def test_pinned_entries_bypass_rules_and_month_and_excluded_are_dropped(sample_config):
    old = replace(entry("From December"), published=datetime(2017, 12, 20, tzinfo=timezone.utc))
    unwanted = entry("Unwanted")
    spec = IssueSpec(Month(2018, 1), pinned=(old.link + "?utm_campaign=x",), excluded=(unwanted.guid,))
    selection = select_entries(sample_config, spec, [old, unwanted, entry("Normal")])
    assert titles(selection) == ["From December", "Normal"]
    assert selection.skipped[0].reason == "excluded by the issue file"


def test_per_source_limit_keeps_the_newest(sample_config):
    config = with_source(sample_config, max_articles=2)
    entries = [entry(f"Post {day}", day=day) for day in (3, 9, 27, 15)]
    selection = select_entries(config, IssueSpec(Month(2018, 1)), entries)
    assert titles(selection) == ["Post 15", "Post 27"]
    assert {s.title for s in selection.skipped} == {"Post 3", "Post 9"}


def test_order_is_stable_whatever_order_the_feeds_list_entries(sample_config):
    entries = [entry("B", day=5), entry("A", day=5), entry("C", day=2)]
    forward = titles(select_entries(sample_config, IssueSpec(Month(2018, 1)), entries))
    backward = titles(select_entries(sample_config, IssueSpec(Month(2018, 1)), entries[::-1]))
    assert forward == backward == ["C", "A", "B"]


def test_already_published_entries_are_not_repeated_unless_pinned(sample_config):
    repeat = entry("Seen before")
    spec = IssueSpec(Month(2018, 1))
    selection = select_entries(sample_config, spec, [repeat], already_published=frozenset({repeat.guid}))
    assert titles(selection) == [] and "already published" in selection.skipped[0].reason
    pinned = IssueSpec(Month(2018, 1), pinned=(repeat.link,))
    assert titles(select_entries(sample_config, pinned, [repeat], frozenset({repeat.guid}))) == ["Seen before"]


def test_language_verdicts_remembered_in_the_store_select_the_same(sample_config, tmp_path):
    from digest.content.text.language import StoredLanguages
    from digest.core.stores import open_cache

    bulgarian = entry("Новини", html="<p>Европейската комисия реши да предяви иск срещу България пред Съда на ЕС "
                                     "заради непълното транспониране на директивата за колективното управление.</p>")
    entries = [bulgarian, entry("Kept")]
    plain = select_entries(sample_config, IssueSpec(Month(2018, 1)), entries)
    with open_cache(tmp_path / "s.sqlite3") as store:
        remembering = StoredLanguages(store).detect
        first = select_entries(sample_config, IssueSpec(Month(2018, 1)), entries, languages=remembering)
        remembered = store.store.query("SELECT value FROM build_memo WHERE kind = 'language'")
        again = select_entries(sample_config, IssueSpec(Month(2018, 1)), entries, languages=remembering)
    assert first == again == plain
    assert "bg" in [row["value"] for row in remembered]
    assert [s.reason for s in again.skipped] == ["language 'bg' (accepted: en)"]


def test_a_second_selection_from_the_store_does_not_load_the_language_model(sample_config, tmp_path,
                                                                             monkeypatch):
    from digest.content.text import language
    from digest.content.text.language import StoredLanguages
    from digest.core.stores import open_cache

    loads = []  # one per text judged by the model (detect() loads it when it is not loaded)
    real = language.detect

    def counting(text):
        loads.append(text)
        return real(text)

    monkeypatch.setattr(language, "detect", counting)
    spec = IssueSpec(Month(2018, 1))
    entries = [entry("Kept"), entry("Also kept", html=ENGLISH.replace("ordinary", "unremarkable"))]
    with open_cache(tmp_path / "s.sqlite3") as store:
        first = select_entries(sample_config, spec, entries, languages=StoredLanguages(store).detect)
        judged_first = len(loads)
        again = select_entries(sample_config, spec, entries, languages=StoredLanguages(store).detect)
        judged_again = len(loads) - judged_first
        changed = [entries[0], entry("Also kept", html=ENGLISH.replace("ordinary", "different"))]
        select_entries(sample_config, spec, changed, languages=StoredLanguages(store).detect)
    assert first == again and [e.language for e in again.articles] == ["en", "en"]
    assert judged_first == 2 and judged_again == 0
    assert len(loads) == judged_first + 1  # only the changed text is judged again
