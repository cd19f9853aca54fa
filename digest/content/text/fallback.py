"""A second extractor for the pages where trafilatura stops early.

trafilatura sometimes takes one block of an article (the lead, a paywall notice) for
the whole. readability-lxml scores containers rather than blocks and then finds the
rest; on its own it is less precise (docs/extraction.md). Its article replaces
trafilatura's only when it is much longer and holds trafilatura's text, or when
trafilatura found next to nothing.
"""

from __future__ import annotations

import logging
import re
from collections import Counter

import lxml.html
from lxml import etree

log = logging.getLogger(__name__)

TOKEN = re.compile(r"\w+")
SHINGLE = 4
LONGER = 2.0
"""readability's text must have at least this many times trafilatura's words..."""
CONTAINED = 0.9
"""...and hold this share of trafilatura's word 4-grams."""
NEXT_TO_NOTHING = 100
"""Or trafilatura found fewer words than this and readability five times as many."""


def longer_article(page, trafilatura_text: str):
    """readability's article as an HTML element when it should replace trafilatura's, else None
    (``page``: the page's lxml tree)."""
    ours = TOKEN.findall(trafilatura_text)
    # readability's article is made of the page's text outside scripts and styles (it drops them
    # first): a page with fewer words than that cannot replace trafilatura's, so readability is
    # not run (all of the bench's pages, 86 of the 181 real ones; 3 ms a page).
    if _words_outside_scripts(page) < LONGER * max(1, len(ours)):
        return None
    # Imported here: a rebuild whose extractions are all remembered never loads readability.
    from readability import Document
    from readability.readability import Unparseable

    try:
        summary = Document(etree.tostring(page, encoding="unicode", method="html")).summary(html_partial=True)
        root = lxml.html.fragment_fromstring(summary)
    except (Unparseable, etree.ParserError, ValueError) as error:
        log.debug("readability found no article: %s", error)
        return None
    found = TOKEN.findall(" ".join(root.itertext()))
    if len(found) < LONGER * max(1, len(ours)):
        return None
    if len(ours) < NEXT_TO_NOTHING and len(found) >= 5 * max(1, len(ours)):
        return root
    theirs, mine = _shingles(found), _shingles(ours)
    contained = sum((mine & theirs).values()) / max(1, sum(mine.values()))
    return root if contained >= CONTAINED else None


def _words_outside_scripts(page) -> int:
    """The words of ``page``'s text, the insides of its scripts and styles left out (comments count:
    an upper bound is all that is needed)."""
    pieces = []
    for element in page.iter():
        if element.text and element.tag not in ("script", "style"):
            pieces.append(element.text)
        if element.tail:
            pieces.append(element.tail)
    return len(TOKEN.findall(" ".join(pieces)))


def _shingles(tokens: list[str]) -> Counter:
    return Counter(tuple(tokens[i:i + SHINGLE]) for i in range(max(1, len(tokens) - SHINGLE + 1)))
