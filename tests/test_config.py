"""Config and issue files: typed, validated once, every problem named by file and key."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from digest.cli import cli
from digest.core.configfile import load_config
from digest.core.errors import ConfigError
from digest.ingest.issuefile import load_issue
from digest.core.month import Month
from factory import write_publication


def test_sample_config_loads_into_typed_objects(sample_config):
    pub = sample_config.publication
    assert (pub.title, pub.language, pub.slug, pub.timezone) == (
        "Architecture Monthly", "en", "architecture-monthly", "America/Los_Angeles")
    assert [s.id for s in sample_config.sections] == ["architecture", "compute", "big-data", "news"]
    assert {s.section for s in sample_config.sources} <= {s.id for s in sample_config.sections}
    with pytest.raises(AttributeError):
        pub.title = "changed"  # frozen


def test_every_problem_is_reported_at_once_with_file_and_key_path(tmp_path):
    path = write_publication(
        tmp_path,
        publication={"title": "T", "publisher": None, "slug": "Bad Slug", "timezone": "Mars/Olympus", "colour": "red"},
        sources=[{"name": "feed", "url": "missing.xml", "section": "nope", "max_articles": -1}],
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    problems = caught.value.problems
    expected = [
        "publication.publisher: required key is missing",
        "publication.slug: invalid value 'Bad Slug'",
        "publication.timezone: unknown IANA time zone 'Mars/Olympus'",
        "publication.colour: unknown key",
        "sources[0].section: unknown section 'nope'",
        "sources[0].url: no such feed file: missing.xml",
        "sources[0].max_articles: must be at least 0",
    ]
    for fragment in expected:
        assert any(fragment in p for p in problems), (fragment, problems)
    assert all(re.match(rf"{re.escape(str(path))}:\d+: ", p) for p in problems), problems


def test_invalid_toml_names_the_file(tmp_path):
    path = tmp_path / "digest.toml"
    path.write_text("[publication\n")
    with pytest.raises(ConfigError, match=r"digest.toml:1: invalid TOML: "):
        load_config(path)


def test_issue_file_problems_name_the_file_and_link(project_copy, sample_config):
    (project_copy / "issues" / "2018-03.toml").write_text("""
number = "three"
[[links]]
kind = "podcast"
title = "X"
url = "ftp://example.org/x"
""")
    config = load_config(project_copy / "digest.toml")
    with pytest.raises(ConfigError) as caught:
        load_issue(config, Month.parse("2018-03"))
    text = str(caught.value)
    assert "2018-03.toml:2: number: expected an integer" in text
    assert "2018-03.toml:4: links[0].kind: unknown kind 'podcast'" in text
    assert "2018-03.toml:6: links[0].url: not an http(s) URL" in text


def test_month_without_issue_file_gives_an_empty_spec(sample_config):
    spec = load_issue(sample_config, Month.parse("2019-07"))
    assert spec.links == () and spec.number is None and spec.note == ""


@pytest.mark.parametrize("text", ["2018-13", "2018-1", "18-01", "January", "2018-00"])
def test_malformed_month_is_rejected(text):
    with pytest.raises(ConfigError, match="expected YYYY-MM"):
        Month.parse(text)


def test_cli_config_errors_exit_2_with_one_line_per_problem(tmp_path):
    (tmp_path / "digest.toml").write_text('[publication]\ntitle = "T"\n')
    result = CliRunner().invoke(cli, ["build", "--config", str(tmp_path / "digest.toml"), "--month", "2018-01"])
    assert result.exit_code == 2
    assert "publication.publisher: required key is missing" in result.output
    assert "sections: required key is missing" in result.output
    assert "Traceback" not in result.output


def test_cli_missing_config_and_bad_month_exit_2(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(cli, ["build", "--config", str(tmp_path / "nope.toml"), "--month", "2018-01"])
    assert missing.exit_code == 2 and "nope.toml: config file not found" in missing.output
    bad_month = runner.invoke(cli, ["build", "--month", "2018-1"])
    assert bad_month.exit_code == 2 and "expected YYYY-MM" in bad_month.output


@pytest.mark.slow  # a whole build
def test_cli_build_prints_the_report(project_copy):
    result = CliRunner().invoke(cli, ["build", "--config", str(project_copy / "digest.toml"),
                                      "--month", "2018-01", "--out", str(project_copy / "out")])
    assert result.exit_code == 0, result.output
    assert "Architecture Monthly, January 2018: 8 articles, 6 curated links" in result.output
    assert "language 'bg'" in result.output
    assert (project_copy / "out" / "architecture-monthly" / "2018-01").is_dir()


def test_cli_month_with_no_articles_fails_clearly_and_publishes_nothing(project_copy):
    result = CliRunner().invoke(cli, ["build", "--config", str(project_copy / "digest.toml"),
                                      "--month", "2019-05", "--out", str(project_copy / "out")])
    assert result.exit_code == 1
    assert "no articles for May 2019" in result.output
    assert not (project_copy / "out" / "architecture-monthly" / "2019-05").exists()
