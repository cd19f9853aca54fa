"""Repairs that make a cleaned article accessible: WCAG 2.2 AA as Ace by DAISY checks it.

Applied by the sanitizer to every article body after the XHTML content model holds:
headings re-leveled under the page's title, header cells that name their column, links
that name their target, and a text alternative for every image chosen in the order WCAG
allows (docs/accessibility.md). An image whose meaning no text gives is marked with
UNDESCRIBED, so the book itself says which images keep it from claiming conformance.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from digest.content.text.treeops import splice

HEADINGS = ("h2", "h3", "h4", "h5", "h6")
FIRST_LEVEL = 2
"""The page's title is its h1: an article's own headings start one level below."""
UNDESCRIBED = "no-text-alternative"
"""The class of an image whose meaning no text gives (alt="" until an editor writes one)."""
DECORATIVE_ROLES = frozenset({"presentation", "none"})
# A language tag's first subtag is 2 or 3 letters (ISO 639); "c" or "english" names no language.
PRIMARY_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-|$)")


def undescribed_images(root) -> list:
    """The images the page gives no alt attribute and does not mark as decoration.

    Read before the sanitizer drops ``role`` and ``aria-hidden`` and sets every alt.
    """
    return [image for image in root.iter("img")
            if image.get("alt") is None and (image.get("role") or "").strip() not in DECORATIVE_ROLES
            and (image.get("aria-hidden") or "").strip() != "true"]


def make_accessible(root, undescribed: list) -> None:
    """Repair ``root`` in place (``undescribed``: what undescribed_images returned before cleaning)."""
    drop_empty_headings(root)
    relevel_headings(root)
    name_header_cells(root)
    drop_unknown_languages(root)
    choose_alt_text(root, undescribed)
    name_links(root)


def relevel_headings(root) -> None:
    """Headings that never skip a level, the first at h2, the page's outline kept.

    A page whose headings start at h4 and jump from h2 to h5 keeps their nesting, not
    their numbers: each heading sits one level below the nearest earlier, higher one.
    """
    stack: list[tuple[int, int]] = []  # (level on the page, level in the book)
    for heading in root.iter(*HEADINGS):
        level = int(heading.tag[1])
        while stack and stack[-1][0] > level:
            stack.pop()
        if stack and stack[-1][0] == level:
            placed = stack[-1][1]
            stack.pop()
        else:
            placed = min(stack[-1][1] + 1, 6) if stack else FIRST_LEVEL
        stack.append((level, placed))
        heading.tag = f"h{placed}"


def drop_empty_headings(root) -> None:
    """A heading without text announces nothing: one around an image becomes a paragraph, else it goes."""
    empty = []
    for heading in list(root.iter(*HEADINGS)):
        if _has_text(heading) or any(img.get("alt") for img in heading.iter("img")):
            continue
        if next(heading.iter("img"), None) is not None:
            heading.tag = "p"
        else:
            empty.append(heading)
    splice(unwrap=empty)


def drop_unknown_languages(root) -> None:
    """A lang that names no language ("c", from a video player's markup) misleads a screen reader's voice."""
    for element in root.xpath(".//*[@lang]"):
        if not PRIMARY_LANGUAGE.match(element.get("lang")):
            del element.attrib["lang"]


def name_header_cells(root) -> None:
    """A header cell without text is a data cell: an empty <th> names no column for a screen reader."""
    for cell in root.iter("th"):
        if not _has_text(cell) and not any(img.get("alt") for img in cell.iter("img")):
            cell.tag = "td"
            cell.attrib.pop("scope", None)


def choose_alt_text(root, undescribed: list) -> None:
    """Every image's alt, in WCAG's order: the page's alt, the figure's caption, the image's title.

    An image the page marked as decoration (alt="", role presentation) and one whose figure
    caption says what it shows get alt="" and role presentation; one with no text at all
    is marked UNDESCRIBED.
    """
    missing = set(undescribed)
    for image in root.iter("img"):
        alt = " ".join((image.get("alt") or "").split())
        if not alt and image in missing:
            alt = " ".join((image.get("title") or "").split())
        image.set("alt", alt)
        if alt:
            continue
        if image in missing and not _captioned(image):
            image.set("class", UNDESCRIBED)
        else:
            image.set("role", "presentation")


def name_links(root) -> None:
    """Every link names its target: an image-only link through its image, an empty link unwrapped."""
    empty = []
    for link in list(root.iter("a")):
        if _has_text(link) or any(img.get("alt") for img in link.iter("img")):
            continue
        images = list(link.iter("img"))
        if not images:
            empty.append(link)
            continue
        image = images[0]
        # A linked image's alt names what the link does (WCAG's functional image): that describes it.
        image.set("alt", " ".join((link.get("title") or "").split()) or _link_words(link.get("href") or ""))
        image.attrib.pop("role", None)
        image.attrib.pop("class", None)
    splice(unwrap=empty)


def _link_words(href: str) -> str:
    """'Link to example.com/guides/setup': what a reader hears for a link that says nothing else."""
    parts = urlsplit(href)
    if parts.scheme == "mailto":
        return f"E-mail {parts.path}"
    place = (parts.hostname or "").removeprefix("www.") + parts.path.rstrip("/")
    return f"Link to {place}" if place else "Link"


def _captioned(image) -> bool:
    figure = next((parent for parent in image.iterancestors("figure")), None)
    return figure is not None and any(_has_text(caption) for caption in figure.iter("figcaption"))


def _has_text(element) -> bool:
    return any(not text.isspace() for text in element.itertext() if text)
