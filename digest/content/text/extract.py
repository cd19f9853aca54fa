"""Main-content extraction for sources whose feeds carry only a summary.

trafilatura finds the article and its metadata (it was the more precise of the
extractors compared in docs/extraction.md and falls back on its own readability and
jusText ports). Its XML is mapped here to ordinary HTML that digest.content.text.sanitize.clean_html
accepts, keeping what its own HTML output loses: ordered lists and figure captions.
"""

from __future__ import annotations

import copy
import logging
import re
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from digest.content.text.fallback import longer_article
from digest.content.text.pagelimits import check_element_count, check_read_whole, within_limits
from digest.content.text.pageprep import (
    blogger_captions_to_figures,
    drop_tracking_pixels,
    prepare_links,
    resolve_lazy_images,
    unwrap_line_numbers,
    wrap_preformatted,
)
from digest.content.text.repairs import (
    drop_empty_blocks,
    drop_repeated_captions,
    drop_title_headings,
    keep_confirmed_blocks,
    page_structures,
    plain_alt,
    restore_structures,
)
from digest.content.text.sanitize import html_text
from digest.content.text.treeops import splice
from digest.core.errors import ExtractionError
from digest.core.urls import absolute_url

log = logging.getLogger(__name__)

SUMMARY_CHARS = 600
"""Feed content shorter than this (in characters of text) is taken for a summary."""
SHORTER_THAN_PAGE = 0.6
"""Feed content under this share of the page's article text is taken for a summary."""
MIN_ARTICLE_CHARS = 100
TRUNCATION = re.compile(
    r"(\[\s*(…|\.\.\.)\s*\]|…|\.\.\.|\b(continue|keep) reading\b.*|\bread (the )?(more|full\b.*|rest\b.*))"
    r"\W*$", re.IGNORECASE)
# WordPress appends this to summaries and full posts alike, so it says nothing either way.
WORDPRESS_FOOTER = re.compile(r"\bThe post .{1,300} appeared first on .{1,200}$", re.IGNORECASE)
# Class or id words of page furniture that trafilatura sometimes keeps inside the article
# (not "ad": generated CSS class names such as Medium's include it by chance).
BOILERPLATE_WORDS = frozenset({
    "share", "sharing", "sharebar", "social", "related", "relatedposts", "readalso", "newsletter",
    "subscribe", "advert", "advertisement", "adsbygoogle", "sponsored", "promo", "cookie",
})
# Heading permalinks and footnote back-references: links that mean nothing off the page.
FURNITURE_BLOCKS = ("p", "div", "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6", "blockquote", "table")
TITLE_SEPARATORS = re.compile(r"\s+[|·•:–—-]+\s+|:\s+")
SITE_SEPARATORS = re.compile(r"\s+[|·•–—-]+\s+")
BLOCK_TAGS = frozenset({"p", "div", "figure", "table", "ul", "ol", "dl", "pre", "blockquote",
                        "h1", "h2", "h3", "h4", "h5", "h6", "hr"})
RENDITION = {"#b": "strong", "#i": "em", "#u": "u", "#t": "code", "#sub": "sub", "#sup": "sup"}
TAGS = {"item": "li", "quote": "blockquote", "lb": "br", "ref": "a", "graphic": "img", "row": "tr", "main": "div",
        "body": "div", "doc": "div"}


@dataclass(frozen=True)
class Extracted:
    title: str
    html: str
    """The article body as an HTML fragment, to be passed through digest.content.text.sanitize.clean_html."""
    text_length: int
    """Characters of article text, whitespace collapsed."""
    lead_image_url: str | None
    published: date | None
    authors: tuple[str, ...]


def extract_article(html: str | bytes, url: str) -> Extracted:
    """The main article of a fetched page. Raises ExtractionError when there is none."""
    # Imported here: trafilatura (with numpy) takes a fifth of a second to import, and a
    # rebuild whose pages all come from digest.content.text.extractcache never extracts.
    import trafilatura

    text = within_limits(decode_html(html) if isinstance(html, bytes) else html)
    tree = trafilatura.load_html(text) if text.strip() else None
    if tree is None:
        raise ExtractionError(url, "not an HTML page")
    check_read_whole(url)
    check_element_count(tree, url)
    prepare_links(tree, url)
    drop_tracking_pixels(tree)
    resolve_lazy_images(tree, url)
    unwrap_line_numbers(tree)
    blogger_captions_to_figures(tree)
    wrap_preformatted(tree)
    furniture = _furniture_texts(tree)
    captions = _figure_captions(tree, url)
    structures = page_structures(tree)
    headings = {" ".join(h.text_content().split()) for h in tree.iter("h1", "h2", "h3")}
    page_title = " ".join((tree.findtext(".//title") or "").split())
    # The plain-text extraction is the more precise: it decides which blocks are the article.
    reference = trafilatura.extract(copy.deepcopy(tree), url=url, include_comments=False, include_tables=True,
                                    favor_precision=True, with_metadata=False) or ""
    longer = longer_article(tree, reference)
    document: Any = trafilatura.bare_extraction(
        tree, url=url, with_metadata=True, include_comments=False, include_images=True,
        include_links=True, include_tables=True, include_formatting=True, favor_precision=True,
        # Without this, a bare copyright year in the footer becomes "published 1 January".
        date_extraction_params={"extensive_search": False, "original_date": True})
    body: Any = getattr(document, "body", None)
    if document is None or (body is None and longer is None):
        raise ExtractionError(url, "no main content found")
    if longer is not None:
        log.debug("%s: readability's article replaces trafilatura's shorter one", url)
        body = longer
    else:
        _to_html(body, captions)
        restore_structures(body, structures)
    plain_alt(body)
    title = _article_title(document.title or "", page_title, headings, document.sitename or "", url)
    drop_title_headings(body, {title, document.title or "", page_title})
    _drop_furniture(body, furniture)
    _split_paragraphs(body)
    if longer is None:
        keep_confirmed_blocks(body, reference)
    drop_repeated_captions(body)
    drop_empty_blocks(body)
    text_length = len(" ".join(body.xpath("string()").split()))
    images = [img.get("src") for img in body.iter("img") if img.get("src")]
    if text_length < MIN_ARTICLE_CHARS and not images:
        raise ExtractionError(url, f"no main content found ({text_length} characters of text)")
    fragment = "".join(etree.tostring(child, encoding="unicode", method="html") for child in body)
    log.debug("%s: %d characters and %d images extracted", url, text_length, len(images))
    return Extracted(
        title=title,
        html=escape(body.text or "", quote=False) + fragment,
        text_length=text_length,
        lead_image_url=absolute_url(url, document.image) if document.image else (images[0] if images else None),
        published=_date(document.date),
        authors=tuple(filter(None, (_author(name) for name in (document.author or "").split(";")))),
    )


def needs_full_text(content_html: str, page_text_length: int | None = None) -> bool:
    """Whether a feed entry's content looks like a summary of a longer article.

    With the page's article length known, only the ratio decides; otherwise a short
    text or one that ends in "[…]", "Continue reading" or "Read more" is a summary.
    """
    text = html_text(content_html or "")
    if page_text_length is not None:
        return len(text) < SHORTER_THAN_PAGE * page_text_length
    text = WORDPRESS_FOOTER.sub("", text).rstrip()
    return len(text) < SUMMARY_CHARS or bool(TRUNCATION.search(text[-120:]))


def decode_html(body: bytes) -> str:
    """Bytes to text: a BOM or the page's own charset declaration first, then UTF-8 when the
    bytes are valid UTF-8, and only then chardet's guess (about 250 ms of CPU on a big page:
    half the extraction time of the real pages that declare no charset)."""
    # Imported here, as trafilatura in extract_article: only extraction needs it.
    from bs4.dammit import EncodingDetector, UnicodeDammit

    if EncodingDetector.strip_byte_order_mark(body)[1] is None and \
            EncodingDetector.find_declared_encoding(body, is_html=True) is None:
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            pass
    dammit = UnicodeDammit(body, is_html=True)
    return dammit.unicode_markup if dammit.unicode_markup is not None else body.decode("utf-8", "replace")


def _furniture_texts(tree) -> set[str]:
    """The texts of share bars, related links, ads... as marked by their class or id."""
    texts = set()
    for element in tree.iter():
        if not isinstance(element.tag, str) or element.tag in ("html", "body", "article", "main"):
            continue
        names = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
        if BOILERPLATE_WORDS.intersection(re.split(r"[\s_-]+", names)):
            texts.add(" ".join(element.text_content().split()))
    texts.discard("")
    return texts


def _drop_furniture(body, furniture: set[str]) -> None:
    """Remove blocks that trafilatura kept but the page marked as furniture.

    Done on the output: removing them from the page first changes which container
    trafilatura picks, sometimes for the worse.
    """
    splice(remove=[element for element in body.iter(*FURNITURE_BLOCKS)
                   if " ".join(element.xpath("string()").split()) in furniture])


def _figure_captions(tree, url: str) -> dict[str, str]:
    """Image URL -> caption text, for images inside <figure> with a <figcaption>."""
    captions = {}
    for figure in tree.iter("figure"):
        caption = next(figure.iter("figcaption"), None)
        image = next(figure.iter("img"), None)
        if caption is not None and image is not None and image.get("src"):
            text = " ".join(caption.text_content().replace("¶", "").split())
            if text:
                captions[absolute_url(url, image.get("src"))] = text
    return captions


def _to_html(body, captions: dict[str, str]) -> None:
    """Rename trafilatura's XML elements in place to their HTML counterparts."""
    for element in list(body.iter()):
        tag = element.tag
        if tag == "head":
            element.tag = element.get("rend", "h3") if re.fullmatch(r"h[1-6]", element.get("rend", "")) else "h3"
        elif tag == "list":
            element.tag = "ol" if element.get("rend") == "ol" else "ul"
        elif tag == "hi":
            element.tag = RENDITION.get(element.get("rend", "#i"), "em")
        elif tag == "code":
            nested = element.getparent() is not None and element.getparent().tag in ("code", "pre")
            multiline = "\n" in element.xpath("string()") or element.find(".//lb") is not None
            element.tag = "pre" if multiline and not nested else "code"
        elif tag == "cell":
            element.tag = "th" if element.get("role") == "head" else "td"
        elif tag == "ref":
            element.set("href", element.get("target", ""))
        elif tag == "graphic":
            _add_caption(element, captions)
        elif tag == "quote" and len(element) == 1 and element[0].tag == "code" and not (element.text or "").strip():
            element.tag = "div"  # trafilatura's guess for a listing; its <code> becomes the <pre>
        element.tag = TAGS.get(element.tag, element.tag)
        for name in list(element.attrib):
            if name not in ("href", "src", "alt", "title"):
                del element.attrib[name]


def _split_paragraphs(body) -> None:
    """Close a <p> before a block inside it, as an HTML5 parser would: XHTML forbids the nesting."""
    for paragraph in list(body.iter("p")):
        if not any(child.tag in BLOCK_TAGS for child in paragraph):
            continue
        pieces, current = [], etree.Element("p")
        current.text = paragraph.text
        for child in list(paragraph):
            if child.tag in BLOCK_TAGS:
                tail, child.tail = child.tail, None
                pieces += [current, child]
                current = etree.Element("p")
                current.text = tail
            else:
                current.append(child)
        pieces.append(current)
        anchor, tail = paragraph, paragraph.tail
        for piece in pieces:
            if piece.tag == "p" and not len(piece) and not (piece.text or "").strip():
                continue
            anchor.addnext(piece)
            anchor = piece
        anchor.tail = tail
        paragraph.getparent().remove(paragraph)


def _add_caption(graphic, captions: dict[str, str]) -> None:
    """Put a captioned image back in its <figure>, where it stands alone in a block."""
    caption = captions.get(graphic.get("src", ""))
    parent = graphic.getparent()
    if caption is None or parent is None:
        return
    alone = parent.tag == "p" and len(parent) == 1 and not (parent.text or "").strip() \
        and not (graphic.tail or "").strip()
    if parent.tag not in ("body", "main", "div") and not alone:
        return
    figure = etree.Element("figure")
    (parent if alone else graphic).addprevious(figure)
    figure.tail = (parent if alone else graphic).tail
    figure.append(graphic)
    graphic.tail = None
    etree.SubElement(figure, "figcaption").text = caption
    if alone:
        parent.getparent().remove(parent)


def _article_title(found: str, page_title: str, headings: set[str], site_name: str, url: str) -> str:
    """The title as the page's own heading prints it, without the site name around it.

    trafilatura takes og:title or the first <h1>, which is sometimes "Post | Site"
    or, on blog templates, the blog's name. Without a heading to confirm it, a part
    before or after a separator that names the site ("... | eHow", "- Site Name") goes.
    """
    found = " ".join(found.split())
    parts = [found] + [part.strip() for title in (found, page_title) for part in TITLE_SEPARATORS.split(title)]
    matching = [part for part in parts if part in headings and part != site_name]
    if matching:
        return max(matching, key=len)
    title = found or page_title
    pieces = [piece.strip() for piece in SITE_SEPARATORS.split(title)]
    kept = list(pieces)
    while len(kept) > 1 and _names_site(kept[-1], site_name, url):
        kept.pop()
    while len(kept) > 1 and _names_site(kept[0], site_name, url):
        kept.pop(0)
    return _joined(title, kept) if kept != pieces else title


def _joined(title: str, pieces: list[str]) -> str:
    """The span of ``title`` from the first to the last kept piece, separators inside kept."""
    start = title.find(pieces[0])
    end = title.rfind(pieces[-1]) + len(pieces[-1])
    return title[start:end] if start >= 0 and end > start else title


def _names_site(piece: str, site_name: str, url: str) -> bool:
    """Whether a title piece is the site's name: og:site_name, or the host name's main label."""
    squeezed = re.sub(r"\W+", "", piece).casefold()
    if not squeezed:
        return False
    if site_name and squeezed == re.sub(r"\W+", "", site_name).casefold():
        return True
    host = (urlsplit(url).hostname or "").casefold().removeprefix("www.")
    labels = [re.sub(r"\W+", "", label) for label in host.split(".")[:-1]]
    return bool(labels) and (squeezed in labels or squeezed == "".join(labels))


def _author(name: str) -> str:
    """A name as bylines print it, without "By" or the separators around it."""
    return re.sub(r"^\s*by\s+|[\s·•|,:–—-]+$", "", name, flags=re.IGNORECASE).strip()


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None
