"""Turn arbitrary feed or page HTML into a Kindle-safe, valid XHTML fragment.

The HTML is parsed as a browser would (digest.content.text.htmlparse). An allowlist decides what
survives: unknown elements are unwrapped (their text is kept), dangerous ones are dropped
with their content, embeds become plain links, and every attribute not listed, or whose
value EPUB's schema would refuse, is removed. digest.content.text.normalize then makes the
elements obey the XHTML content model.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from lxml import etree

from digest.content.text.accessible import make_accessible, undescribed_images
from digest.content.text.htmlparse import parse_fragment
from digest.content.text.normalize import normalize
from digest.content.text.treeops import GLOBAL_ATTRIBUTES, splice
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
# Not even copied out of the parser: what DROP removes anyway (but <source>, which pictures and
# embeds read), and attributes nothing here reads (class, style, on*, ...).
SKIPPED = frozenset(DROP - {"source"})
INVISIBLE = frozenset({"script", "style", "template"})
READ_ATTRIBUTES = frozenset({name for names in ALLOWED.values() for name in names} | set(GLOBAL_ATTRIBUTES)
                            | {"srcset", "data-src", "data-lazy-src", "data", "aria-label", "role", "aria-hidden"})
RENAME = {"h1": "h2", "strike": "s", "tt": "code", "center": "div", "article": "div", "section": "div",
          "main": "div", "header": "div", "footer": "div", "aside": "div", "address": "p"}
SAFE_SCHEMES = ("http", "https", "mailto", "ftp")
LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")
INTEGER = re.compile(r"-?[0-9]{1,9}")
COUNT = re.compile(r"[0-9]{1,9}")
# The dates and times EPUB's schema accepts in <time datetime>, the common forms only.
DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,3})?)?"
                      r"(Z|[+-][0-9]{2}:?[0-9]{2})?)?")
NCNAME_BAD = re.compile(r"[^A-Za-z0-9_.-]")
LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# An <img> declaring both sides this small (in pixels) is a tracking pixel: dropped unfetched.
TRACKING_PIXEL_SIDE = 2
PIXEL_LENGTH = re.compile(r"\s*([0-9]{1,6})\s*(?:px)?\s*$")
URI_CHARACTERS = "!$&'()*+,;=:@/?-._~%"

# What the cleaning of an element may ask for, done for all elements at once (treeops.splice).
UNWRAP, REMOVE = "unwrap", "remove"
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
    root = parse_fragment(html, skipped=SKIPPED, attributes=READ_ATTRIBUTES)
    if root is None:
        return Fragment("", "")
    # Pictures first: the <img> one of them gains must go through the loop below like any other.
    drops: dict[str, list] = {UNWRAP: [], REMOVE: []}
    for picture in list(root.iter("picture")):
        if not _reduce_picture(picture):
            drops[REMOVE].append(picture)
    undescribed = undescribed_images(root)
    for element in list(root.iter())[1:]:
        drop = _clean_element(element, base_url, resolve_image)
        if drop:
            drops[drop].append(element)
    # All at once: one by one, unwrapping and removing are quadratic over many siblings.
    splice(unwrap=drops[UNWRAP], remove=drops[REMOVE])
    normalize(root)
    make_accessible(root, undescribed)
    _prefix_ids(root, id_prefix)
    xhtml = _escape_text(root.text or "") + "".join(
        etree.tostring(child, method="xml", encoding="unicode") for child in root
    )
    # itertext, not text_content: adjacent blocks must not glue their words together
    return Fragment(xhtml, " ".join(" ".join(root.itertext()).split()))


# Selection, language detection, the summary test, the length caps and the article each read an
# entry's text: remembered, one parse per body instead of five. Big enough for a large issue's
# entries, small enough to bound what the preview's long-lived process keeps.
@functools.lru_cache(maxsize=2048)
def html_text(html: str) -> str:
    """The visible words of an HTML fragment, whitespace collapsed (no scripts or styles)."""
    root = parse_fragment(html, skipped=INVISIBLE)
    if root is None:
        return ""
    return " ".join(" ".join(root.itertext()).split())


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clean_element(element, base_url: str, resolve_image: ImageResolver) -> str | None:
    """Clean ``element`` in place, or say that it must go: UNWRAP or REMOVE."""
    if not isinstance(element.tag, str):
        return None
    tag = element.tag.lower().rpartition("}")[2]
    if tag in DROP:
        return REMOVE
    if tag in EMBEDS:
        return _replace_embed(element, base_url)
    if tag == "picture":
        tag = "span"  # reduced to its one <img> before this loop
    tag = RENAME.get(tag, tag)
    if tag not in ALLOWED:
        return UNWRAP
    if tag == "img" and declares_tracking_pixel(element):  # asking for it would tell the tracker
        return REMOVE
    element.tag = tag
    allowed = ALLOWED[tag] + GLOBAL_ATTRIBUTES
    lazy_src = element.get("data-src") or element.get("data-lazy-src") or best_srcset(element.get("srcset"))
    for name in list(element.attrib):
        if name not in allowed:
            del element.attrib[name]
    _check_values(element, tag, base_url)
    if tag == "a":
        return _clean_link(element, base_url)
    if tag == "img":
        return _clean_image(element, base_url, lazy_src, resolve_image)
    return None


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


def _replace_embed(element, base_url: str) -> str | None:
    src = element.get("src") or element.get("data") or next(
        (s.get("src") for s in element.iter("source") if s.get("src")), "")
    title = element.get("title") or element.get("aria-label") or ""
    url = _link_target(base_url, src)
    if not url.startswith(("http://", "https://")):
        return REMOVE
    link = etree.Element("a", href=url)
    link.text = f"{title or 'Embedded media'} (opens on the web)"
    paragraph = etree.Element("p")
    paragraph.append(link)
    paragraph.tail = element.tail
    element.getparent().replace(element, paragraph)
    return None


def _reduce_picture(picture) -> bool:
    """Keep one <img>: the fallback img, else the first <source>'s best candidate (False: there is none)."""
    image = next(picture.iter("img"), None)
    if image is None:
        source = next((s for s in picture.iter("source") if s.get("srcset")), None)
        if source is None:
            return False
        image = etree.Element("img", src=best_srcset(source.get("srcset")) or "", alt="")
    elif not image.get("src") and not image.get("data-src"):
        source = next((s for s in picture.iter("source") if s.get("srcset")), None)
        if source is not None:
            image.set("src", best_srcset(source.get("srcset")) or "")
    for child in list(picture):
        picture.remove(child)
    picture.text = None
    picture.append(image)
    return True


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


def _clean_link(link, base_url: str) -> str | None:
    href = (link.get("href") or "").strip()
    if href.startswith("#"):
        return None  # rewritten with the id prefix, or unlinked if it points nowhere
    url = _link_target(base_url, href)
    if not url:
        return UNWRAP
    link.set("href", url)
    return None


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


def _clean_image(image, base_url: str, lazy_src: str | None, resolve_image: ImageResolver) -> str | None:
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
            caption = etree.Element("span")
            caption.set("class", "missing-image")
            caption.text = f"[Image: {alt}]"
            caption.tail = image.tail
            image.getparent().replace(image, caption)
            return None
        return REMOVE
    image.set("src", local)
    image.set("alt", alt)
    return None


def declares_tracking_pixel(image) -> bool:
    """Whether an ``<img>`` says it is at most TRACKING_PIXEL_SIDE pixels wide and high."""
    sides = [PIXEL_LENGTH.match(image.get(name) or "") for name in ("width", "height")]
    return all(side is not None and int(side[1]) <= TRACKING_PIXEL_SIDE for side in sides)


def _prefix_ids(root, prefix: str) -> None:
    """Prefix every id, keep them unique, rewrite #links to them, unlink #links to nothing."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    tried: dict[str, int] = {}  # an id as cleaned -> the last number tried after it
    for element in root.iter():
        old = element.get("id") if isinstance(element.tag, str) else None
        if old is None:
            continue
        if old in ids:
            del element.attrib["id"]
            continue
        # "a b" and "a-b" clean to the same id: the second becomes "a-b-2" (counting on from
        # the last number tried, so thousands of them cost no more than thousands of ids)
        new = base = f"{prefix}-{NCNAME_BAD.sub('-', old.strip())}"
        while new in taken:
            tried[base] = tried.get(base, 1) + 1
            new = f"{base}-{tried[base]}"
        taken.add(new)
        ids[old] = new
        element.set("id", new)
    unlinked = []
    for link in root.iter("a"):
        href = link.get("href") or ""
        if href.startswith("#"):
            target = ids.get(href[1:])
            if target:
                link.set("href", f"#{target}")
            else:
                unlinked.append(link)
    splice(unwrap=unlinked)
