"""Small edits of lxml trees that keep every piece of text where it belongs.

lxml keeps the text after an element in that element's ``tail``: moving, wrapping or
removing an element must carry its tail along or leave it behind on purpose.
"""

from __future__ import annotations

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
    """Append text at the end of ``parent``."""
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def add_text_at(parent, index: int, text: str) -> None:
    """Put text where child ``index`` was, i.e. after child ``index - 1``."""
    if index > 0:
        parent[index - 1].tail = (parent[index - 1].tail or "") + text
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
