"""Small edits of lxml trees that keep every piece of text where it belongs.

lxml keeps the text after an element in that element's ``tail``: moving, wrapping or
removing an element must carry its tail along or leave it behind on purpose.
"""

from __future__ import annotations

from collections.abc import Iterable

GLOBAL_ATTRIBUTES = ("id", "title", "lang")


def retag(element, tag: str) -> None:
    """Change ``element``'s tag, keeping only the attributes every element may carry."""
    element.tag = tag
    for name in list(element.attrib):
        if name not in GLOBAL_ATTRIBUTES:
            del element.attrib[name]


def shallow_copy(element, *, keep_id: bool):
    """A new, empty element like ``element`` (ids stay unique: only one copy may keep it)."""
    attributes = {k: v for k, v in element.attrib.items() if keep_id or k != "id"}
    return element.makeelement(element.tag, attributes)


def break_before(element) -> None:
    """A <br/> before ``element`` unless it starts its parent or follows one already."""
    previous = element.getprevious()
    parent = element.getparent()
    text_before = (previous.tail if previous is not None else parent.text) or ""
    if text_before.strip() or (previous is not None and previous.tag != "br"):
        element.addprevious(element.makeelement("br", {}))


def break_after(element) -> None:
    """A <br/> after ``element`` unless it ends its parent or one follows already."""
    following = element.getnext()
    if (element.tail or "").strip() or (following is not None and following.tag != "br"):
        br = element.makeelement("br", {})
        br.tail, element.tail = element.tail, None
        element.addnext(br)


def detach(parent) -> list:
    """Remove and return the content of ``parent``: its text, children and their tails, in order."""
    items: list = [parent.text] if parent.text else []
    parent.text = None
    for child in list(parent):
        tail, child.tail = child.tail, None
        parent.remove(child)
        items.append(child)
        if tail:
            items.append(tail)
    return items


def sub(parent, tag: str):
    element = parent.makeelement(tag, {})
    parent.append(element)
    return element


def add_text(parent, text: str) -> None:
    """Append text at the end of ``parent`` (its last child found from the end: len() walks them all)."""
    last = next(parent.iterchildren(reversed=True), None)
    if last is not None:
        last.tail = (last.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def leave_tail(element) -> None:
    """Leave ``element``'s tail text where it is, before the element moves."""
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent = element.getparent()
            parent.text = (parent.text or "") + element.tail
        element.tail = None


def splice(*, unwrap: Iterable = (), remove: Iterable = ()) -> None:
    """Unwrap the ``unwrap`` elements (their text and children take their place) and remove the
    ``remove`` ones with their content (their tails stay), in one pass per parent.

    One at a time, lxml's drop_tag() looks up the element's index and each removal glues the
    tail onto a text that grows: quadratic over many siblings (80,000 unknown tags in one
    paragraph took minutes). Here each affected parent's content is laid out once.
    """
    dropped = {element: False for element in remove} | {element: True for element in unwrap}
    parents: dict = {}  # in document order, each once
    for element in dropped:
        parent = element.getparent()
        while parent is not None and parent in dropped:
            parent = parent.getparent()
        if parent is not None:
            parents[parent] = None
    for parent in parents:
        _lay_out(parent, _flattened(parent, dropped), dropped)


def _flattened(parent, dropped: dict) -> list:
    """``parent``'s text, children and tails in order, each dropped child replaced by its content
    (unwrapped) or by nothing (removed), at any depth."""
    items: list = []
    pending: list = [(True, parent)]
    while pending:
        expand, item = pending.pop()
        if not expand:
            items.append(item)
        elif dropped.get(item, True):  # the parent itself, or an unwrapped child
            content: list = [(False, item.text)]
            for child in item:
                content += [(child in dropped, child), (False, child.tail)]
            pending.extend(reversed(content))
    return [item for item in items if item is not None and item != ""]


def _lay_out(parent, items: list, dropped: dict) -> None:
    """Make ``items`` (texts and elements, in order) the content of ``parent``."""
    cursor = None
    for item in items:  # an element from inside a dropped child moves to where that child stood
        if isinstance(item, str):
            continue
        if item.getparent() is not parent:
            if cursor is None:
                parent.insert(0, item)
            else:
                cursor.addnext(item)
        cursor = item
    for child in list(parent):
        if child in dropped:
            parent.remove(child)
    texts: list[str] = []
    holder, attribute = parent, "text"
    for item in items:
        if isinstance(item, str):
            texts.append(item)
            continue
        setattr(holder, attribute, "".join(texts) or None)
        texts, holder, attribute = [], item, "tail"
    setattr(holder, attribute, "".join(texts) or None)
