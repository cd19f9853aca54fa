"""Accessible by construction: the repairs on markup as real pages have it, the build's own
accessibility rules each caught by a book that breaks it, and Ace by DAISY agreeing with them.

Ace runs (a few seconds to minutes each, Chromium) are marked slow and skipped where
`make ace` has not installed it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner
from conftest import NS, Epub
from lxml import etree
from test_check import Files, first_article, in_article, in_opf, mutate, replace_once

from digest.cli import cli
from digest.content.text.accessible import UNDESCRIBED
from digest.content.text.sanitize import clean_html
from digest.core.errors import MissingToolError
from digest.ebook.a11y_rules import A11Y_ROLES, A11Y_RULES, CONFORMS_TO
from digest.ebook.ace import ace_command, run_ace
from digest.ebook.check import check_epub


def clean(html: str) -> etree._Element:
    fragment = clean_html(html, base_url="https://blog.example.com/post/", id_prefix="a1",
                          resolve_image=lambda url: "images/" + url.rsplit("/", 1)[-1])
    return etree.fromstring(f"<div>{fragment.xhtml}</div>")


def levels(root: etree._Element) -> list[str]:
    return [f"{h.tag}:{h.text}" for h in root.iter("h2", "h3", "h4", "h5", "h6")]


def test_headings_starting_at_h4_and_skipping_levels_keep_their_outline_from_h2():
    # A WordPress theme's post: the title is the page's h1, sections are h4, subsections h6.
    root = clean("<h4>Overview</h4><p>Intro.</p><h6>Setup</h6><p>a</p><h6>Run</h6><p>b</p>"
                 "<h4>Results</h4><h5>Latency</h5><h1>Conclusion</h1>")
    assert levels(root) == ["h2:Overview", "h3:Setup", "h3:Run", "h2:Results", "h3:Latency", "h2:Conclusion"]


def test_a_deeper_heading_after_a_shallower_one_goes_one_level_down_only():
    root = clean("<h2>A</h2><h5>B</h5><h3>C</h3><h6>D</h6>")
    assert levels(root) == ["h2:A", "h3:B", "h3:C", "h4:D"]


def test_empty_headings_go_and_a_heading_around_an_image_becomes_a_paragraph():
    # A news site's sidebar: its heading icons' images are dead links, its links were empty.
    root = clean('<h3><a href="https://example.com/more"></a></h3><p>Story.</p>'
                 '<h3><a href="https://example.com/x"><img src="https://x.example/icon.png"></a></h3><h4>Next</h4>')
    assert levels(root) == ["h2:Next"]
    assert root.find("p/a/img").get("alt") == "Link to example.com/x"


def test_a_lang_that_names_no_language_is_dropped():
    # A video player's wrapper from a real page: <div lang="c">.
    root = clean('<div lang="c"><p>Player</p></div><p lang="fr-CA">Bonjour</p><p lang="english">Hi</p>')
    assert [(p.text, p.get("lang"), p.getparent().get("lang")) for p in root.iter("p")] == [
        ("Player", None, None), ("Bonjour", "fr-CA", None), ("Hi", None, None)]


def test_an_empty_header_cell_becomes_a_data_cell_and_named_ones_stay():
    # A comparison table whose corner cell is empty, as GitHub READMEs and docs sites write it.
    root = clean("<table><thead><tr><th></th><th scope='col'>Lambda</th><th>&nbsp;</th></tr></thead>"
                 "<tbody><tr><th scope='row'>Cold start</th><td>200 ms</td><td>-</td></tr></tbody></table>")
    header = root.find("table/thead/tr")
    assert [cell.tag for cell in header] == ["td", "th", "td"]
    assert header[0].get("scope") is None and header[1].get("scope") == "col"
    assert root.find("table/tbody/tr/th").text == "Cold start"


def test_an_image_only_link_is_named_by_its_image_its_title_or_its_target():
    root = clean('<p><a href="https://github.com/aws/sample"><img src="https://cdn.example.com/gh.png" '
                 'alt="GitHub repository"></a> '
                 '<a href="https://twitter.com/share" title="Share on Twitter"><img src="https://x.example/t.png"></a> '
                 '<a href="https://www.example.com/guides/setup/"><img src="https://x.example/badge.svg.png"></a></p>')
    alts = [img.get("alt") for img in root.iter("img")]
    assert alts == ["GitHub repository", "Share on Twitter", "Link to example.com/guides/setup"]
    assert not any(UNDESCRIBED in (img.get("class") or "") for img in root.iter("img"))


def test_an_empty_link_is_unwrapped_and_its_neighbours_kept():
    # An anchor a CMS leaves for a heading ("<a href=...></a>") and a link around a line break.
    root = clean('<p>Before <a href="https://example.com/x"></a>after '
                 '<a href="https://example.com/y"> <br/> </a>end.</p>')
    assert root.find(".//a") is None
    assert " ".join("".join(root.itertext()).split()) == "Before after end."


def test_alt_text_comes_from_the_page_then_the_caption_then_the_title():
    root = clean('<p><img src="https://x.example/a.png" alt="Architecture diagram"></p>'
                 '<figure><img src="https://x.example/b.png"><figcaption>Figure 2: request flow</figcaption></figure>'
                 '<p><img src="https://x.example/c.png" title="Throughput by instance type"></p>'
                 '<p><img src="https://x.example/d.png" alt=""></p>'
                 '<p><img src="https://x.example/e.png" role="presentation"></p>'
                 '<p><img src="https://x.example/f.png" aria-hidden="true"></p>')
    images = {img.get("src"): img for img in root.iter("img")}
    assert images["images/a.png"].get("alt") == "Architecture diagram"
    assert images["images/b.png"].get("alt") == "" and images["images/b.png"].get("role") == "presentation"
    assert images["images/c.png"].get("alt") == "Throughput by instance type"
    for decorative in ("d", "e", "f"):
        image = images[f"images/{decorative}.png"]
        assert (image.get("alt"), image.get("role"), image.get("class")) == ("", "presentation", None)


def test_an_image_no_text_describes_is_marked_not_given_an_invented_alt():
    root = clean('<p>The chart:</p><p><img src="https://x.example/chart.png"></p>'
                 '<figure><img src="https://x.example/g.png"><figcaption> </figcaption></figure>')
    images = list(root.iter("img"))
    assert [(img.get("alt"), img.get("class")) for img in images] == [("", UNDESCRIBED)] * 2
    assert all(img.get("role") is None for img in images)


def with_html_attribute(old: str, new: str) -> Callable[[Files], None]:
    return lambda files: replace_once(files, first_article(files), f"<html {old}", f"<html {new}")


A11Y_BREAKS: dict[str, Callable[[Files], None]] = {
    "a11y-role": lambda files: replace_once(files, first_article(files), ' role="doc-chapter"', ""),
    "a11y-heading-order": in_article("<h4>Deep heading</h4>"),
    "a11y-lang": lambda files: replace_once(files, "EPUB/nav.xhtml", ' lang="en" xml:lang="en"', ""),
    "a11y-link-name": in_article('<p><a href="https://example.org/more"></a></p>'),
    "a11y-table-header": in_article("<table><tr><th></th><th>Name</th></tr><tr><td>1</td><td>2</td></tr></table>"),
    "a11y-image-described": in_article(f'<p><img src="images/cover.jpg" alt="" class="{UNDESCRIBED}"/></p>'),
}


@pytest.fixture(scope="module")
def sample_epub(sample_builds):
    return sample_builds["2018-01"].epub


def test_every_accessibility_rule_has_a_fixture_book():
    assert sorted(A11Y_BREAKS) == sorted(rule for rule, _ in A11Y_RULES)


@pytest.mark.parametrize("rule", sorted(A11Y_BREAKS))
def test_a_book_breaking_one_accessibility_rule_fails_that_rule_only(rule, sample_epub, tmp_path):
    report = check_epub(mutate(sample_epub, tmp_path / f"{rule}.epub", A11Y_BREAKS[rule]), epubcheck=False)
    assert not report.ok
    assert {finding.rule for finding in report.violations} == {rule}


def test_an_undescribed_image_is_a_warning_when_the_book_does_not_claim_conformance(sample_epub, tmp_path):
    def unclaimed(files: Files) -> None:
        A11Y_BREAKS["a11y-image-described"](files)
        in_opf(f'<meta property="dcterms:conformsTo">{CONFORMS_TO}</meta>', "")(files)
    report = check_epub(mutate(sample_epub, tmp_path / "unclaimed.epub", unclaimed), epubcheck=False)
    assert report.ok and not report.conforms
    article = next(href for href in Epub(sample_epub).spine_hrefs() if href.startswith("a01-"))
    title = Epub(sample_epub).xml(article).findtext(".//x:title", namespaces=NS)
    assert [(f.rule, f.where, f.message) for f in report.warnings] == [
        ("a11y-image-described", f"EPUB/{article}",
         f"1 image without a text alternative in {title!r}, so the issue does not claim WCAG 2.2 AA")]


def test_the_sample_declares_what_it_contains(sample_epub):
    book = Epub(sample_epub)
    opf = etree.fromstring(book.read("content.opf"))
    meta = [(m.get("property"), m.text) for m in opf.iterfind(".//opf:meta[@property]", NS)]
    assert ("dcterms:conformsTo", CONFORMS_TO) in meta
    assert ("schema:accessMode", "visual") in meta  # it has QR codes
    assert ("schema:accessibilityFeature", "alternativeText") in meta
    assert opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    report = check_epub(sample_epub, epubcheck=False)
    assert report.conforms and report.findings == ()
    for href in book.spine_hrefs():
        for element in book.xml(href).iter():
            for kind in set((element.get("{http://www.idpf.org/2007/ops}type") or "").split()) & A11Y_ROLES:
                if not element.tag.endswith("}body"):
                    assert f"doc-{kind}" in (element.get("role") or ""), (href, kind)


def ace_or_skip() -> None:
    try:
        ace_command()
    except MissingToolError as exc:
        pytest.skip(str(exc))


@pytest.mark.slow
def test_ace_finds_nothing_in_the_sample(sample_epub):
    ace_or_skip()
    findings, notes = run_ace(sample_epub)
    assert notes == ()
    assert findings == ()


@pytest.mark.slow
def test_ace_agrees_with_the_rules_on_a_book_that_breaks_them_all(sample_epub, tmp_path):
    """One Ace run on a book breaking every rule Ace also knows: each fault found by both."""
    ace_or_skip()

    def everything(files: Files) -> None:
        for rule, edit in A11Y_BREAKS.items():
            if rule not in ("a11y-image-described", "a11y-heading-order"):
                edit(files)
        replace_once(files, first_article(files), '<div class="article-body">',
                     '<div class="article-body">\n<h2>Part</h2><h5>Too deep</h5>')
    book = mutate(sample_epub, tmp_path / "broken.epub", everything)
    ours = {f.rule for f in check_epub(book, epubcheck=False).violations}
    assert ours == set(A11Y_BREAKS) - {"a11y-image-described"}
    aces = {f.rule for f in run_ace(book)[0]}
    assert {"ace:epub-type-has-matching-role", "ace:heading-order", "ace:link-name",
            "ace:empty-table-header"} <= aces
    assert aces & {"ace:html-has-lang", "ace:html-lang-valid", "ace:epub-lang"}


def test_check_accessibility_without_node_says_so_in_one_line(sample_epub, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on it: no node, no chromium
    result = CliRunner().invoke(cli, ["check", "--accessibility", "--no-epubcheck", str(sample_epub)])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "Node.js" in result.output


def test_check_says_whether_the_book_declares_conformance(sample_epub):
    result = CliRunner().invoke(cli, ["check", "--no-epubcheck", str(sample_epub)])
    assert result.exit_code == 0, result.output
    assert f"accessibility: declares {CONFORMS_TO}" in result.output.splitlines()[1]


@pytest.mark.slow
def test_an_ace_failure_is_a_note_not_a_lost_check(tmp_path):
    ace_or_skip()
    broken = tmp_path / "broken.epub"
    broken.write_bytes(b"PK\x03\x04 this is not a zip that Ace can open")
    findings, notes = run_ace(broken)
    assert findings == ()
    assert len(notes) == 1 and notes[0].startswith("Ace by DAISY failed")
