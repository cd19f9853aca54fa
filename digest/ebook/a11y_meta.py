"""The package document's accessibility metadata, written from what the book contains.

EPUB Accessibility 1.1: schema.org's accessMode, accessModeSufficient, accessibilityFeature,
accessibilityHazard and accessibilitySummary, and ``dcterms:conformsTo`` with
``a11y:certifiedBy`` only when the claim is true, that is when every image has a text
alternative (the repairs of digest.content.text.accessible give one wherever a text exists; an
image they could not describe is marked, and counted here).
"""

from __future__ import annotations

from collections.abc import Sequence

from digest.content.text.accessible import UNDESCRIBED
from digest.core.models import Issue
from digest.ebook.a11y_rules import CONFORMS_TO
from digest.ebook.render import Page

UNDESCRIBED_MARK = f'class="{UNDESCRIBED}"'
# Every issue has these: nav and NCX, spine = table of contents, headings in order, CSS only in
# relative units with no forced font or colour (digest.ebook.check_css keeps that).
FEATURES = ("structuralNavigation", "tableOfContents", "readingOrder", "displayTransformability")


def undescribed_count(pages: Sequence[Page]) -> int:
    return sum(page.xhtml.count(UNDESCRIBED_MARK) for page in pages)


def accessibility_metadata(issue: Issue, pages: Sequence[Page]) -> tuple[tuple[str, str], ...]:
    """(property, value) pairs for the OPF's <meta> elements, in a fixed order."""
    images = len(issue.images)  # the articles' images and the QR codes (the cover is not among them)
    undescribed = undescribed_count(pages)
    visual = images > 0
    meta: list[tuple[str, str]] = [("schema:accessMode", "textual")]
    if visual:
        meta.append(("schema:accessMode", "visual"))
    meta.append(("schema:accessModeSufficient", "textual" if not undescribed else "textual,visual"))
    meta.extend(("schema:accessibilityFeature", feature) for feature in FEATURES)
    if visual and not undescribed:
        meta.append(("schema:accessibilityFeature", "alternativeText"))
    meta.append(("schema:accessibilityHazard", "none"))
    meta.append(("schema:accessibilitySummary", _summary(len(pages), images, undescribed)))
    if not undescribed:
        meta.extend((("dcterms:conformsTo", CONFORMS_TO), ("a11y:certifiedBy", issue.publication.publisher)))
    return tuple(meta)


def _summary(pages: int, images: int, undescribed: int) -> str:
    structure = (f"A magazine issue of {pages} pages with a two-level table of contents, a reading order "
                 "that follows it, headings in order on every page, the language of every page and "
                 "of each article in another language marked, and text that the reader can resize "
                 "and recolour.")
    if not images:
        return f"{structure} It has no images besides the cover. It meets {CONFORMS_TO}."
    if not undescribed:
        return (f"{structure} Each of its {images} images has a text alternative, or a caption that says "
                f"what it shows, or is marked as decoration. It meets {CONFORMS_TO}.")
    return (f"{structure} {undescribed} of its {images} images have no text alternative: the pages "
            f"they came from gave none, so this issue does not claim {CONFORMS_TO}.")
