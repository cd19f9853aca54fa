"""Make a sanitised fragment obey the XHTML content model, at any nesting depth.

The allowlist (digest.content.text.sanitize) decides which elements survive; this decides where
each may stand, as EPUB 3's XHTML schema does: blocks never inside phrasing content or a
paragraph, list items only in lists, ``dt``/``dd`` only in a ``dl`` and in order, table parts
only in tables, a ``figcaption`` first or last in its ``figure``, no link inside a link.
It repairs by re-tagging (a ``p`` holding blocks becomes a ``div``), unwrapping or wrapping
(stray list content goes into an ``li``), never by dropping text. Every walk uses an
explicit stack, so no input depth reaches Python's recursion limit.
"""

from __future__ import annotations

from digest.content.text.treeops import (
    add_text,
    break_after,
    break_before,
    detach,
    leave_tail,
    retag,
    shallow_copy,
    splice,
    sub,
)

HEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
# Elements whose children may only be phrasing content.
PHRASING_PARENTS = HEADINGS | {"p", "pre", "span", "em", "strong", "b", "i", "u", "s", "small", "sub", "sup",
                                "abbr", "cite", "dfn", "code", "kbd", "samp", "var", "mark", "q", "time"}
# Elements whose children may be flow content (blocks and phrasing).
FLOW_PARENTS = frozenset({"div", "li", "dt", "dd", "blockquote", "figcaption", "caption", "td", "th", "figure"})
# Allowed wherever their parent stands: phrasing in phrasing content, flow in flow content.
TRANSPARENT = frozenset({"a", "ins", "del"})
INLINE = (PHRASING_PARENTS - HEADINGS - {"p", "pre"}) | TRANSPARENT | {"br", "img"}
TABLE_PARTS = frozenset({"caption", "thead", "tbody", "tfoot", "tr", "td", "th"})
# Where an inline element pushed into a block (<b><p>x</p></b> -> <p><b>x</b></p>) may go.
HOLDS_INLINE = HEADINGS | FLOW_PARENTS - {"figure"} | {"p", "pre"}
XML_SPACE = " \t\n\r"
# The parser unwraps deeper elements: a reader gains nothing from more, and libxml2 refuses
# documents deeper than 256 (the page template and the repairs below add a few levels).
MAX_DEPTH = 48


def normalize(root) -> None:
    """Repair ``root`` (an lxml element holding flow content) in place."""
    _unnest(root, "a")
    _unnest(root, "dfn")
    pending = [(root, "flow")]
    while pending:
        element, content = pending.pop()
        content = FIXES[content](element)
        for child in element:
            pending.append((child, _content_of(child, content)))


def _content_of(element, parent_content: str) -> str:
    tag = element.tag
    if tag in TRANSPARENT:
        return "flow" if parent_content in ("flow", "figure") else "phrasing"
    if tag == "time" and (element.get("datetime") is None and len(element)):
        element.tag = "span"  # a <time> without datetime may hold text only
    if tag == "figure":
        return "figure"
    if tag in FLOW_PARENTS:
        return "flow"
    if tag in PHRASING_PARENTS:
        return "phrasing"
    return CONTENT.get(tag, "empty")


def _fix_phrasing(element) -> str:
    """Blocks in phrasing content become spans, a line break where each block began and ended."""
    for child in list(element):
        if child.tag in INLINE:
            continue
        if child.tag == "hr":
            child.tag = "br"
        else:
            retag(child, "span")
            break_before(child)
            break_after(child)
    return "phrasing"


def _fix_flow(element) -> str:
    for child in list(element):
        tag = child.tag
        if tag in ("p", "span") and _holds_blocks(child):
            retag(child, "div")  # a paragraph of blocks is a division
        elif tag in INLINE and tag not in TRANSPARENT and _holds_blocks(child):
            _push_down(child)
    if element.tag != "figure":
        for child in element.iterchildren("figcaption"):
            child.tag = "div"
    _wrap_runs(element, {"li"}, "ul")
    _wrap_runs(element, {"dt", "dd"}, "dl")
    _wrap_runs(element, TABLE_PARTS, "table")
    if element.tag == "figure":
        _fix_figure(element)
    return "flow"


def _fix_list(element) -> str:
    """Only list items in a list: stray content goes into an item, a stray sub-list into the item before it."""
    last_item = wrapper = None
    for item in detach(element):
        if isinstance(item, str):
            if wrapper is not None:
                add_text(wrapper, item)
            elif item.strip(XML_SPACE):
                wrapper = last_item = sub(element, "li")
                add_text(wrapper, item)
        elif item.tag == "li":
            if element.tag == "ul":
                item.attrib.pop("value", None)
            element.append(item)
            last_item, wrapper = item, None
        elif item.tag in ("ul", "ol") and last_item is not None and wrapper is None:
            last_item.append(item)
        else:
            if wrapper is None:
                wrapper = last_item = sub(element, "li")
            wrapper.append(item)
    return "list"


def _fix_dl(element) -> str:
    """Terms and descriptions in order; a list lacking either kind becomes plain divisions."""
    _wrap_strays(element, {"dt", "dd"}, "dd")
    tags = [child.tag for child in element]
    if "dt" not in tags or "dd" not in tags:
        element.tag = "div"
        for child in element:
            child.tag = "div"
        return "flow"
    if tags[0] == "dd":
        element.insert(0, element.makeelement("dt", {}))
    if tags[-1] == "dt":
        sub(element, "dd")
    return "dl"


def _fix_table(element) -> str:
    """caption?, thead?, (tbody* | tr*), tfoot?, with stray cells and content put in rows."""
    caption = head = foot = None
    body: list = []
    row = cell = None
    for item in detach(element):
        tag = None if isinstance(item, str) else item.tag
        if tag is None and not item.strip(XML_SPACE):
            if cell is not None:
                add_text(cell, item)
            continue
        if tag == "caption" and caption is None:
            caption = item
            continue
        if tag in ("thead", "tbody", "tfoot", "tr"):
            row = cell = None
            if tag == "thead" and head is None:
                head = item
            elif tag == "tfoot" and foot is None:
                foot = item
            else:
                if tag != "tr":
                    item.tag = "tbody"
                body.append(item)
            continue
        if row is None:
            row = element.makeelement("tr", {})
            body.append(row)
        if tag in ("td", "th", "caption"):
            if tag == "caption":
                item.tag = "td"
            row.append(item)
            cell = None
            continue
        if cell is None:
            cell = sub(row, "td")
        add_text(cell, item)
    if any(part.tag == "tbody" for part in body) and any(part.tag == "tr" for part in body):
        body = _grouped_rows(element, body)
    for part in (caption, head, *body, foot):
        if part is not None:
            element.append(part)
    return "table"


def _grouped_rows(table, body: list) -> list:
    grouped, group = [], None
    for part in body:
        if part.tag == "tr":
            if group is None:
                group = table.makeelement("tbody", {})
                grouped.append(group)
            group.append(part)
        else:
            grouped.append(part)
            group = None
    return grouped


def _fix_row_group(element) -> str:
    _wrap_strays(element, {"tr"}, "tr")
    return "rows"


def _fix_row(element) -> str:
    _wrap_strays(element, {"td", "th"}, "td")
    return "row"


def _wrap_strays(element, allowed: set[str], wrapper_tag: str) -> None:
    """Only ``allowed`` children: anything else is wrapped, run by run, into a ``wrapper_tag``."""
    wrapper = None
    for item in detach(element):
        if isinstance(item, str):
            if wrapper is not None:
                add_text(wrapper, item)
            elif item.strip(XML_SPACE):
                wrapper = sub(element, wrapper_tag)
                add_text(wrapper, item)
        elif item.tag in allowed:
            element.append(item)
            wrapper = None
        else:
            if wrapper is None:
                wrapper = sub(element, wrapper_tag)
            wrapper.append(item)


def _fix_figure(figure) -> None:
    """One figcaption, first or last: the first one found moves to the end if it stood in the middle."""
    captions = [child for child in figure if child.tag == "figcaption"]
    if not captions:
        return
    first_ok = figure[0] is captions[0] and not (figure.text or "").strip(XML_SPACE)
    last_ok = figure[-1] is captions[-1] and not (captions[-1].tail or "").strip(XML_SPACE)
    keep = captions[0] if first_ok else captions[-1] if last_ok else captions[0]
    for caption in captions:
        if caption is not keep:
            caption.tag = "div"
    if not (first_ok or last_ok):
        leave_tail(keep)
        figure.append(keep)


def _fix_empty(element) -> str:
    return "empty"


FIXES = {"flow": _fix_flow, "figure": _fix_flow, "phrasing": _fix_phrasing, "list": _fix_list, "dl": _fix_dl,
         "table": _fix_table, "rows": _fix_row_group, "row": _fix_row, "empty": _fix_empty}
CONTENT = {"ul": "list", "ol": "list", "dl": "dl", "table": "table", "thead": "rows", "tbody": "rows",
           "tfoot": "rows", "tr": "row"}


def _holds_blocks(element) -> bool:
    """Whether ``element`` has a block child, looking through transparent children (a, ins, del)."""
    pending = [element]
    while pending:
        for child in pending.pop():
            if child.tag not in INLINE:
                return True
            if child.tag in TRANSPARENT:
                pending.append(child)
    return False


def _push_down(element) -> None:
    """<b>x<p>y</p></b> -> <b>x</b><p><b>y</b></p>: the formatting goes into each block it spanned."""
    parent, tail = element.getparent(), element.tail
    element.tail = None
    replacement: list = []
    run = None
    for item in detach(element):
        if isinstance(item, str) or item.tag in INLINE:
            if run is None:
                run = shallow_copy(element, keep_id=not replacement)
                replacement.append(run)
            add_text(run, item) if isinstance(item, str) else run.append(item)
            continue
        run = None
        if item.tag in HOLDS_INLINE:
            inner = shallow_copy(element, keep_id=not replacement)
            for content in detach(item):
                add_text(inner, content) if isinstance(content, str) else inner.append(content)
            item.append(inner)
        replacement.append(item)
    for node in replacement:  # addprevious, not insert at an index: finding the index walks the siblings
        element.addprevious(node)
    if tail:
        replacement[-1].tail = (replacement[-1].tail or "") + tail
    parent.remove(element)


def _wrap_runs(parent, tags, wrapper_tag: str) -> None:
    """Put each run of adjacent ``tags`` children (only white space between them) into a new ``wrapper_tag``."""
    children = list(parent)
    i = 0
    while i < len(children):
        if children[i].tag not in tags:
            i += 1
            continue
        j = i
        while j + 1 < len(children) and children[j + 1].tag in tags \
                and not (children[j].tail or "").strip(XML_SPACE):
            j += 1
        wrapper = parent.makeelement(wrapper_tag, {})
        children[i].addprevious(wrapper)
        wrapper.tail = children[j].tail
        for child in children[i:j + 1]:
            child.tail = None
            wrapper.append(child)
        i = j + 1


def _unnest(root, tag: str) -> None:
    """No ``tag`` inside another: the inner one is unwrapped (a link in a link keeps its words)."""
    splice(unwrap=[element for element in root.iter(tag) if any(True for _ in element.iterancestors(tag))])
