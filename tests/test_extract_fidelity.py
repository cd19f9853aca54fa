"""What extraction keeps of a page's structure, as a reader of the book sees it."""

from __future__ import annotations

import lxml.html
import pytest
from lxml import etree

from bench.extraction import score_page
from digest.content.text.extract import extract_article
from digest.content.text.sanitize import clean_html

URL = "https://travel.example.org/nz/south-island"
FILLER = "<p>" + "New Zealand has two main islands and many smaller ones, shaped by plates. " * 6 + "</p>"


def page(article: str, title: str = "The South Island | Travel Notes", heading: str = "The South Island") -> str:
    return (f"<html><head><title>{title}</title></head><body><nav><a href='/'>Home</a> <a href='/news'>News</a>"
            f"</nav><article><h1>{heading}</h1>{FILLER}{article}{FILLER}</article>"
            "<footer>Copyright Travel Notes</footer></body></html>")


def reader_view(html: str, url: str = URL):
    """The article as the book holds it: extracted, sanitised, every image downloaded."""
    extracted = extract_article(html, url)
    xhtml = clean_html(extracted.html, base_url=url, id_prefix="t", resolve_image=lambda src: "images/x.jpg").xhtml
    return extracted, etree.fromstring(f"<div>{xhtml}</div>")


def text_of(element) -> str:
    return " ".join("".join(element.itertext()).split())


def test_inline_elements_keep_the_spaces_around_them_even_with_an_icon_in_a_link():
    _, root = reader_view(page('<p>The <a href="/alps"><img src="/icon.png" alt="">Southern Alps</a> dominate the '
                               '<em>west</em> <strong>coast</strong>, rising <a href="/m">over</a> 3000 metres.</p>'))
    assert "The Southern Alps dominate the west coast, rising over 3000 metres." in text_of(root)
    _, root = reader_view(page('<p>The <a href="/alps"><b>Southern Alps</b></a> <a href="/d"><i>dominate</i></a> '
                               'the <b><a href="/w">west</a></b> coast.</p>'))
    assert "The Southern Alps dominate the west coast." in text_of(root)


def test_definition_lists_tables_and_their_captions_and_spans_survive():
    _, root = reader_view(page(
        "<dl><dt>Aoraki</dt><dd>The highest peak, 3724 metres.</dd><dt>Tasman</dt><dd>The second highest.</dd></dl>"
        "<table><caption>Peaks by height</caption><tr><th colspan='2'>Peak and height</th></tr>"
        "<tr><td rowspan='2'>Aoraki</td><td>3724</td></tr><tr><td>3720</td></tr></table>"))
    dl = root.find(".//dl")
    assert [child.tag for child in dl] == ["dt", "dd", "dt", "dd"] and dl[1].text == "The highest peak, 3724 metres."
    table = root.find(".//table")
    assert table.findtext("caption") == "Peaks by height"
    assert table.find(".//th").get("colspan") == "2" and table.find(".//td").get("rowspan") == "2"
    assert not root.findall(".//ul")  # the definitions did not become bullets


def test_one_caption_per_figure_and_alt_as_plain_text():
    _, root = reader_view(page("<figure><img src='/aoraki.jpg' alt='A &lt;b&gt;bold&lt;/b&gt; mountain'>"
                               "<figcaption>Aoraki from the east.</figcaption></figure>"
                               "<p>Aoraki from the east.</p>"))
    figure = root.find(".//figure")
    assert figure.find("img").get("alt") == "A bold mountain"
    assert figure.findtext("figcaption") == "Aoraki from the east."
    assert text_of(root).count("Aoraki from the east.") == 1


def test_no_heading_repeats_the_title_and_no_empty_paragraphs():
    extracted, root = reader_view(page("<h2>The South Island</h2><p></p><p> </p><p>\u200b</p>"
                                       "<h2>Getting there</h2><p>Fly to Christchurch.</p>"))
    assert extracted.title == "The South Island"
    headings = [text_of(h) for h in root.iter("h2", "h3")]
    assert "The South Island" not in headings and "Getting there" in headings
    assert all(text_of(p) for p in root.iter("p"))


def test_site_name_is_stripped_from_a_title_that_no_heading_confirms():
    html = page("", title="How to Fix a Leaking Faucet | eHow", heading="")
    extracted, _ = reader_view(html, "https://www.ehow.com/how_1234_fix-faucet.html")
    assert extracted.title == "How to Fix a Leaking Faucet"
    html = page("", title="Queues in practice - Backpressure Weekly", heading="")
    html = html.replace("<head>", "<head><meta property='og:site_name' content='Backpressure Weekly'>")
    extracted, _ = reader_view(html, "https://blog.example.org/queues")
    assert extracted.title == "Queues in practice"


def test_the_benchmark_metric():
    perfect = score_page("one two three four five", "one two three four five")
    assert (perfect.precision, perfect.recall) == (1.0, 1.0)
    assert score_page("", "").precision == 1.0
    half = score_page("a b c d e f g", "a b c d x y z")  # 1 of 4 shingles shared each way
    assert half.precision == 0.25 and half.recall == 0.25
    assert score_page("a b c d", "").recall == 0.0


def test_readability_takes_over_only_when_trafilatura_kept_one_block_of_a_longer_article():
    from digest.content.text.fallback import longer_article

    paragraphs = [f"Paragraph {n} explains how queue number {n} drains its backlog under sustained load. " * 3
                  for n in range(12)]
    html = ("<html><body><nav>Home · About · Archive</nav><div class='post'>"
            + "".join(f"<p>{text}</p>" for text in paragraphs) + "</div><footer>Footer</footer></body></html>")
    page = lxml.html.document_fromstring(html)
    taken = longer_article(page, paragraphs[0])
    assert taken is not None and "Paragraph 11 explains" in " ".join(taken.itertext())
    assert longer_article(page, " ".join(paragraphs)) is None  # trafilatura had it all
    assert longer_article(page, "An unrelated newsletter box about our conference, with a form. " * 40) is None


def test_readability_is_not_run_on_a_page_without_twice_trafilaturas_words_outside_scripts(monkeypatch):
    import readability

    from digest.content.text.fallback import longer_article

    paragraphs = [f"Paragraph {n} explains how queue number {n} drains its backlog. " * 3 for n in range(4)]
    script = "<script>" + "var words = 'many words that no reader sees'; " * 200 + "</script>"
    page = lxml.html.document_fromstring(
        "<html><head><style>p { margin: 0 }</style></head><body>" + script
        + "".join(f"<p>{text}</p>" for text in paragraphs) + "</body></html>")
    ran = []
    monkeypatch.setattr(readability, "Document", lambda *a, **k: ran.append(1) or pytest.fail("readability ran"))
    assert longer_article(page, " ".join(paragraphs[:3])) is None and not ran  # 4 paragraphs < 2 x 3
    with pytest.raises(pytest.fail.Exception, match="readability ran"):
        longer_article(page, paragraphs[0])  # 4 paragraphs >= 2 x 1: readability may find more
