"""HTML parsed as browsers do, into an lxml tree of any depth.

Lexbor (through selectolax) builds the tree by the HTML5 algorithm, so tag soup lands where a
browser puts it; html5lib does the same but took 150 ms a page on the benchmark's pages against
1.5 ms here, and html5-parser needs an lxml built against its own libxml2 (docs/xhtml.md).
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree
from selectolax.lexbor import LexborHTMLParser, LexborNode

from digest.content.text.normalize import MAX_DEPTH
from digest.content.text.pagelimits import within_limits

CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
CHAR_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));?")


def parse_fragment(html: str, *, skipped: frozenset[str] = frozenset(), attributes: frozenset[str] = frozenset()):
    """The body of ``html`` as a browser parses it (HTML5 tree building), as an lxml <div>.

    Lexbor builds the tree (any tag soup, nesting first bounded by pagelimits.within_limits); it is
    copied into lxml without recursion.
    Comments, ``skipped`` elements (with their content), attributes not in ``attributes`` and
    any name or character XML cannot hold are left out. Elements deeper than MAX_DEPTH are
    unwrapped as they are copied: libxml2 refuses to read such XHTML back, and appending at
    depth costs time. The copy takes time linear in the input (see _Builder).
    """
    html = CHAR_REFERENCE.sub(_valid_reference, CONTROL_CHARS.sub("", html or ""))
    if not html.strip():
        return None
    body = LexborHTMLParser(within_limits(html)).body
    if body is None:
        return None
    root = etree.Element("div")
    build = _Builder()
    # (lexbor node or text, the lxml element it goes into, that element's depth), in document order
    pending: list[tuple[LexborNode | str, Any, int]] = [(child, root, 0) for child in reversed(_children(body))]
    while pending:
        node, parent, depth = pending.pop()
        if isinstance(node, str):
            build.text(parent, node, separator=True)
            continue
        if node.is_text_node:
            build.text(parent, NOT_XML.sub("", node.text_content or ""))
            continue
        if not node.is_element_node:
            continue
        tag = (node.tag or "").lower()
        if depth >= MAX_DEPTH:
            if tag not in skipped:
                build.text(parent, " ", separator=True)  # the words of unwrapped blocks stay apart
                pending.append((" ", parent, depth))
                pending.extend((child, parent, depth) for child in reversed(_children(node)))
            continue
        if tag in skipped:
            continue
        kept = {name: NOT_XML.sub("", value or "") for name, value in node.attributes.items() if name in attributes}
        element = build.element(parent, tag if XML_NAME.fullmatch(tag) else "unknown", kept)
        pending.extend((child, element, depth + 1) for child in reversed(_children(node)))
    build.finish()
    return root


def _children(node: LexborNode) -> list[LexborNode]:
    children, child = [], node.child
    while child is not None:
        children.append(child)
        child = child.next
    return children


class _Builder:
    """Appends elements and text to an lxml tree in constant time per piece.

    Text goes into a parent's ``text`` until its first child, then into its last child's
    ``tail``. Asking lxml for that last child (``len(parent)``) walks every child, and a
    text grown piece by piece is copied whole at each piece: both made a paragraph of 80,000
    siblings take 21 s. The builder remembers each parent's open text run and joins it once,
    when the parent gains its next child or at the end.
    """

    def __init__(self) -> None:
        # parent -> (the element holding its current run, "text" or "tail", the run's pieces)
        self._runs: dict[Any, tuple[Any, str, list[str]]] = {}

    def element(self, parent, tag: str, attributes: dict[str, str]):
        self._close(parent)
        child = etree.SubElement(parent, tag, attributes)
        self._runs[parent] = (child, "tail", [])
        return child

    def text(self, parent, text: str, *, separator: bool = False) -> None:
        """Append ``text``; a ``separator`` space only where no white space ends the run already
        (so runs of unwrapped elements do not grow a long string of spaces)."""
        if not text:
            return
        pieces = self._runs.setdefault(parent, (parent, "text", []))[2]
        if not (separator and pieces and pieces[-1][-1:].isspace()):
            pieces.append(text)

    def finish(self) -> None:
        for parent in list(self._runs):
            self._close(parent)

    def _close(self, parent) -> None:
        holder, attribute, pieces = self._runs.pop(parent, (None, "", []))
        if pieces:
            setattr(holder, attribute, "".join(pieces))


def _valid_reference(match: re.Match) -> str:
    """Keep a numeric character reference only if XML allows the character it names."""
    code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
    allowed = code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD \
        or 0x10000 <= code <= 0x10FFFF
    return match.group(0) if allowed and code != 0x7F else ""
