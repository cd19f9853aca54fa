"""Main-content extraction on the messy fixture pages, checked after digest's sanitizer."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from digest.content.text.extract import decode_html, extract_article, needs_full_text
from digest.content.text.sanitize import clean_html
from digest.core.errors import ExtractionError

PAGES = Path(__file__).parent / "data" / "pages"
EXPECTED = json.loads((PAGES / "expected.json").read_text(encoding="utf-8"))


def extract(name: str):
    return extract_article((PAGES / name).read_bytes(), EXPECTED[name]["url"])


def sanitized(name: str):
    """The extracted body as the book gets it; every image 'downloads' so <img> survives."""
    article = extract(name)
    fragment = clean_html(article.html, base_url=EXPECTED[name]["url"], id_prefix="a01",
                          resolve_image=lambda url: f"images/{abs(hash(url))}.png")
    tree = etree.fromstring(f'<div xmlns="http://www.w3.org/1999/xhtml">{fragment.xhtml}</div>'.encode())
    return article, fragment, tree


def local(tree):
    return [el for el in tree.iter() if isinstance(el.tag, str)]


def tag(el) -> str:
    return el.tag.rpartition("}")[2]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_main_text_is_kept_and_boilerplate_is_dropped(name):
    _, fragment, _ = sanitized(name)
    text = " ".join(fragment.text.split())
    missing = [s for s in EXPECTED[name]["main"] if s not in text]
    leaked = [s for s in EXPECTED[name]["boilerplate"] if s in text]
    assert missing == [] and leaked == []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_structure_survives_the_sanitizer(name):
    _, _, tree = sanitized(name)
    kept = {tag(el) for el in local(tree)}
    assert set(EXPECTED[name]["structure"]) - kept == set()
    # Captions sit in their figure, next to its image, and no block ends up inside a <p>.
    for figure in (el for el in local(tree) if tag(el) == "figure"):
        assert [tag(child) for child in figure] == ["img", "figcaption"]
    for paragraph in (el for el in local(tree) if tag(el) == "p"):
        assert not {tag(el) for el in local(paragraph)[1:]} & {"figure", "table", "ul", "ol", "pre", "div", "p"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_metadata(name):
    article = extract(name)
    expected = EXPECTED[name]
    assert article.title == expected["title"]
    assert article.published == (date.fromisoformat(expected["published"]) if expected["published"] else None)
    assert list(article.authors) == expected["authors"]
    assert article.lead_image_url == expected["lead_image"]
    assert article.text_length > 1000


def test_lazy_images_get_their_real_source_and_links_are_absolute_against_the_page():
    wordpress = extract("wordpress-post.html").html
    assert "wp-content/uploads/2018/01/dedupe-table-1024x576.png" in wordpress
    assert "data:image/gif" not in wordpress
    medium = extract("medium-story.html").html
    assert "https://miro.medium.example/v2/resize:fit:1400/1*layers.png" in medium  # the non-WebP source
    blogger = extract("blogger-classic.html").html
    assert "flame-s1600/flamegraph.png" in blogger and "flame-s320" not in blogger  # the full-size link
    docs = extract("docs-page.html").html
    assert 'href="https://fetchkit.example.org/en/2.3/guide/timeouts.html"' in docs
    assert "¶" not in docs
    news = extract("news-site-messy.html").html
    assert 'href="https://devwire.example.com/news/2017/10/postgres-10-released"' in news


def test_code_listings_stay_listings():
    hugo = extract("hugo-personal.html")
    _, _, tree = sanitized("hugo-personal.html")
    listings = ["".join(el.itertext()) for el in local(tree) if tag(el) == "pre"]
    assert listings[0].startswith('@scheduler.cron("15 3 * * *"')  # line-number column dropped
    assert "↩" not in hugo.html  # footnote back-reference
    _, _, medium = sanitized("medium-story.html")
    assert any("COPY --from=build" in "".join(el.itertext()) for el in local(medium) if tag(el) == "pre")


def test_a_str_page_gives_the_same_article_as_its_bytes():
    raw = (PAGES / "ghost-post.html").read_bytes()
    url = EXPECTED["ghost-post.html"]["url"]
    assert extract_article(raw.decode("utf-8"), url) == extract_article(raw, url)


@pytest.mark.parametrize("page", [
    b"",
    b"<html><body></body></html>",
    b"<html><body><nav><a href='/'>Home</a> <a href='/about'>About</a></nav><p>Hi.</p></body></html>",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
])
def test_pages_without_an_article_raise_extraction_error(page):
    with pytest.raises(ExtractionError) as raised:
        extract_article(page, "https://example.com/empty")
    assert "https://example.com/empty" in str(raised.value)


LONG = "<p>" + "Real content goes on for a while here. " * 30 + "</p>"


@pytest.mark.parametrize("content, page_length, expected", [
    ("<p>A two-line teaser.</p>", None, True),
    (LONG, None, False),
    (LONG[:-4] + " [&hellip;]</p>", None, True),
    (LONG[:-4] + ' <a href="/post">Continue reading <span>→</span></a></p>', None, True),
    (LONG + "<p><a href='/post'>Read more</a></p>", None, True),
    (LONG + "<p>The post <a href='/p'>Queues</a> appeared first on <a href='/'>Queue Lane</a>.</p>", None, False),
    (LONG[:-4] + " [&hellip;]</p><p>The post Queues appeared first on Queue Lane.</p>", None, True),
    (LONG, 4000, True),
    (LONG, 1300, False),
    ("<p>A short but complete note.</p>", 40, False),
    ("", None, True),
])
def test_summary_only_entries_are_detected(content, page_length, expected):
    assert needs_full_text(content, page_length) is expected


@pytest.mark.parametrize(("body", "expected"), [
    # No BOM, no declaration: valid UTF-8 is taken as UTF-8 without a statistical guess.
    ("<html><body><p>Grüße aus Köln, 東京</p></body></html>".encode(), "Grüße aus Köln, 東京"),
    # A declaration is trusted before the bytes are tried as UTF-8.
    ('<html><head><meta charset="windows-1251"></head><body><p>Привет</p></body></html>'.encode("windows-1251"),
     "Привет"),
    # A BOM is trusted first.
    ("\ufeff<html><body><p>naïve café</p></body></html>".encode("utf-16"), "naïve café"),
    # Undeclared and not UTF-8: the detector's guess, never a decoding error.
    (("<html><body><p>" + "Le café était très animé, déjà plein à midi. " * 20 + "</p></body></html>")
     .encode("latin-1"), "Le café était très animé"),
])
def test_pages_are_decoded_by_bom_declaration_utf8_then_detection(body, expected):
    assert expected in decode_html(body)


def test_declared_tracking_pixels_leave_the_page_before_extraction_drops_their_size():
    paragraphs = "".join(f"<p>Paragraph {n} explains how queues decouple producers from consumers in "
                         f"a distributed system, with enough words to count as an article.</p>" for n in range(8))
    page = (f"<html><head><title>Queues</title></head><body><article><h1>Queues</h1>{paragraphs}"
            '<p><img src="/pixel.gif?post=1" width="1" height="1" alt=""/>'
            '<img src="/diagram.png" width="640" height="400" alt="Queue diagram"/></p>'
            f"{paragraphs}</article></body></html>")
    html = extract_article(page, "https://blog.example.org/queues/").html
    assert "pixel.gif" not in html and "diagram.png" in html
