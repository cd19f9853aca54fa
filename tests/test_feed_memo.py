"""Parsed feeds remembered in the store: an unchanged feed is not parsed again, a changed one is."""

from __future__ import annotations

from dataclasses import replace

import pytest

from conftest import ROOT
from digest.core.stores import open_cache
from digest.ingest import feedmemo
from digest.ingest.feedmemo import ParsedFeeds
from digest.ingest.feeds import read_source

FEEDS = ROOT / "assets" / "sample-feeds"


@pytest.fixture
def parses(monkeypatch):
    """The bodies feedmemo hands to the real parser, one per parse."""
    seen: list[bytes] = []
    real = feedmemo.parse_feed

    def counting(source, location, body, headers, base):
        seen.append(body)
        return real(source, location, body, headers, base)

    monkeypatch.setattr(feedmemo, "parse_feed", counting)
    return seen


def test_an_unchanged_feed_is_read_from_the_store_with_the_same_entries(sample_config, tmp_path, parses):
    plain = [read_source(sample_config, source) for source in sample_config.sources]
    with open_cache(tmp_path / "s.sqlite3") as store:
        first = [read_source(sample_config, source, parse=ParsedFeeds(store).parse) for source in sample_config.sources]
        parsed_first = len(parses)
        again = [read_source(sample_config, source, parse=ParsedFeeds(store).parse) for source in sample_config.sources]
    assert first == again == plain
    assert all(result.entries for result in again)
    assert parsed_first == len(sample_config.sources) and len(parses) == parsed_first  # nothing parsed again


def test_a_changed_feed_or_source_is_parsed_again(sample_config, tmp_path, parses):
    feed = tmp_path / "compute.atom"
    feed.write_bytes((FEEDS / "compute.atom").read_bytes())
    source = replace(next(s for s in sample_config.sources if s.name == "AWS Compute Blog"), url=str(feed))
    with open_cache(tmp_path / "s.sqlite3") as store:
        before = read_source(sample_config, source, parse=ParsedFeeds(store).parse)
        feed.write_bytes(feed.read_bytes().replace(b"Managing AWS Lambda Function Concurrency",
                                                   b"Managing Lambda Concurrency, Revised"))
        after = read_source(sample_config, source, parse=ParsedFeeds(store).parse)
        moved = replace(source, section="elsewhere")
        elsewhere = read_source(sample_config, moved, parse=ParsedFeeds(store).parse)
    assert len(parses) == 3
    assert "Managing AWS Lambda Function Concurrency" in [e.title for e in before.entries]
    assert "Managing Lambda Concurrency, Revised" in [e.title for e in after.entries]
    assert after == read_source(sample_config, source)
    assert {e.section for e in elsewhere.entries} == {"elsewhere"}
