"""Repairs of trafilatura's output that need the page it came from, or a second opinion.

trafilatura finds the article well but flattens some structures on the way: a
definition list becomes a bullet list, a table loses its caption, ``colspan`` and
``rowspan``. Those blocks are put back from the page when their text matches. Its
structured extraction (kept images and links) is also less precise than its plain
text one, so a block of the first that the second did not find is dropped.
"""

from __future__ import annotations

import copy
import re
from collections import Counter

from lxml import etree

from digest.content.text.sanitize import html_text
from digest.content.text.treeops import splice

RESTORED = ("table", "dl")
"""Page structures put back whole when trafilatura's version has the same text."""
TOKEN = re.compile(r"\w+")
SHINGLE = 4
MIN_SHARED = 0.5
"""A block is kept when at least this share of its word 4-grams is in the plain-text extraction."""
TEXT_BLOCKS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote")
WHOLE_BLOCKS = ("table", "dl")
"""Judged as a whole: a table row or a definition alone is too short to judge."""
CONTAINERS = ("ul", "ol", "dl", "table", "tbody", "thead", "tfoot", "blockquote", "div")
CAPTION_WORDS = 60
INVISIBLE_SPACE = " \t\n\r\f\v\u00a0\u200b\u200c\u200d\u2060\ufeff"
"""What an empty paragraph may hold: editors leave zero-width spaces and no-break spaces."""
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _squeezed(element) -> str:
    """An element's text without any whitespace: how it compares whatever the layout."""
    return "".join(element.xpath("string()").split())


def page_structures(tree) -> dict[str, etree._Element]:
    """Copies of the page's tables and definition lists, by their text (before extraction alters the tree)."""
    found: dict[str, etree._Element] = {}
    for element in tree.iter(*RESTORED):
        key = _squeezed(element)
        # A table holding paragraphs, lists or tables is page layout, not an article's table.
        if key and not _is_layout(element):
            found.setdefault(key, copy.deepcopy(element))
    return found


def restore_structures(body, originals: dict[str, etree._Element]) -> None:
    """Put back the page's own table or <dl> where trafilatura flattened it (same text)."""
    for element in list(body.iter("table", "ul", "ol")):
        original = originals.get(_squeezed(element))
        if original is None or (element.tag != "table" and original.tag != "dl"):
            continue
        if element.getparent() is None:
            continue
        replacement = copy.deepcopy(original)
        replacement.tail = element.tail
        element.getparent().replace(element, replacement)


def plain_alt(body) -> None:
    """An alt that holds markup ("A &lt;b&gt;bold&lt;/b&gt; peak") as the plain text it means."""
    for image in body.iter("img"):
        alt = image.get("alt") or ""
        if "<" in alt and ">" in alt:
            image.set("alt", html_text(alt))


def drop_repeated_captions(body) -> None:
    """A paragraph that only repeats a figure's caption (trafilatura keeps both) goes."""
    captions = {" ".join(c.xpath("string()").split()) for c in body.iter("figcaption")} - {""}
    splice(remove=[paragraph for paragraph in body.iter("p", "div") if paragraph.find(".//img") is None
                   and " ".join(paragraph.xpath("string()").split()) in captions])


def drop_title_headings(body, titles: set[str]) -> None:
    """Headings that repeat the title: the template prints it once above the article."""
    wanted = {" ".join(t.split()).casefold() for t in titles} - {""}
    splice(remove=[heading for heading in body.iter(*HEADINGS)
                   if " ".join(heading.xpath("string()").split()).casefold() in wanted])


def drop_empty_blocks(body) -> None:
    """Paragraphs and containers left with no text and no image."""
    splice(remove=[element for element in body.iter("p", *CONTAINERS, *HEADINGS, "li", "figure", "figcaption")
                   if element is not body and not element.xpath("string()").strip(INVISIBLE_SPACE)
                   and element.find(".//img") is None])


def keep_confirmed_blocks(body, reference_text: str) -> None:
    """Drop text blocks that the plain-text extraction did not find (page furniture, slideshows).

    Figures and their captions are not in the plain text and are kept, and so is a block
    without words (an image); a block of fewer than four words is kept when its words
    appear in that order in the reference.
    """
    tokens = TOKEN.findall(reference_text)
    if not tokens:
        return
    reference = _Reference(Counter(_shingles(tokens)), " " + " ".join(tokens) + " ")
    if not reference.confirms(body.text or ""):
        body.text = None
    for child in body:
        if not reference.confirms(child.tail or ""):
            child.tail = None
    unconfirmed = []
    for block in body.iter(*TEXT_BLOCKS, *WHOLE_BLOCKS):
        if _inside(block, ("figure", "figcaption")) or any(
                ancestor.tag in WHOLE_BLOCKS and not _is_layout(ancestor) for ancestor in block.iterancestors()):
            continue
        if _is_layout(block) or (block.tag not in WHOLE_BLOCKS and any(
                child.tag in TEXT_BLOCKS for child in block.iterdescendants())):
            continue  # its paragraphs are judged one by one
        # itertext, not string(): adjacent cells and items must not glue their words together
        if not reference.confirms(" ".join(block.itertext())) and not _caption_of_image(block):
            unconfirmed.append(block)
    splice(remove=unconfirmed)
    drop_empty_blocks(body)


class _Reference:
    """The plain-text extraction's word 4-grams, each usable as often as it occurs there:
    a block that the structured extraction repeats is confirmed once."""

    def __init__(self, shingles: Counter, joined: str):
        self.shingles, self.joined = shingles, joined

    def confirms(self, text: str) -> bool:
        tokens = TOKEN.findall(text)
        if not tokens:
            return True
        if len(tokens) < SHINGLE:
            return f" {' '.join(tokens)} " in self.joined
        counts = Counter(_shingles(tokens))
        shared = counts & self.shingles
        if sum(shared.values()) < MIN_SHARED * sum(counts.values()):
            return False
        for shingle, count in shared.items():  # not -=: that walks the whole reference each time
            self.shingles[shingle] -= count
            if not self.shingles[shingle]:
                del self.shingles[shingle]
        return True


def _is_layout(element) -> bool:
    """A table or list of definitions that holds blocks of its own is page layout."""
    return element.tag in WHOLE_BLOCKS and any(
        child.tag in (*TEXT_BLOCKS, "div", "table", "ul", "ol") for child in element.iterdescendants())


def _caption_of_image(block) -> bool:
    """A short paragraph right after an image is its caption (the plain text leaves captions out)."""
    previous = block.getprevious()
    if previous is None and block.getparent() is not None:
        previous = block.getparent().getprevious() if not (block.getparent().text or "").strip() else None
    return block.tag == "p" and len(TOKEN.findall(" ".join(block.itertext()))) <= CAPTION_WORDS \
        and previous is not None and (previous.tag == "img" or (
            previous.find(".//img") is not None and not " ".join(previous.itertext()).strip()))


def _shingles(tokens: list[str]):
    return (tuple(tokens[i:i + SHINGLE]) for i in range(max(1, len(tokens) - SHINGLE + 1)))


def _inside(element, tags: tuple[str, ...]) -> bool:
    return any(ancestor.tag in tags for ancestor in element.iterancestors())
