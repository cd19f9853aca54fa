"""Sources of links: feeds whose entries become curated links, with the rules, memory and
issue-file overrides that posts have."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone

import pytest

from conftest import DATA
from digest.core.configfile import load_config
from digest.core.errors import ConfigError
from digest.core.month import Month
from digest.pipeline import build_issue, compose_issue
from factory import write_publication

FEEDS = DATA / "linkfeeds"


def links_of(issue) -> dict[str, list[tuple[str, str]]]:
    return {group.kind: [(link.title, link.url) for link in group.links] for group in issue.curated}


@pytest.fixture
def three_feeds(tmp_path):
    for name in ("whitepapers.rss", "refarch-releases.atom", "bookmarks.rdf"):
        shutil.copy(FEEDS / name, tmp_path / name)
    (tmp_path / "posts.xml").write_text("<rss version='2.0'><channel><title>p</title></channel></rss>")
    sources = [
        {"name": "Posts", "url": "posts.xml", "section": "main"},
        {"name": "Whitepapers", "url": "whitepapers.rss", "links": "whitepaper", "include_categories": ["whitepaper"]},
        {"name": "Pipeline releases", "url": "refarch-releases.atom", "links": "reference-architecture"},
        {"name": "Curator's bookmarks", "url": "bookmarks.rdf", "links": "reference-architecture",
         "exclude_keywords": ["archived"]},
    ]
    return tmp_path, sources


def test_three_kinds_of_link_feed_become_curated_links_of_the_month(three_feeds):
    root, sources = three_feeds
    config = load_config(write_publication(root, sources=sources))
    composed = compose_issue(config, Month(2018, 1), allow_empty=True)
    links = links_of(composed.issue)
    # The whitepaper feed: its PDFs of January, not the webinar (no included category) nor February's paper.
    assert links["whitepaper"] == [
        ("Hosting Static Websites: Patterns and Costs", "https://papers.example.org/whitepapers/static-websites.pdf"),
        ("Disaster Recovery Guide", "https://papers.example.org/whitepapers/disaster-recovery.pdf")]
    # GitHub's release feed: two releases of one repository are the repository, once; the bookmarks
    # in date order, without the one an exclude keyword leaves out.
    assert links["reference-architecture"] == [
        ("Web Application Hosting (one-page diagram)", "https://architectures.example.org/web-application-hosting.pdf"),
        ("awslabs/ecs-refarch-continuous-deployment", "https://github.com/awslabs/ecs-refarch-continuous-deployment"),
        ("Serverless Image Handler", "https://github.com/awslabs/serverless-image-handler")]
    reasons = {(s.title, s.reason) for s in composed.skipped}
    assert ("Webinar: What is new in storage", "no included category") in reasons
    assert ("An old thing, archived", "excluded keyword 'archived'") in reasons
    assert any(title == "v1.3.0" and "same link" in reason for title, reason in reasons)
    assert composed.issue.articles == ()  # link sources never become articles


def test_the_issue_file_has_the_last_word(three_feeds):
    root, sources = three_feeds
    issue = """
excluded = ["https://papers.example.org/whitepapers/static-websites.pdf"]
pinned = ["https://github.com/awslabs/old-thing"]

[[links]]
kind = "reference-architecture"
title = "Serverless Image Handler, explained"
summary = "The editor's own words."
url = "https://github.com/awslabs/serverless-image-handler"
"""
    config = load_config(write_publication(root, sources=sources, issues={"2018-01.toml": issue}))
    composed = compose_issue(config, Month(2018, 1), allow_empty=True)
    links = links_of(composed.issue)
    assert [title for title, _ in links["whitepaper"]] == ["Disaster Recovery Guide"]
    architectures = composed.issue.curated[-1].links
    # The editor's link comes first, in their words; the pinned bookmark comes back.
    assert (architectures[0].title, architectures[0].summary) == ("Serverless Image Handler, explained",
                                                                  "The editor's own words.")
    assert [link.title for link in architectures].count("Serverless Image Handler, explained") == 1
    assert "An old thing, archived" in [link.title for link in architectures]


def whitepaper_feed(entries: list[tuple[str, str, datetime]]) -> str:
    items = "".join(
        f"<item><title>{title}</title><link>{url}</link><guid isPermaLink='false'>{guid}</guid>"
        f"<pubDate>{date.strftime('%a, %d %b %Y %H:%M:%S GMT')}</pubDate></item>"
        for guid, (title, url, date) in ((f"g{i}-{d:%m}", e) for i, e in enumerate(entries) for d in [e[2]]))
    return f"<rss version='2.0'><channel><title>Papers</title>{items}</channel></rss>"


@pytest.mark.slow  # three whole builds, EPUBCheck included
def test_twenty_whitepapers_over_three_months_each_appear_in_exactly_one_issue(tmp_path):
    start = datetime(2018, 1, 3, 12, tzinfo=timezone.utc)
    papers = [(f"Whitepaper {n:02d}", f"https://papers.example.org/wp-{n:02d}.pdf", start + timedelta(days=4 * n))
              for n in range(20)]  # January 3 to March 21
    feed = tmp_path / "papers.xml"
    feed.write_text(whitepaper_feed(papers))
    config = load_config(write_publication(
        tmp_path, sources=[{"name": "Papers", "url": "papers.xml", "links": "whitepaper"}],
        store={"path": "digest.sqlite3"}, links={"pages": False}))
    carried: dict[str, list[str]] = {}
    for month in (Month(2018, 1), Month(2018, 2), Month(2018, 3)):
        if month == Month(2018, 3):
            # The feed re-announces a January paper in March under a new guid: the store remembers it.
            feed.write_text(whitepaper_feed([*papers, ("Whitepaper 00 (updated)", papers[0][1],
                                                       datetime(2018, 3, 25, tzinfo=timezone.utc))]))
        result = build_issue(config.with_output_dir(tmp_path / "dist"), month, allow_empty=True)
        for group in result.issue.curated:
            for link in group.links:
                carried.setdefault(link.url, []).append(str(month))
        if month == Month(2018, 3):
            assert ("Whitepaper 00 (updated)", "already published in an earlier issue") in {
                (s.title, s.reason) for s in result.skipped}
    assert sorted(carried) == sorted(url for _, url, _ in papers)
    assert all(len(months) == 1 for months in carried.values()), carried
    assert {months[0] for months in carried.values()} == {"2018-01", "2018-02", "2018-03"}


def test_a_link_source_needs_no_section_but_a_known_kind(tmp_path):
    (tmp_path / "papers.xml").write_text("<rss version='2.0'><channel><title>p</title></channel></rss>")
    config = load_config(write_publication(tmp_path, sources=[{"name": "Papers", "url": "papers.xml",
                                                               "links": "whitepaper"}]))
    assert config.sources[0].links == "whitepaper" and config.sources[0].section == ""
    with pytest.raises(ConfigError) as raised:
        load_config(write_publication(tmp_path, sources=[{"name": "Papers", "url": "papers.xml",
                                                          "links": "whitepapers"}]))
    assert "sources[0].links: unknown kind 'whitepapers' (did you mean 'whitepaper'?)" in str(raised.value)
    with pytest.raises(ConfigError, match="sources\\[0\\].section: required key is missing"):
        load_config(write_publication(tmp_path, sources=[{"name": "Papers", "url": "papers.xml"}]))
