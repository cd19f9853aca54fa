"""A page's own quirks, fixed before extraction: links, lazy images, code listings, captions.

trafilatura reads the page as it is; these rewrite the markup patterns it misreads
(links resolved against the site root, lazy-loaded images without a src, numbered code
listings laid out as tables, Blogger's caption tables, <pre> without <code>).
"""

from __future__ import annotations

import re

from lxml import etree

from digest.content.text.sanitize import best_srcset, declares_tracking_pixel
from digest.content.text.treeops import splice
from digest.core.urls import absolute_url

IMAGE_FILE = re.compile(r"\.(jpe?g|png|gif|webp)(\?|$)", re.IGNORECASE)
PERMALINK_MARKS = frozenset({"¶", "§", "#", "🔗", "↩", "↩\ufe0e", "↩\ufe0f"})
FORMATTING = frozenset({"b", "strong", "i", "em", "u", "code", "span", "small", "mark", "sup", "sub"})
LAZY_ATTRIBUTES = ("data-src", "data-lazy-src", "data-original", "data-url")


def prepare_links(tree, url: str) -> None:
    """Make links absolute against the page itself (trafilatura resolves against the site root).

    Permalink markers (¶ after headings) go; links to anchors in the page are unlinked,
    since the extracted article keeps no ids for them to point to.
    """
    links = list(tree.iter("a"))
    icons = [(link, image) for link in links if link.text_content().strip() for image in link.iter("img")]
    # An icon inside a text link: trafilatura moves it, and its text, behind the paragraph.
    splice(remove=[image for _, image in icons])  # its tail stays where it was
    for link, image in icons:
        image.tail = None
        link.addprevious(image)
    unwrapped, removed = [], []
    for link in links:
        href = (link.get("href") or "").strip()
        images = link.findall(".//img")
        if len(images) == 1 and not link.text_content().strip():
            # An image linked to its full-size self (Blogger, WordPress): keep the larger one.
            if IMAGE_FILE.search(href):
                images[0].set("src", href)
                images[0].attrib.pop("srcset", None)
            unwrapped.append(link)
        elif link.text_content().strip() in PERMALINK_MARKS:
            removed.append(link)
        elif href.startswith("#"):
            unwrapped.append(link)
        else:
            unwrapped += _formatting_around(link)
    # All at once: one by one, unwrapping is quadratic over many siblings.
    splice(unwrap=unwrapped, remove=removed)
    tree.make_links_absolute(url, resolve_base_href=True, handle_failures="discard")


def _formatting_around(link) -> list:
    """<a><b>x</b></a> and <b><a>x</a></b> as <a>x</a>: the formatting to unwrap. trafilatura drops
    it there and the text after it with it ("Southern Alps</b></a> dominate" -> "Alpsdominate")."""
    found = []
    inner = next(iter(link), None)
    if inner is not None and _only_child(inner) and inner.tag in FORMATTING and not (link.text or "").strip() \
            and not (inner.tail or "").strip():
        found.append(inner)
    parent = link.getparent()
    if parent is not None and parent.tag in FORMATTING and _only_child(link) \
            and not (parent.text or "").strip() and not (link.tail or "").strip():
        found.append(parent)
    return found


def _only_child(element) -> bool:
    """Whether ``element`` has no element siblings (len() of the parent would walk them all)."""
    return element.getprevious() is None and element.getnext() is None


def drop_tracking_pixels(tree) -> None:
    """Remove the ``<img>`` that declare themselves 1x1 and the like, before extraction drops
    their width and height and the sanitizer can no longer tell them from pictures."""
    splice(remove=[image for image in tree.iter("img") if declares_tracking_pixel(image)])


def resolve_lazy_images(tree, url: str) -> None:
    """Give lazy-loaded images (data-src, srcset only, <picture> sources) a real src."""
    for image in tree.iter("img"):
        src = (image.get("src") or "").strip()
        if src and not src.startswith("data:") and not re.search(r"placeholder|blank|spacer|lazy", src):
            continue
        candidate = next((image.get(name) for name in LAZY_ATTRIBUTES if image.get(name)), None)
        candidate = candidate or best_srcset(image.get("data-srcset") or image.get("srcset"))
        parent = image.getparent()
        if candidate is None and parent is not None and parent.tag == "picture":
            # The source without a type is the plain format; WebP needs converting later.
            sources = sorted((s for s in parent.iter("source") if s.get("srcset")),
                             key=lambda s: s.get("type") == "image/webp")
            candidate = best_srcset(sources[0].get("srcset")) if sources else None
        if candidate:
            image.set("src", absolute_url(url, candidate))


def unwrap_line_numbers(tree) -> None:
    """Pygments and Chroma lay out numbered listings as a two-cell table; keep the code cell."""
    for table in list(tree.iter("table")):
        cells = table.xpath(".//td")
        if len(cells) == 2 and all(cell.find(".//pre") is not None for cell in cells):
            code = cells[1].find(".//pre")
            code.tail = table.tail
            table.getparent().replace(table, code)


def blogger_captions_to_figures(tree) -> None:
    """Blogger captions an image with a two-row table; make it the <figure> it means."""
    for table in list(tree.xpath('//table[contains(concat(" ", @class, " "), " tr-caption-container ")]')):
        image = next(table.iter("img"), None)
        caption = table.xpath('.//td[contains(@class, "tr-caption")]')
        if image is None or not caption:
            continue
        figure = etree.Element("figure")
        figure.append(image)
        etree.SubElement(figure, "figcaption").text = " ".join(caption[0].text_content().split())
        figure.tail = table.tail
        table.getparent().replace(table, figure)


def wrap_preformatted(tree) -> None:
    """Put <code> in every <pre>: trafilatura otherwise guesses, and turns shell listings into quotes."""
    for pre in tree.iter("pre"):
        if pre.find(".//code") is None:
            code = etree.SubElement(pre, "code")
            code.text, pre.text = pre.text, None
            for child in list(pre)[:-1]:
                code.append(child)
