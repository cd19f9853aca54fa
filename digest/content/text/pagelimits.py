"""HTML brought within what its parsers read whole, before any of them sees it.

libxml2 (lxml, and through it trafilatura and readability) stops at 256 levels of nesting
and at 10 MB in one text, attribute or comment, and returns the part it has read: a page with
5,000 nested tables or a 15 MB ``data:`` image mid-article lost its second half without a
word. Lexbor has no such limit, but its time grows with the square of the nesting (80,000
nested ``<div>`` took 320 s). ``within_limits`` rewrites such markup so that neither happens:

- comments go (every parser here drops them anyway);
- a quoted attribute value of LONG_VALUE characters or more is emptied: nothing here reads one
  (it is a ``data:`` image, which the book never embeds, or a page's state as JSON);
- a text run of LONG_RUN characters gets a ``<wbr>`` (an empty element) every LONG_RUN, and the
  content of a ``<script>``, ``<style>``... that long goes (a page's state as JSON, inline fonts);
- tags nested deeper than MAX_NESTING become spaces: their text stays, in order.

What remains over libxml2's 10 MB for a whole document is plain text and markup: a page that
big is cut short, and ``check_read_whole`` refuses it. A page of more than MAX_PAGE_ELEMENTS
elements is refused too (``check_element_count``): the extractors' time and memory grow faster
than the page.

The nesting is followed as an HTML parser does, roughly (void elements, end tags closing
what is open inside them, a ``<p>`` or ``<li>`` closed by the next one): it only has to keep
real pages untouched and bound the depth of hostile ones.
"""

from __future__ import annotations

import re
from collections import Counter

from lxml import etree

from digest.core.errors import ExtractionError

MAX_NESTING = 128
"""Tags deeper than this are dropped: under libxml2's 256 with room for the parsers' own
disagreements, and far over what a reader sees (digest.content.text.normalize keeps 48 levels)."""
MAX_PAGE_ELEMENTS = 25_000
"""More elements than an article page has: the 181 real pages of the extraction benchmark have at
most 1,709. The extractors took 10 s of CPU for a page of 40,000 paragraphs and 260 s (629 MB)
for 200,000; 150,000 ``<div>`` took 93 s and 1.3 GB, a table of 630,000 cells 67 s and 1.6 GB."""
LONG_VALUE = 1_000_000
LONG_RUN = 1_000_000
TAG = re.compile(r"<(/?)([A-Za-z][^\s/>]*)[^>]*>")
LONG_ATTRIBUTE = re.compile(r"""(=\s*)("[^"]{%d,}"|'[^']{%d,}')""" % (LONG_VALUE, LONG_VALUE))
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
                  "track", "wbr", "keygen", "basefont", "bgsound", "frame", "image", "isindex"})
# Their content is text to the parser, whatever it looks like.
RAW_TEXT = frozenset({"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"})
# A start tag of the key closes the open element on top if it is one of these.
CLOSED_BY = {"p": {"p"}, "li": {"li"}, "dt": {"dt", "dd"}, "dd": {"dt", "dd"}, "option": {"option"},
             "tr": {"tr", "td", "th"}, "td": {"td", "th"}, "th": {"td", "th"}}
CLOSES_P = frozenset({"address", "article", "aside", "blockquote", "div", "dl", "fieldset", "figure", "footer",
                      "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "main", "nav", "ol", "pre",
                      "section", "table", "ul"})


def within_limits(html: str) -> str:
    """``html`` rewritten as the module docstring says; unchanged when within every limit."""
    html = _without_comments(html)
    if len(html) >= LONG_VALUE:
        html = LONG_ATTRIBUTE.sub(r'\1""', html)
    if len(html) >= LONG_RUN or html.count("<") > MAX_NESTING:
        html = _tokenised(html)
    if len(html) >= LONG_RUN:
        html = "<".join(_broken(run) for run in html.split("<"))
    return html


def check_read_whole(url: str) -> None:
    """Refuse a page that libxml2 stopped reading part-way (it returns what it read, silently).

    within_limits keeps pages inside libxml2's limits; should one still be cut, its article is
    not taken half: the entry keeps its summary, and the report says why.
    """
    from trafilatura.utils import HTML_PARSER  # the parser load_html used: its log is of that parse

    for error in HTML_PARSER.error_log:
        if error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT:
            raise ExtractionError(url, f"page cut short by the HTML parser at line {error.line}: "
                                       f"{' '.join(error.message.split())}")


def check_element_count(tree: etree._Element, url: str) -> None:
    """Refuse a page of more than MAX_PAGE_ELEMENTS elements before the extractors read it: the
    entry keeps its summary, and the report says why."""
    elements = sum(1 for _ in tree.iter())
    if elements > MAX_PAGE_ELEMENTS:
        raise ExtractionError(url, f"page too large to extract: {elements:,} elements "
                                   f"(an article page has at most {MAX_PAGE_ELEMENTS:,})")


def _broken(run: str) -> str:
    if len(run) < LONG_RUN:
        return run
    return "<wbr>".join(run[start:start + LONG_RUN] for start in range(0, len(run), LONG_RUN))


def _without_comments(html: str) -> str:
    """Comments removed; an unclosed one runs to the end, as a parser reads it."""
    start = html.find("<!--")
    if start < 0:
        return html
    kept, position = [], 0
    while start >= 0:
        kept.append(html[position:start])
        end = html.find("-->", start + 4)
        if end < 0:
            return "".join(kept)
        position = end + 3
        start = html.find("<!--", position)
    kept.append(html[position:])
    return "".join(kept)


def _tokenised(html: str) -> str:
    """Tags nested too deep dropped, long raw text emptied."""
    kept: list[str] = []
    open_tags: list[str] = []
    beyond: Counter[str] = Counter()  # dropped start tags by name, not yet closed
    position = 0
    # No tag ends past the last ">": searching there would scan to the end from every "<".
    end = html.rfind(">") + 1
    match = TAG.search(html, 0, end)
    while match is not None:
        is_end, name = match.group(1) == "/", match.group(2).lower()
        kept.append(html[position:match.start()])
        position = match.end()
        if name in RAW_TEXT and not is_end:  # nothing nests inside; its content kept unless long
            closing = re.compile(rf"</{re.escape(name)}[\s/>]", re.IGNORECASE).search(html, position)
            position = len(html) if closing is None else closing.start()
            if position - match.end() < LONG_RUN:
                kept.append(html[match.start():position])
            else:
                kept.append(match.group(0))
        elif is_end:
            kept.append(" " if _end(name, open_tags, beyond) else match.group(0))
        else:
            kept.append(" " if _start(name, match.group(0), open_tags, beyond) else match.group(0))
        match = TAG.search(html, position, end)
    kept.append(html[position:])
    return "".join(kept)


def _start(name: str, tag: str, open_tags: list[str], beyond: Counter) -> bool:
    """Follow a start tag; whether it goes."""
    if name in VOID or tag.endswith("/>"):
        return False
    while open_tags and open_tags[-1] in CLOSED_BY.get(name, ()):
        open_tags.pop()
    if name in CLOSES_P and open_tags and open_tags[-1] == "p":
        open_tags.pop()
    if len(open_tags) >= MAX_NESTING:
        beyond[name] += 1
        return True
    open_tags.append(name)
    return False


def _end(name: str, open_tags: list[str], beyond: Counter) -> bool:
    """Follow an end tag; whether it goes (it closes a dropped element)."""
    if beyond[name]:
        beyond[name] -= 1
        return True
    if name in open_tags:
        while open_tags.pop() != name:
            pass
    return False
