"""Reading sources: every feed format, local files and URLs, broken feeds and entries."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import ROOT
from digest.core.configfile import load_config
from digest.core.errors import SourceError
from digest.ingest.feeds import read_source
from digest.ingest.fetch import Fetcher, FetchPolicy
from digest.core.month import Month
from digest.pipeline import build_issue
from factory import sample_sources, write_publication
from loopback import LoopbackServer, Reply

FEEDS = ROOT / "assets" / "sample-feeds"


def _source(config, name):
    return next(s for s in config.sources if s.name == name)


@pytest.mark.parametrize("name, count", [
    ("AWS Architecture Blog", 7),  # RSS 2.0
    ("AWS Compute Blog", 2),       # Atom 1.0
    ("AWS Big Data Blog", 3),      # RSS 1.0 (RDF)
    ("AWS News Blog", 3),          # JSON Feed 1.1
])
def test_every_feed_format_yields_complete_entries(sample_config, name, count):
    result = read_source(sample_config, _source(sample_config, name))
    assert len(result.entries) == count and result.problems == ()
    for entry in result.entries:
        assert entry.title and entry.link.startswith("https://") and entry.guid
        assert entry.authors and entry.content.strip().startswith("<")
        assert entry.published is not None and entry.published.utcoffset() is not None
        assert entry.section == _source(sample_config, name).section


def test_atom_entry_fields(sample_config):
    entry = next(e for e in read_source(sample_config, _source(sample_config, "AWS Compute Blog")).entries
                 if e.title == "Managing AWS Lambda Function Concurrency")
    assert entry.authors == ("Chris Munns",)
    assert entry.link == "https://aws.amazon.com/blogs/compute/managing-aws-lambda-function-concurrency/"
    assert entry.categories and entry.language and entry.language.startswith("en")


def _config_with_feed(project_copy: Path, url: str):
    return load_config(write_publication(project_copy, sample=True, sources=sample_sources({"compute.atom": url}),
                                         fetch={"retries": 0, "allow_private_hosts": [urlsplit(url).netloc]}))


def test_feed_over_http_from_a_loopback_server(project_copy):
    with LoopbackServer() as server:
        server.routes["/compute.atom"] = Reply(200, (FEEDS / "compute.atom").read_bytes(),
                                               {"Content-Type": "application/atom+xml"})
        config = _config_with_feed(project_copy, server.url("/compute.atom"))
        with Fetcher(FetchPolicy(allow_private_hosts=(server.host,))) as fetcher:
            result = read_source(config, _source(config, "AWS Compute Blog"), fetcher)
    assert len(result.entries) == 2
    assert server.requests[0][1]["User-Agent"].startswith("digest/")


@pytest.mark.slow  # a whole build
def test_a_source_that_is_down_is_reported_and_the_issue_still_builds(project_copy):
    with LoopbackServer() as server:
        server.routes["/compute.atom"] = Reply(503, b"busy")
        config = _config_with_feed(project_copy, server.url("/compute.atom"))
        result = build_issue(config, Month.parse("2018-01"))
    assert any(p.where.endswith("/compute.atom") and "503" in p.reason for p in result.problems)
    assert "Managing AWS Lambda Function Concurrency" not in {a.title for a in result.issue.articles}
    assert len(result.issue.articles) == 7


def test_strict_mode_makes_a_broken_source_fatal(project_copy):
    from digest.core.errors import BuildError

    broken = project_copy / "assets" / "sample-feeds" / "compute.atom"
    broken.write_text("<feed><entry><title>unclosed")
    config = load_config(project_copy / "digest.toml")
    with pytest.raises(BuildError, match="compute.atom"):
        build_issue(config, Month.parse("2018-01"), strict=True)
    assert not (config.output.dir / "architecture-monthly" / "2018-01").exists()


def test_malformed_feed_names_the_file(project_copy):
    path = project_copy / "assets" / "sample-feeds" / "compute.atom"
    path.write_bytes(b"this is not xml at all")
    config = load_config(project_copy / "digest.toml")
    with pytest.raises(SourceError, match="compute.atom: malformed feed"):
        read_source(config, _source(config, "AWS Compute Blog"))


def test_entries_without_title_or_date_are_problems_not_crashes(project_copy):
    path = project_copy / "assets" / "sample-feeds" / "compute.atom"
    path.write_text("""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:x</id><updated>2018-01-01T00:00:00Z</updated>
<entry><id>urn:1</id><title>No date here</title><link href="https://example.org/1"/></entry>
<entry><id>urn:2</id><link href="https://example.org/2"/><published>2018-01-05T00:00:00Z</published></entry>
<entry><id>urn:3</id><title>Fine</title><link href="https://example.org/3"/>
<published>2018-01-05T00:00:00Z</published><content type="html">&lt;p&gt;ok&lt;/p&gt;</content></entry>
</feed>""")
    config = load_config(project_copy / "digest.toml")
    result = read_source(config, _source(config, "AWS Compute Blog"))
    assert [e.title for e in result.entries] == ["Fine"]
    reasons = [p.reason for p in result.problems]
    assert any("'No date here' has no date" in r for r in reasons)
    assert any("without a title" in r and "example.org/2" in r for r in reasons)


def test_json_feed_that_is_not_a_json_feed(project_copy):
    (project_copy / "assets" / "sample-feeds" / "aws-news.json").write_text('{"items": 3}')
    config = load_config(project_copy / "digest.toml")
    with pytest.raises(SourceError, match="aws-news.json: not a JSON Feed"):
        read_source(config, _source(config, "AWS News Blog"))


def test_fetch_reports_each_source_once_and_every_broken_entry(project_copy):
    from click.testing import CliRunner

    from digest.cli import cli

    (project_copy / "assets" / "sample-feeds" / "compute.atom").write_text("not a feed at all")
    news = project_copy / "assets" / "sample-feeds" / "aws-news.json"
    news.write_text(news.read_text().replace('"title": "AWS Hot Startups', '"title_gone": "AWS Hot Startups', 1))
    result = CliRunner().invoke(cli, ["fetch", "--config", str(project_copy / "digest.toml")])
    assert result.exit_code == 1
    assert result.output.count("malformed feed") == 1  # the failed source, not repeated as a problem
    assert "AWS Compute Blog: ERROR" in result.output
    assert "aws-news.json item" in result.output and "without a title" in result.output
