"""One bad article never stops the issue: it is simplified or left out, reported, and the book ships.

The articles are the sample publication's, with one body replaced by markup that breaks
EPUB's rules the way real pages do.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from conftest import Epub
from digest.ebook.quarantine import quarantine_articles, simplified, vet_articles
from digest.core.errors import BuildError, NotKindleReady
from digest.core.month import Month
from digest.core.cache import memory_cache
from digest.core.zips import file_sha256
from digest.ebook.epub import cover_href, write_epub
from digest.ebook.render import article_file, render_pages
from digest.ebook.validate import fragment_errors
from digest.ebook.gate import check_and_convert
from digest.pipeline import compose_issue

# Invalid by the schema: blocks in a paragraph, text in a list, a definition list without descriptions.
BROKEN = "<p>Intro <div>boxed words</div></p><ul>loose words<li>an item</li></ul><dl><dt>lonely term</dt></dl>"
# Valid by the schema, refused by EPUBCheck's Schematron rules: a link inside a link.
NESTED_LINKS = '<p><a href="https://example.org/a">outer <a href="https://example.org/b">inner</a> words</a></p>'


@pytest.fixture(scope="module")
def composition(sample_config):
    return compose_issue(sample_config, Month(2018, 1))


def with_body(issue, body: str):
    """``issue`` with its first article's body replaced; returns (issue, that article)."""
    victim = issue.articles[0]
    changed = dataclasses.replace(victim, body=body)
    sections = tuple(dataclasses.replace(s, articles=tuple(changed if a.id == victim.id else a for a in s.articles))
                     for s in issue.sections)
    return dataclasses.replace(issue, sections=sections), changed


def words(html: str) -> list[str]:
    return re.findall(r"\w+", re.sub(r"<[^>]+>", " ", html))


def test_simplified_bodies_keep_every_word_and_are_valid():
    simple = simplified(BROKEN + NESTED_LINKS + '<figure><img src="images/x.png" alt="A"/><figcaption>cap</figcaption></figure>')
    assert words(simple) == words(BROKEN + NESTED_LINKS + "cap")
    assert "<img" in simple and "<a " not in simple
    errors = fragment_errors({"simple": simple, "broken": BROKEN})
    if errors is None:
        pytest.skip("Jing cannot run here")
    assert errors["simple"] == () and errors["broken"]


def test_an_invalid_article_is_shown_simplified_and_reported(composition):
    issue, victim = with_body(composition.issue, BROKEN)
    vetted, problems = vet_articles(issue)
    if not problems:
        pytest.skip("Jing cannot run here")
    after = next(a for a in vetted.articles if a.id == victim.id)
    assert after.body == simplified(BROKEN) and len(vetted.articles) == len(issue.articles)
    assert [p.where for p in problems] == [f"{victim.title!r} ({victim.link})"]
    assert "shown simplified" in problems[0].reason and 'element "div" not allowed here' in problems[0].reason
    with pytest.raises(BuildError, match="strict mode"):
        vet_articles(issue, strict=True)


def test_an_article_failing_even_simplified_is_left_out(composition):
    issue, victim = with_body(composition.issue, simplified(BROKEN))
    left, problems = quarantine_articles(issue, {victim.id: ("found by EPUBCheck",)})
    assert victim.id not in {a.id for a in left.articles} and len(left.articles) == len(issue.articles) - 1
    assert "left out of the issue" in problems[0].reason and problems[0].where.startswith(repr(victim.title))


def test_the_final_gate_quarantines_what_epubcheck_names_and_ships(composition, sample_config, tmp_path):
    issue, victim = with_body(composition.issue, NESTED_LINKS)
    pages = render_pages(issue, composition.theme, cover_href(issue))
    output = dataclasses.replace(sample_config.output, formats=("epub",))  # the gate, without calibre
    path = tmp_path / "book.epub"
    write_epub(issue, pages, composition.theme, path)

    def gate(strict: bool):
        return check_and_convert(store, output, tmp_path / "published", path, file_sha256(path), issue, pages,
                                 composition.theme, strict=strict)

    with memory_cache() as store:
        with pytest.raises(NotKindleReady, match=article_file(victim)):
            gate(strict=True)
        write_epub(issue, pages, composition.theme, path)
        fixed = gate(strict=False)
    assert fixed.report.ok and not fixed.report.findings and not fixed.report.notes  # EPUBCheck ran, found nothing
    assert any(p.where.startswith(repr(victim.title)) and "RSC-005" in p.reason for p in fixed.quarantined)
    page = Epub(path).read(article_file(victim)).decode()
    assert "outer" in page and "inner" in page and "https://example.org/b" not in page
