"""The accessibility rules: what Ace by DAISY checks, checked in Python on every build.

Each rule is a function from a Book to its findings, like the Kindle rules, and catches in
milliseconds what Ace reports (docs/accessibility.md): an ``epub:type`` without its ARIA
role, a skipped heading level, a document without a language, a link or header cell that
names nothing, an image without alt. An image whose meaning no text gives is a warning per
page; a book that has one and still declares conformance is an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from lxml import etree

from digest.content.text.accessible import UNDESCRIBED
from digest.ebook.check_rules import OPF_NS, XHTML_NS, Book, Finding, _line

EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CONFORMS_TO = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"
# The epub:type values that have a DPUB-ARIA role "doc-<type>" (the ones Ace matches).
A11Y_ROLES = frozenset({
    "abstract", "acknowledgments", "afterword", "appendix", "biblioentry", "bibliography", "biblioref",
    "chapter", "colophon", "conclusion", "cover", "credit", "credits", "dedication", "endnote", "endnotes",
    "epigraph", "epilogue", "errata", "example", "footnote", "glossary", "glossref", "index", "introduction",
    "noteref", "notice", "pagebreak", "page-list", "part", "preface", "prologue", "pullquote", "qna",
    "subtitle", "tip", "toc",
})
# Elements whose own epub:type Ace does not ask a role of: <body> takes none, and the landmarks
# nav lists places (its links' types name where they go, not what they are).
ROLELESS = frozenset({f"{{{XHTML_NS}}}body", f"{{{XHTML_NS}}}html"})
HEADINGS = tuple(f"{{{XHTML_NS}}}h{level}" for level in range(1, 7))


def epub_type_roles(book: Book) -> Iterator[Finding]:
    for name, doc in book.documents.items():
        for element in doc.iter():
            types = set((element.get(EPUB_TYPE) or "").split()) & A11Y_ROLES
            if not types or element.tag in ROLELESS or _in_landmarks(element):
                continue
            roles = set((element.get("role") or "").split())
            for kind in sorted(types):
                wanted = "doc-pagelist" if kind == "page-list" else f"doc-{kind}"
                if wanted not in roles:
                    yield Finding("a11y-role", _line(element, name),
                                  f"epub:type=\"{kind}\" without role=\"{wanted}\"")


def heading_order(book: Book) -> Iterator[Finding]:
    for name, doc in book.documents.items():
        previous = 0
        for heading in doc.iter(*HEADINGS):
            level = int(etree.QName(heading).localname[1])
            if not _text(heading) and not any(img.get("alt") for img in heading.iter(f"{{{XHTML_NS}}}img")):
                yield Finding("a11y-heading-order", _line(heading, name), f"h{level} has no text")
            if level > previous + 1 and previous:
                yield Finding("a11y-heading-order", _line(heading, name),
                              f"h{level} follows h{previous}: a heading level is skipped")
            previous = level


def document_language(book: Book) -> Iterator[Finding]:
    if not book.opf.get(XML_LANG):
        yield Finding("a11y-lang", "package document", "the <package> element has no xml:lang")
    for name, doc in book.documents.items():
        missing = [attribute for attribute, key in (("lang", "lang"), ("xml:lang", XML_LANG)) if not doc.get(key)]
        if missing:
            yield Finding("a11y-lang", name, f"<html> has no {' or '.join(missing)}")


def link_names(book: Book) -> Iterator[Finding]:
    for name, doc in _content(book):
        for link in doc.iter(f"{{{XHTML_NS}}}a"):
            if not _text(link) and not link.get("aria-label") and not any(
                    img.get("alt") for img in link.iter(f"{{{XHTML_NS}}}img")):
                yield Finding("a11y-link-name", _line(link, name),
                              f"the link to {link.get('href', '')!r} has no text that names it")


def table_headers(book: Book) -> Iterator[Finding]:
    for name, doc in _content(book):
        for cell in doc.iter(f"{{{XHTML_NS}}}th"):
            if not _text(cell):
                yield Finding("a11y-table-header", _line(cell, name), "a header cell <th> has no text")


def described_images(book: Book) -> Iterator[Finding]:
    """Images whose meaning no text gives: a warning per page, an error if conformance is declared."""
    declared = conformance_declared(book)
    for name, doc in book.documents.items():
        count = sum(1 for img in doc.iter(f"{{{XHTML_NS}}}img") if UNDESCRIBED in (img.get("class") or "").split())
        if count:
            title = " ".join("".join(doc.findtext(f".//{{{XHTML_NS}}}title") or name).split())
            yield Finding("a11y-image-described", name,
                          f"{count} image{'s' if count != 1 else ''} without a text alternative in {title!r}"
                          + ("; the book declares conformance all the same" if declared
                             else ", so the issue does not claim WCAG 2.2 AA"),
                          "error" if declared else "warning")


def conformance_declared(book: Book) -> bool:
    return any((meta.text or "").strip() == CONFORMS_TO for meta in book.opf.iterfind(
        f"{{{OPF_NS}}}metadata/{{{OPF_NS}}}meta[@property='dcterms:conformsTo']"))


def _content(book: Book) -> Iterator[tuple[str, etree._Element]]:
    """The content documents, without the navigation document (its links are the table of contents)."""
    navs = {item.name for item in book.items if "nav" in item.properties}
    return ((name, doc) for name, doc in book.documents.items() if name not in navs)


def _in_landmarks(element: etree._Element) -> bool:
    return any("landmarks" in (parent.get(EPUB_TYPE) or "").split() for parent in element.iterancestors())


def _text(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


A11Y_RULES: tuple[tuple[str, Callable[[Book], Iterator[Finding]]], ...] = (
    ("a11y-role", epub_type_roles), ("a11y-heading-order", heading_order), ("a11y-lang", document_language),
    ("a11y-link-name", link_names), ("a11y-table-header", table_headers),
    ("a11y-image-described", described_images),
)


def accessibility_findings(book: Book) -> tuple[Finding, ...]:
    return tuple(finding for _, rule in A11Y_RULES for finding in rule(book))
