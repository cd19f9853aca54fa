"""[limits]: caps per source and per issue, each hit reported in one line with counts, the issue published.

A feed with 10,000 entries in the month used to reach EPUBCheck with all of them: 785 s, then
"EPUBCheck did not finish within 300 s" and nothing published. Now it builds the newest 100.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from factory import write_publication
from test_editor_flow import atom_feed
from test_select import ENGLISH, entry, titles

from digest.cli import cli
from digest.ingest import gather
from digest.content.issue.select import cap_text, select_entries
from digest.core.config import Limits
from digest.core.configfile import load_config
from digest.core.errors import ConfigError
from digest.core.models import IssueSpec
from digest.core.stores import open_record
from digest.core.month import Month


def limited(config, **caps):
    return replace(config, limits=replace(Limits(), **caps))


def test_entries_per_source_keeps_the_newest_and_says_how_many_were_left_out(sample_config):
    config = limited(sample_config, entries_per_source=3)
    entries = [entry(f"Post {day}", day=day) for day in range(1, 11)]
    selection = select_entries(config, IssueSpec(Month(2018, 1)), entries)
    assert titles(selection) == ["Post 8", "Post 9", "Post 10"]
    assert selection.skipped == ()  # one line for the cap, not one per entry
    assert selection.capped == ("limits.entries_per_source (3) reached by AWS Architecture Blog: "
                                "7 more of its January 2018 entries left out, the newest 3 kept",)


def test_articles_per_issue_keeps_the_newest_and_pinned_ones(sample_config):
    config = limited(sample_config, articles=2)
    entries = [entry(f"Post {day}", day=day) for day in (2, 4, 6, 8)]
    pinned = IssueSpec(Month(2018, 1), pinned=(entries[0].link,))
    selection = select_entries(config, pinned, entries)
    assert titles(selection) == ["Post 2", "Post 6", "Post 8"]
    assert selection.capped == ("limits.articles (2) reached: 1 article left out, the newest 2 kept",)


def test_an_article_over_the_text_cap_is_left_out_in_one_line(sample_config):
    config = limited(sample_config, article_kb=5)
    huge = entry("Huge", html="<p>" + "word " * 2_100 + "</p>")
    selection = cap_text(config, (entry("Small", day=3), huge, entry("Also small", day=5)))
    assert titles(selection) == ["Small", "Also small"]
    [line] = selection.capped
    assert line.startswith("limits.article_kb (5) exceeded: 1 article left out: 'Huge' (AWS Architecture Blog, 10 kB)")


def test_the_text_cap_counts_the_words_not_the_markup(sample_config):
    config = limited(sample_config, article_kb=5)
    page = entry("Whole page", html="<script>" + "x" * 50_000 + "</script><p>" + "word " * 500 + "</p>")
    selection = cap_text(config, (page,))
    assert titles(selection) == ["Whole page"] and selection.capped == ()


def test_the_issue_text_cap_leaves_out_the_oldest(sample_config):
    size = len(ENGLISH.encode())
    config = limited(sample_config, issue_text_mb=2.5 * size / 1_000_000)
    selection = cap_text(config, tuple(entry(f"Post {day}", day=day) for day in (1, 2, 3, 4)))
    assert titles(selection) == ["Post 3", "Post 4"]
    assert selection.capped == (f"limits.issue_text_mb ({2.5 * size / 1_000_000:g}) reached: 2 articles "
                                f"left out, the oldest first; {2 * size / 1_000_000:.1f} MB of text kept",)


def test_limits_are_validated_with_their_key(tmp_path):
    config = write_publication(tmp_path, sources=[], limits={"entries_per_source": 0, "articles": "many"})
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    problems = "\n".join(caught.value.problems)
    assert "limits.entries_per_source: must be at least 1" in problems
    assert "limits.articles: expected an integer" in problems


@pytest.mark.slow
def test_a_source_with_ten_thousand_entries_in_the_month_still_publishes(tmp_path, monkeypatch):
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    (tmp_path / "big.atom").write_text(atom_feed([
        (f"Post {n}", f"https://blog.example.org/p{n}", start + timedelta(minutes=4 * n), "en")
        for n in range(10_000)]), encoding="utf-8")
    config = write_publication(tmp_path, sources=[{"name": "Big", "url": "big.atom", "section": "main"}],
                               issues={"2026-01.toml": "number = 1\nvolume = 1\n"})
    monkeypatch.chdir(tmp_path)
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["build", "--config", str(config), "--month", "2026-01"])
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    line = ("limits.entries_per_source (100) reached by Big: 9,900 more of its January 2026 entries "
            "left out, the newest 100 kept")
    assert [row for row in result.output.splitlines() if "limits." in row] == [f"note: {line}"]
    manifest = json.loads(next((tmp_path / "dist").rglob("manifest.json")).read_text(encoding="utf-8"))
    assert len(manifest["articles"]) == 100 and line in manifest["notes"]
    assert manifest["articles"][-1]["title"] == "Post 9999"
    # The record keeps the newest 1,000 (ARCHIVED_PER_MONTH), and says so once.
    kept = "Big: 10,000 entries in one read: only the newest 1,000 are kept in the record"
    assert [row for row in result.output.splitlines() if "in one read" in row] == [f"  - {kept}"]
    with open_record(load_config(config)) as record:
        rows = record.query("SELECT link FROM entries ORDER BY published")
    assert len(rows) == 1_000 and rows[0]["link"] == "https://blog.example.org/p9000"
    assert elapsed < 480, f"{elapsed:.0f} s"  # generous: about 120 s on a loaded 2-core machine


def test_a_feed_with_new_links_at_every_read_keeps_only_a_months_worth_in_the_record(tmp_path, monkeypatch):
    """A feed that shows fresh items at every read (a spammer's, a CMS that mints new URLs) added
    them all to the record at each daily fetch. The record keeps a source's newest entries of
    each month, up to the cap; other months and other sources are untouched."""
    monkeypatch.setattr(gather, "ARCHIVED_PER_MONTH", 50)
    january = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def write_feed(read):
        items = [(f"Read {read} item {n}", f"https://spam.example.org/{read}/{n}",
                  january + timedelta(days=read, minutes=n), "en") for n in range(30)]
        if read == 0:  # December's items, few enough to keep
            items += [(f"December {n}", f"https://spam.example.org/dec/{n}",
                       january - timedelta(days=1 + n), "en") for n in range(5)]
        (tmp_path / "spam.atom").write_text(atom_feed(items), encoding="utf-8")

    (tmp_path / "calm.atom").write_text(atom_feed([(f"Calm {n}", f"https://calm.example.org/{n}",
                                                    january + timedelta(days=n), "en") for n in range(40)]),
                                        encoding="utf-8")
    config = write_publication(tmp_path, sources=[{"name": "Spam", "url": "spam.atom", "section": "main"},
                                                  {"name": "Calm", "url": "calm.atom", "section": "main"}],
                               limits={"entries_per_source": 1})
    monkeypatch.chdir(tmp_path)
    outputs = []
    for read in range(3):
        write_feed(read)
        result = CliRunner().invoke(cli, ["fetch", "--config", str(config)])
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    cut = "more than 50 entries dated 2026-01: the record keeps the newest 50"
    assert [cut in output for output in outputs] == [False, True, True]
    assert "(10 older left out)" in outputs[1] and "(30 older left out)" in outputs[2]
    assert not [line for output in outputs for line in output.splitlines() if "Calm" in line and "more than" in line]
    with open_record(load_config(config)) as record:
        spam = record.query("SELECT link FROM entries WHERE source = 'Spam' AND published LIKE '2026-01%' "
                            "ORDER BY published")
        december = record.query("SELECT link FROM entries WHERE source = 'Spam' AND published LIKE '2025-12%'")
        calm = record.query("SELECT link FROM entries WHERE source = 'Calm'")
    assert len(spam) == 50  # 90 seen
    assert spam[0]["link"] == "https://spam.example.org/1/10" and spam[-1]["link"] == "https://spam.example.org/2/29"
    assert len(december) == 5 and len(calm) == 40
