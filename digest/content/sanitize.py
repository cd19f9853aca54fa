"""Turn arbitrary feed or page HTML into a Kindle-safe, well-formed XHTML fragment.

An allowlist decides what survives: unknown elements are unwrapped (their text is
kept), dangerous ones are dropped with their content, embeds become plain links,
and every attribute not listed is removed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import lxml.html
from lxml import etree
from selectolax.lexbor import LexborHTMLParser, LexborNode

from digest.content.normalize import MAX_DEPTH, normalize
from digest.core.urls import absolute_url

# Dropped together with everything inside them.
DROP = frozenset({
    "script", "style", "noscript", "template", "head", "title", "meta", "link", "base",
    "form", "input", "button", "select", "textarea", "option", "label", "fieldset",
    "nav", "canvas", "svg", "math", "map", "area", "dialog", "frameset", "frame",
    "applet", "param", "track", "source", "portal",
})
# Replaced by a link to what they embed.
EMBEDS = frozenset({"iframe", "video", "audio", "embed", "object"})
ALLOWED = {
    "p": (), "div": (), "span": (), "br": (), "hr": (),
    "h2": (), "h3": (), "h4": (), "h5": (), "h6": (),
    "a": ("href",), "img": ("src", "alt", "width", "height"),
    "ul": (), "ol": ("start", "reversed"), "li": ("value",), "dl": (), "dt": (), "dd": (),
    "blockquote": ("cite",), "q": ("cite",), "pre": (), "code": (), "kbd": (), "samp": (), "var": (),
    "em": (), "strong": (), "b": (), "i": (), "u": (), "s": (), "del": (), "ins": (), "mark": (),
    "small": (), "sub": (), "sup": (), "abbr": (), "cite": (), "dfn": (), "time": ("datetime",),
    "figure": (), "figcaption": (),
    "table": (), "caption": (), "thead": (), "tbody": (), "tfoot": (), "tr": (),
    "th": ("colspan", "rowspan", "scope"), "td": ("colspan", "rowspan"),
}
GLOBAL_ATTRIBUTES = ("id", "title", "lang")
# Not even copied out of the parser: what DROP removes anyway (but <source>, which pictures and
# embeds read), and attributes nothing here reads (class, style, on*, ...).
SKIPPED = DROP - {"source"}
READ_ATTRIBUTES = frozenset({name for names in ALLOWED.values() for name in names} | set(GLOBAL_ATTRIBUTES)
                            | {"srcset", "data-src", "data-lazy-src", "data", "aria-label"})
RENAME = {"h1": "h2", "strike": "s", "tt": "code", "center": "div", "article": "div", "section": "div",
          "main": "div", "header": "div", "footer": "div", "aside": "div", "address": "p"}
SAFE_SCHEMES = ("http", "https", "mailto", "ftp")
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")
INTEGER = re.compile(r"-?[0-9]{1,9}")
COUNT = re.compile(r"[0-9]{1,9}")
# The dates and times EPUB's schema accepts in <time datetime>, the common forms only.
DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,3})?)?"
                      r"(Z|[+-][0-9]{2}:?[0-9]{2})?)?")
CHAR_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));?")
NCNAME_BAD = re.compile(r"[^A-Za-z0-9_.-]")
LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
URI_CHARACTERS = "!$&'()*+,;=:@/?-._~%"

# Given an absolute image URL, returns the image's href inside the book, or None if unavailable.
ImageResolver = Callable[[str], "str | None"]


@dataclass(frozen=True)
class Fragment:
    xhtml: str
    text: str

    @property
    def word_count(self) -> int:
        return len(self.text.split())


def clean_html(html: str, *, base_url: str, id_prefix: str,
               resolve_image: ImageResolver = lambda url: None) -> Fragment:
    """Sanitise ``html``; ids get ``id_prefix`` so they stay unique across the book."""
    root = parse_fragment(html)
    if root is None:
        return Fragment("", "")
    # Pictures first: the <img> one of them gains must go through the loop below like any other.
    for picture in list(root.iter("picture")):
        _reduce_picture(picture)
    for element in list(root.iter())[1:]:
        _clean_element(element, base_url, resolve_image)
    normalize(root)
    _prefix_ids(root, id_prefix)
    xhtml = _escape_text(root.text or "") + "".join(
        etree.tostring(child, method="xml", encoding="unicode") for child in root
    )
    # itertext, not text_content: adjacent blocks must not glue their words together
    return Fragment(xhtml, " ".join(" ".join(root.itertext()).split()))


def html_text(html: str) -> str:
    """The visible words of an HTML fragment, whitespace collapsed (no scripts or styles)."""
    root = parse_fragment(html)
    if root is None:
        return ""
    etree.strip_elements(root, "script", "style", "template", with_tail=False)
    return " ".join(" ".join(root.itertext()).split())


def parse_fragment(html: str):
    """The body of ``html`` as a browser parses it (HTML5 tree building), as an lxml <div>.

    Lexbor builds the tree (any tag soup); it is copied into lxml without recursion.
    Comments, SKIPPED elements, attributes no one reads and any name or character XML cannot
    hold are left out. Elements deeper than MAX_DEPTH are unwrapped as they are copied (dropped, for the
    DROP ones): lxml would refuse to serialise them and appending at depth costs time.
    """
    html = CHAR_REFERENCE.sub(_valid_reference, CONTROL_CHARS.sub("", html or ""))
    if not html.strip():
        return None
    body = LexborHTMLParser(html).body
    if body is None:
        return None
    root = lxml.html.Element("div")  # an HtmlElement, so its descendants have drop_tag()
    # (lexbor node or text, the lxml element it goes into, that element's depth), in document order
    pending = [(child, root, 0) for child in reversed(_children(body))]
    while pending:
        node, parent, depth = pending.pop()
        if isinstance(node, str):
            _append_text(parent, node, separator=True)
            continue
        if node.is_text_node:
            _append_text(parent, NOT_XML.sub("", node.text_content or ""))
            continue
        if not node.is_element_node:
            continue
        tag = (node.tag or "").lower()
        if depth >= MAX_DEPTH:
            if tag not in DROP and tag not in EMBEDS:
                _append_text(parent, " ", separator=True)  # the words of unwrapped blocks stay apart
                pending.append((" ", parent, depth))
                pending.extend((child, parent, depth) for child in reversed(_children(node)))
            continue
        if tag in SKIPPED:
            continue
        attributes = {name: NOT_XML.sub("", value or "") for name, value in node.attributes.items()
                      if name in READ_ATTRIBUTES}
        element = etree.SubElement(parent, tag if XML_NAME.fullmatch(tag) else "unknown", attributes)
        pending.extend((child, element, depth + 1) for child in reversed(_children(node)))
    return root


def _children(node: LexborNode) -> list[LexborNode]:
    children, child = [], node.child
    while child is not None:
        children.append(child)
        child = child.next
    return children


def _append_text(parent, text: str, *, separator: bool = False) -> None:
    """Append ``text`` to ``parent``; a ``separator`` space only where no white space ends it already
    (so runs of unwrapped elements do not grow a long string, copied once per element)."""
    if not text:
        return
    holder, attribute = (parent[-1], "tail") if len(parent) else (parent, "text")
    before = getattr(holder, attribute) or ""
    if not (separator and before[-1:].isspace()):
        setattr(holder, attribute, before + text)


def _valid_reference(match: re.Match) -> str:
    """Keep a numeric character reference only if XML allows the character it names."""
    code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
    allowed = code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD \
        or 0x10000 <= code <= 0x10FFFF
    return match.group(0) if allowed and code != 0x7F else ""


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clean_element(element, base_url: str, resolve_image: ImageResolver) -> None:
    if not isinstance(element.tag, str):
        return
    tag = element.tag.lower().rpartition("}")[2]
    if tag in DROP:
        remove_element(element)
        return
    if tag in EMBEDS:
        _replace_embed(element, base_url)
        return
    if tag == "picture":
        tag = "span"  # reduced to its one <img> before this loop
    tag = RENAME.get(tag, tag)
    if tag not in ALLOWED:
        element.drop_tag()
        return
    element.tag = tag
    allowed = ALLOWED[tag] + GLOBAL_ATTRIBUTES
    lazy_src = element.get("data-src") or element.get("data-lazy-src") or best_srcset(element.get("srcset"))
    for name in list(element.attrib):
        if name not in allowed:
            del element.attrib[name]
    _check_values(element, tag, base_url)
    if tag == "a":
        _clean_link(element, base_url)
    elif tag == "img":
        _clean_image(element, base_url, lazy_src, resolve_image)


def _check_values(element, tag: str, base_url: str) -> None:
    """Drop the attributes whose value EPUB's XHTML schema would reject."""
    checks = {"lang": LANGUAGE_TAG, "width": COUNT, "height": COUNT, "rowspan": COUNT, "colspan": COUNT,
              "start": INTEGER, "value": INTEGER, "datetime": DATETIME}
    for name, value in list(element.attrib.items()):
        value = value.strip()
        if name in checks:
            keep = checks[name].fullmatch(value) is not None and not (name == "colspan" and int(value) == 0)
        elif name == "scope":
            keep = value in ("row", "col", "rowgroup", "colgroup")
        elif name == "cite":
            value = _link_target(base_url, value)
            keep = value.startswith(("http://", "https://"))
        elif name == "reversed":
            value, keep = "reversed", True
        else:
            continue
        if keep:
            element.set(name, value)
        else:
            del element.attrib[name]


def remove_element(element) -> None:
    """Remove an element but keep the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    previous = element.getprevious()
    parent.remove(element)
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail


def _replace_embed(element, base_url: str) -> None:
    src = element.get("src") or element.get("data") or next(
        (s.get("src") for s in element.iter("source") if s.get("src")), "")
    title = element.get("title") or element.get("aria-label") or ""
    url = _link_target(base_url, src)
    if not url.startswith(("http://", "https://")):
        remove_element(element)
        return
    link = lxml.html.Element("a", href=url)
    link.text = f"{title or 'Embedded media'} (opens on the web)"
    paragraph = lxml.html.Element("p")
    paragraph.append(link)
    paragraph.tail = element.tail
    element.getparent().replace(element, paragraph)


def _reduce_picture(picture) -> None:
    """Keep one <img>: the fallback img, else the first <source>'s best candidate."""
    image = next(picture.iter("img"), None)
    if image is None:
        source = next((s for s in picture.iter("source") if s.get("srcset")), None)
        if source is None:
            remove_element(picture)
            return
        image = lxml.html.Element("img", src=best_srcset(source.get("srcset")) or "", alt="")
    elif not image.get("src") and not image.get("data-src"):
        source = next((s for s in picture.iter("source") if s.get("srcset")), None)
        if source is not None:
            image.set("src", best_srcset(source.get("srcset")) or "")
    for child in list(picture):
        picture.remove(child)
    picture.text = None
    picture.append(image)


def best_srcset(srcset: str | None) -> str | None:
    """The widest candidate of a srcset ("a.jpg 480w, b.jpg 1080w" -> b.jpg)."""
    if not srcset:
        return None
    best, best_size = None, -1.0
    for candidate in srcset.split(","):
        bits = candidate.strip().split()
        if not bits:
            continue
        size = 1.0
        if len(bits) > 1:
            try:
                size = float(bits[1][:-1])
            except ValueError:
                size = 1.0
        if size > best_size:
            best, best_size = bits[0], size
    return best


def _clean_link(link, base_url: str) -> None:
    href = (link.get("href") or "").strip()
    if href.startswith("#"):
        return  # rewritten with the id prefix, or unlinked if it points nowhere
    url = _link_target(base_url, href)
    if url:
        link.set("href", url)
    else:
        link.drop_tag()


def _link_target(base_url: str, href: str) -> str:
    """``href`` made absolute and a valid URI (percent-encoded), or "" if its scheme is not safe
    or it names nothing (``mailto:`` alone, ``http://`` without a host)."""
    try:
        url = absolute_url(base_url, href) if href.strip() else ""
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed [ in the host
        return ""
    scheme = parts.scheme.lower()
    if scheme not in SAFE_SCHEMES or (scheme == "mailto" and not parts.path.strip()) \
            or (scheme != "mailto" and not parts.hostname):
        return ""
    url = LONE_PERCENT.sub("%25", url)
    base, hash_mark, fragment = url.partition("#")
    # A second '#' or a space would make the URI invalid: EPUBCheck rejects the page.
    return quote(base, safe=URI_CHARACTERS + "[]") + hash_mark + quote(fragment, safe=URI_CHARACTERS)


def _clean_image(image, base_url: str, lazy_src: str | None, resolve_image: ImageResolver) -> None:
    src = (image.get("src") or "").strip()
    if lazy_src and (not src or src.startswith("data:") or "placeholder" in src or "blank" in src):
        src = lazy_src
    alt = " ".join((image.get("alt") or "").split())
    try:
        url = absolute_url(base_url, src) if src else ""
    except ValueError:
        url = ""
    local = resolve_image(url) if url.startswith(("http://", "https://", "file:")) else None
    if local is None:
        if alt:
            caption = lxml.html.Element("span")
            caption.set("class", "missing-image")
            caption.text = f"[Image: {alt}]"
            caption.tail = image.tail
            image.getparent().replace(image, caption)
        else:
            remove_element(image)
        return
    image.set("src", local)
    image.set("alt", alt)


def _prefix_ids(root, prefix: str) -> None:
    """Prefix every id, keep them unique, rewrite #links to them, unlink #links to nothing."""
    ids: dict[str, str] = {}
    for element in root.iter():
        old = element.get("id") if isinstance(element.tag, str) else None
        if old is None:
            continue
        new = f"{prefix}-{NCNAME_BAD.sub('-', old.strip())}"
        while new in ids.values():
            new += "-x"
        if old in ids:
            del element.attrib["id"]
            continue
        ids[old] = new
        element.set("id", new)
    for link in list(root.iter("a")):
        href = link.get("href") or ""
        if href.startswith("#"):
            target = ids.get(href[1:])
            if target:
                link.set("href", f"#{target}")
            else:
                link.drop_tag()
