"""All 181 pages of the public extraction benchmark, served on loopback as three feeds, become a
published month: `digest build` exits 0, every page is an article, EPUBCheck finds nothing,
nothing remote is left.

Two variants: the whole page as each item's content, and summary-only feeds whose pages the
build fetches and extracts. Both pass Ace by DAISY with no violation, as the build's own
accessibility rules say they will. The pages' images point to hosts that do not resolve here (the
test resolves loopback only, so it never reaches the web): dead links, reported.
"""

from __future__ import annotations

import re

import pytest
from benchmark_site import CORPUS, corpus_pages, offline, serve_corpus, write_project
from click.testing import CliRunner
from conftest import NS, Epub, epubcheck_problems
from loopback import LoopbackServer
from test_accessibility import ace_or_skip

from digest.cli import cli
from digest.ebook.ace import run_ace
from digest.ebook.check import check_epub

pytestmark = pytest.mark.skipif(not (CORPUS / "ground-truth.json").is_file(),
                                reason=f"the benchmark corpus is not beside the project ({CORPUS})")
ARTICLE_PAGE = re.compile(r"^a\d+-.*\.xhtml$")


@pytest.fixture(scope="module")
def pages():
    return corpus_pages()


def build(tmp_path_factory, pages, *, full: bool):
    root = tmp_path_factory.mktemp("full" if full else "summary")
    with pytest.MonkeyPatch.context() as env, LoopbackServer() as server:
        offline(env)
        config = write_project(root, serve_corpus(server, pages, full=full), summary_only=not full)
        result = CliRunner().invoke(cli, ["build", "--config", str(config), "--month", "2018-01"])
    epub = root / "dist" / "benchmark" / "2018-01" / "benchmark-2018-01.epub"
    return result, epub


@pytest.fixture(scope="module", params=["full", "summary"])
def built(request, tmp_path_factory, pages):
    return build(tmp_path_factory, pages, full=request.param == "full")


def test_every_page_is_published_as_a_valid_article_with_nothing_remote(built, pages):
    result, epub = built
    assert result.exit_code == 0, result.output[-3000:]
    book = Epub(epub)
    articles = [href for href in book.spine_hrefs() if ARTICLE_PAGE.match(href)]
    assert len(articles) == len(pages) == 181
    assert epubcheck_problems(epub) == []
    manifest = {item["href"] for item in book.manifest().values()}
    for href in articles:
        tree = book.xml(href)
        for element in tree.iter():
            for name in ("src", "data", "poster"):
                value = element.get(name)
                assert value is None or value in manifest, (href, element.tag, value)
        assert not tree.findall(".//x:iframe", NS) and not tree.findall(".//x:script", NS)
    assert re.search(r"image (dropped|not downloaded)", result.output)  # the dead image links are reported


@pytest.mark.slow
def test_ace_finds_nothing_where_the_rules_find_nothing(built):
    """One Ace run per book: the rules' verdict (and the conformance claim) is Ace's."""
    result, epub = built
    assert result.exit_code == 0, result.output[-3000:]
    ace_or_skip()
    report = check_epub(epub, epubcheck=False)
    assert report.ok and report.conforms
    assert not [f for f in report.warnings if f.rule.startswith("a11y-")]
    findings, notes = run_ace(epub)
    assert notes == ()
    assert [f"{f.rule} {f.where}: {f.message}" for f in findings] == []
