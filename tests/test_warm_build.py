"""A rebuild with nothing changed takes what it can from the store: no feed is parsed, no
Jing is started and no language model is loaded, and the book comes out byte for byte the same."""

from __future__ import annotations

import pytest

from digest.content.text import cleanmemo, language
from digest.core.configfile import load_config
from digest.core.month import Month
from digest.ebook import validate
from digest.ingest import feedmemo
from digest.pipeline import build_issue


def refused(what: str):
    def fail(*args, **kwargs):
        raise AssertionError(f"a rebuild with nothing changed {what}")
    return fail


@pytest.mark.slow  # two whole builds
def test_a_rebuild_with_nothing_changed_parses_sanitizes_validates_and_detects_nothing_again(project_copy,
                                                                                          monkeypatch):
    config = load_config(project_copy / "digest.toml")
    first = build_issue(config, Month.parse("2018-01"))
    published = first.epub.read_bytes()
    monkeypatch.setattr(feedmemo, "parse_feed", refused("parsed a feed"))
    monkeypatch.setattr(validate, "run_external", refused("started Jing"))
    monkeypatch.setattr(language, "detect", refused("judged a text's language"))
    monkeypatch.setattr(cleanmemo, "clean_html", refused("sanitized an article body"))
    again = build_issue(config, Month.parse("2018-01"))
    assert again.epub.read_bytes() == published
    assert again.problems == first.problems and again.skipped == first.skipped
