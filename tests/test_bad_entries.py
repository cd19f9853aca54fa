"""One bad entry never stops the issue: the innocent articles publish, the report names the bad one.

Each case is a JSON Feed holding two innocent items and one bad one, built with
`digest build` as an editor runs it (EPUBCheck is the build's own gate: exit 0 means
0 errors and 0 warnings).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from factory import write_publication
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from digest.cli import cli
from digest.core.configfile import load_config
from digest.core.month import Month
from digest.pipeline import compose_issue

TEXT = "Backpressure keeps a fast producer from drowning a slow consumer. " * 12
def innocent(number: int) -> dict:
    return {"id": f"good-{number}", "url": f"https://blog.example.org/good-{number}",
            "title": f"Innocent post {number}", "content_html": f"<p>Innocent {number}. {TEXT}</p>",
            "date_published": f"2018-01-1{number}T10:00:00Z"}


def bad_item(**fields) -> dict:
    item = {"id": "bad", "url": "https://blog.example.org/bad", "title": "The bad one",
            "content_html": f"<p>The bad one. {TEXT}</p>", "date_published": "2018-01-15T10:00:00Z"}
    item.update(fields)
    return item


def write_project(root: Path, items: list) -> Path:
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "Blog", "language": "en", "items": items}
    (root / "feed.json").write_text(json.dumps(feed), encoding="utf-8")
    return write_publication(root, publication={"title": "Entry Monthly", "slug": "entries"},
                             sources=[{"name": "Feed", "url": "feed.json", "section": "main"}],
                             fetch={"retries": 0, "timeout": 1}, output={"dir": "out"},
                             store={"path": "state/digest.sqlite3"})


def book_pages(root: Path) -> dict[str, str]:
    epub = next((root / "out").rglob("*.epub"))
    with zipfile.ZipFile(epub) as book:
        return {name: book.read(name).decode("utf-8") for name in book.namelist() if name.endswith(".xhtml")}


NESTED = "<div>" * 300 + f"<p>Deep down. {TEXT}</p>" + "</div>" * 300
# name -> (the bad item, what its line in the report says, text of it that must reach the book)
CASES = {
    "tags-is-a-number": (bad_item(tags=5), "ignored 'tags'", "The bad one"),
    "language-is-a-list": (bad_item(language=["en"]), "ignored the language", "The bad one"),
    "control-character-in-title": (bad_item(title="The bad\x07 one\x1b"), "control", "The bad one"),
    "300-nested-divs": (bad_item(content_html=NESTED), None, "Deep down."),
    "lang-attribute-with-a-quote": (
        bad_item(language='en"><x', content_html=f"<p lang='en\"x'>Quoted. {TEXT}</p>"),
        "ignored the language", "Quoted."),
    "title-of-40000-characters": (bad_item(title="W" * 40_000), "title of 40000 characters", "WWWWWWWWWW"),
    "url-that-is-not-a-url": (bad_item(url="not a url at all"), "not an http(s) URL", "The bad one"),
}
@pytest.mark.parametrize("case", list(CASES))
def test_one_bad_entry_still_publishes_the_issue(case, tmp_path, monkeypatch):
    bad, reported, shown = CASES[case]
    config = write_project(tmp_path, [innocent(1), bad, innocent(2)])
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["build", "--config", str(config), "--month", "2018-01"])
    assert result.exit_code == 0, result.output
    text = "\n".join(book_pages(tmp_path).values())
    assert "Innocent post 1" in text and "Innocent post 2" in text
    assert shown in text  # the bad entry itself is in the book, repaired
    assert "file:" not in text
    if reported:
        problems = result.output.partition("problems")[2]
        assert "item 2" in problems and reported in problems, result.output


def test_a_long_title_is_shortened_in_the_contents_and_kept_whole_on_its_page(tmp_path, monkeypatch):
    title = "A very long title " + "that goes on " * 40 + "and ends here"
    config = write_project(tmp_path, [innocent(1), bad_item(title=title)])
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["build", "--config", str(config), "--month", "2018-01"])
    assert result.exit_code == 0, result.output
    pages = book_pages(tmp_path)
    contents = next(text for name, text in pages.items() if name.endswith("contents.xhtml"))
    article = next(text for name, text in pages.items() if "a02-" in name)
    assert "and ends here" not in contents and "A very long title that goes on" in contents
    assert "…" in contents
    assert f"<h1>{title}</h1>" in article


def test_an_entry_without_a_title_is_titled_by_its_text_and_one_without_text_is_skipped(tmp_path):
    config = write_project(tmp_path, [innocent(1), bad_item(title=None),
                                      bad_item(id="empty", title=None, content_html=None, url=None)])
    composition = compose_issue(load_config(config), Month(2018, 1))
    titles = [article.title for article in composition.issue.articles]
    assert titles[-1].startswith("The bad one. Backpressure keeps")
    reasons = [p.reason for p in composition.problems]
    assert any("without a title: titled from its first words" in r for r in reasons), reasons
    assert any("without a title or text" in r for r in reasons), reasons


def test_an_article_in_another_language_is_marked_with_it(tmp_path):
    german = ("Die Architektur eines verteilten Systems entscheidet darüber, wie gut es mit Last umgehen kann. "
              "Wir zeigen, wie man Warteschlangen und Rückstau richtig einsetzt. ") * 4
    config = write_project(tmp_path, [innocent(1), bad_item(title="Rückstau in verteilten Systemen",
                                                            content_html=f"<p>{german}</p>")])
    toml = config.read_text().replace('section = "main"', 'section = "main"\nlanguages = ["en", "de"]')
    config.write_text(toml)
    composition = compose_issue(load_config(config), Month(2018, 1))
    page = next(p.xhtml for p in composition.pages if "rckstau" in p.file_name or "ruckstau" in p.file_name)
    root = etree.fromstring(page.encode())
    body = root.find(".//{*}div[@class='article-body']")
    assert body.get("lang") == "de" and body.get("{http://www.w3.org/XML/1998/namespace}lang") == "de"
    assert root.get("lang") == "en"
    english = next(p.xhtml for p in composition.pages if "innocent-post-1" in p.file_name)
    assert 'lang="de"' not in english


def test_fetch_survives_a_bad_entry(tmp_path):
    config = write_project(tmp_path, [innocent(1), bad_item(tags=5, language=["en"], authors="Jane Doe")])
    result = CliRunner().invoke(cli, ["fetch", "--config", str(config)])
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    assert "Feed: 2 entries" in result.output
    assert "ignored 'tags'" in result.output


# Any JSON value where the feed should hold a string, a list or an object.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(st.characters(codec=None), max_size=60),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["name", "url", "x"]), inner,
                                                                 max_size=2),
    max_leaves=6)
FIELDS = ("id", "url", "external_url", "title", "content_html", "content_text", "summary", "tags", "language",
          "authors", "author", "date_published", "date_modified")
ITEMS = st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES | st.sampled_from(
    ["2018-01-20T08:00:00Z", "https://blog.example.org/x", "en", "<p>Hi</p>" + TEXT, "\u202eevil\x00"]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(items=st.lists(ITEMS | JSON_VALUES, max_size=4))
def test_entries_of_any_shape_never_stop_the_issue(items, tmp_path_factory):
    root = tmp_path_factory.mktemp("feed")
    config = write_project(root, [innocent(1), *items])
    composition = compose_issue(load_config(config), Month(2018, 1))
    assert "Innocent post 1" in [article.title for article in composition.issue.articles]
    for page in composition.pages:
        etree.fromstring(page.xhtml.encode("utf-8"))  # every page is well-formed XML
        assert "file:" not in page.xhtml


def test_a_batch_of_arbitrary_entries_publishes_and_passes_epubcheck(tmp_path, monkeypatch):
    """EPUBCheck on one book of many odd entries (the property test above checks well-formedness only)."""
    odd = [bad_item(**{"id": f"odd-{n}", "url": f"https://blog.example.org/odd-{n}", **fields})
           for n, fields in enumerate([
        {"title": 42}, {"title": ["list"]}, {"authors": "Jane"}, {"authors": [{"name": 7}, None, "Bo\u202e"]},
        {"author": {"name": "\x00Old\x1f"}}, {"tags": {"a": 1}}, {"tags": ["ok", 3, None]}, {"language": 'x"y'},
        {"language": "de_DE"}, {"url": "javascript:alert(1)"}, {"url": "http://[::1"}, {"url": 5},
        {"summary": ["x"]}, {"content_html": 5, "content_text": "Plain text\n\nin two paragraphs. " + TEXT},
        {"title": "\ud800 lone surrogate \udfff"}, {"id": {"x": 1}}, {"date_published": 20180115},
        {"date_modified": "2018-01-16T00:00:00Z", "date_published": None},
           ])]
    config = write_project(tmp_path, [innocent(1), *odd, innocent(2)])
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["build", "--config", str(config), "--month", "2018-01"])
    assert result.exit_code == 0, result.output
    text = "\n".join(book_pages(tmp_path).values())
    assert "Innocent post 1" in text and "Innocent post 2" in text
    assert "javascript:" not in text and "\u202e" not in text
