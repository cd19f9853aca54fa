"""The Kindle rules EPUBCheck does not know, each a function from a Book to its findings.

They encode what Send to Kindle and Kindle devices reject or render badly (see the
"Kindle-ready, checkably" part of the product brief). Each rule has a short id that the
report, the JSON output and the tests use.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import tinycss2
from lxml import etree
from PIL import Image, UnidentifiedImageError

from digest.core.errors import UnreadableBookError
from digest.core.vocabulary import BOOK_BUDGET_MB, MB, SEND_TO_KINDLE_LIMIT_MB
from digest.core.zips import Members, OverCap
from digest.ebook import check_css as css

XHTML_NS = "http://www.w3.org/1999/xhtml"
OPF_NS = "http://www.idpf.org/2007/opf"
DC_NS = "http://purl.org/dc/elements/1.1/"
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
CONTAINER_ROOTFILE = "{urn:oasis:names:tc:opendocument:xmlns:container}rootfile"

KINDLE_MB = 1_000_000
"""Amazon's megabyte, as the send and book limits are read (decimal, the stricter reading)."""
MEMBER_CAP = 100 * MB
"""Largest file of a book unpacked for the check (the whole book must stay under 50 MB)."""
TOTAL_CAP = 300 * MB
"""Largest sum of its files unpacked."""
XHTML_FILE_KB = 300
COVER_RATIO = (1.5, 1.7)
COVER_MIN = (625, 1000)
XML_DECLARATION = re.compile(rb"""^(\xef\xbb\xbf)?<\?xml[^>]*encoding\s*=\s*["']utf-8["']""", re.I)
XML_COMMENT = re.compile(rb"<!--(.*?)-->", re.S)
XML_FILES = (".xhtml", ".html", ".htm", ".opf", ".ncx", ".xml", ".svg")
TEXT_FILES = (*XML_FILES, ".css")
REMOTE = re.compile(r"^\s*(https?:|ftp:|//)", re.I)
# Elements whose attribute pulls a resource into the page (links to read elsewhere, <a href>, do not).
LOADING_ATTRIBUTES = (("img", "src"), ("script", "src"), ("iframe", "src"), ("embed", "src"),
                      ("audio", "src"), ("video", "src"), ("video", "poster"), ("source", "src"),
                      ("track", "src"), ("object", "data"), ("link", "href"))
KINDLE_IMAGE_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png",
                      b"GIF87a": "image/gif", b"GIF89a": "image/gif"}
OTHER_IMAGE_TYPES = ((re.compile(rb"^RIFF....WEBP", re.S), "WebP"), (re.compile(rb"^....ftypavi", re.S), "AVIF"),
                     (re.compile(rb"^(II\*\x00|MM\x00\*)"), "TIFF"), (re.compile(rb"^BM"), "BMP"),
                     (re.compile(rb"^\s*(<\?xml[^>]*>\s*)?<svg", re.S), "SVG"))
WHOLE_PAGE_SELECTORS = {"body", "html", ":root", "*"}
MARGINS = {"margin", "margin-top", "margin-right", "margin-bottom", "margin-left"}
XML_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)


@dataclass(frozen=True)
class Finding:
    rule: str
    where: str
    """The book, or the file inside it (with a line number when known)."""
    message: str
    severity: str = "error"
    files: tuple[str, ...] = ()
    """Every file of the book the finding is about, when it names more than ``where``."""
    """``error`` fails the check; ``warning`` is reported only."""


@dataclass(frozen=True)
class Item:
    """One manifest entry; ``name`` is its path inside the zip."""

    id: str
    name: str
    href: str
    media_type: str
    properties: frozenset[str]


@dataclass(frozen=True)
class Book:
    path: Path
    size: int
    files: Members
    """Its text files held, the others (images) read when asked for."""
    opf: etree._Element
    items: tuple[Item, ...]
    documents: dict[str, etree._Element]
    """Every XHTML content document, parsed leniently so one flaw does not hide the others."""


@contextmanager
def read_book(path: Path) -> Iterator[Book]:
    """The book at ``path``, open for the rules while the block runs (they read its images from it)."""
    try:
        size = path.stat().st_size
        files = Members(path, MEMBER_CAP, TOTAL_CAP, keep=lambda name: name.lower().endswith(TEXT_FILES))
    except FileNotFoundError:
        raise UnreadableBookError(f"{path}: no such file") from None
    except OverCap as exc:
        raise UnreadableBookError(f"{path}: not checked: {exc.what}: {exc} (a book for Kindle stays under "
                                  f"{SEND_TO_KINDLE_LIMIT_MB} MB; a zip bomb?)") from None
    except (OSError, EOFError, zlib.error, NotImplementedError, zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise UnreadableBookError(f"{path}: not an EPUB (cannot read it as a zip: {exc})") from None
    with closing(files):
        try:
            container = etree.fromstring(files["META-INF/container.xml"])
            opf_name = container.find(f".//{CONTAINER_ROOTFILE}").get("full-path")
            opf = etree.fromstring(files[opf_name])
        except (KeyError, AttributeError, etree.XMLSyntaxError) as exc:
            raise UnreadableBookError(f"{path}: not an EPUB (no readable package document: {exc})") from None
        folder = posixpath.dirname(opf_name)
        items = tuple(
            Item(el.get("id", ""), posixpath.normpath(posixpath.join(folder, el.get("href", ""))), el.get("href", ""),
                 el.get("media-type", ""), frozenset(el.get("properties", "").split()))
            for el in opf.iterfind(f"{{{OPF_NS}}}manifest/{{{OPF_NS}}}item"))
        documents = {item.name: etree.fromstring(files[item.name], XML_PARSER) for item in items
                     if item.media_type == "application/xhtml+xml" and files.get(item.name, b"").strip()}
        yield Book(path, size, files, opf, items, {k: v for k, v in documents.items() if v is not None})


def _line(element: etree._Element, name: str) -> str:
    return f"{name}:{element.sourceline}" if element.sourceline else name


def remote_resources(book: Book) -> Iterator[Finding]:
    for item in book.items:
        if REMOTE.match(item.href):
            yield Finding("remote-resource", "package document", f"manifest item {item.id!r} is remote: {item.href}")
    for name, doc in book.documents.items():
        for tag, attribute in LOADING_ATTRIBUTES:
            for element in doc.iter(f"{{{XHTML_NS}}}{tag}"):
                if REMOTE.match(element.get(attribute, "")):
                    yield Finding("remote-resource", _line(element, name),
                                  f"<{tag} {attribute}=\"{element.get(attribute)}\"> loads from the internet")
        for element in doc.iter(f"{{{SVG_NS}}}image"):
            href = element.get(XLINK_HREF) or element.get("href") or ""
            if REMOTE.match(href):
                yield Finding("remote-resource", _line(element, name), f"<svg:image> loads {href} from the internet")
    for where, _, declaration in css.declarations(_stylesheets(book)):
        for url in css.urls(declaration.value):
            if REMOTE.match(url):
                yield Finding("remote-resource", where, f"CSS {declaration.name} loads {url} from the internet")
    for where, url in css.imports(_stylesheets(book)):
        if REMOTE.match(url):
            yield Finding("remote-resource", where, f"CSS @import loads {url} from the internet")


def image_formats(book: Book) -> Iterator[Finding]:
    for item in _images(book):
        found = _sniff(book.files[item.name])
        if found not in KINDLE_IMAGE_TYPES.values():
            yield Finding("image-format", item.name, f"is {found}; Kindle needs JPEG, PNG or GIF")
        elif found != item.media_type:
            yield Finding("image-format", item.name, f"is {found} but declared as {item.media_type}")


def image_colors(book: Book) -> Iterator[Finding]:
    for item in _images(book):
        if _sniff(book.files[item.name]) not in KINDLE_IMAGE_TYPES.values():
            continue
        try:
            with Image.open(io.BytesIO(book.files[item.name])) as image:
                mode, transparent = image.mode, "transparency" in image.info
        except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
            yield Finding("image-color", item.name, f"cannot be decoded: {exc}")
            continue
        if mode in ("RGBA", "LA", "PA") or transparent:
            yield Finding("image-color", item.name, f"has transparency ({mode}); flatten it onto white")
        elif mode not in ("1", "L", "P", "RGB"):
            yield Finding("image-color", item.name, f"is {mode}; Kindle needs RGB or grayscale")


def image_alt_text(book: Book) -> Iterator[Finding]:
    for name, doc in book.documents.items():
        for img in doc.iter(f"{{{XHTML_NS}}}img"):
            if img.get("alt") is None:
                yield Finding("img-alt", _line(img, name),
                              f"<img src=\"{img.get('src', '')}\"> has no alt (use alt=\"\" for decoration)")


def cover_declared(book: Book) -> Iterator[Finding]:
    covers = _covers(book)
    if not covers:
        yield Finding("cover-declared", "package document", "no cover image declared (properties=\"cover-image\")")
    elif len(covers) > 1:
        yield Finding("cover-declared", "package document",
                      f"{len(covers)} cover images declared ({', '.join(c.href for c in covers)}); Kindle wants one")


def cover_ratio(book: Book) -> Iterator[Finding]:
    for item, (width, height) in _cover_sizes(book):
        if not COVER_RATIO[0] <= height / width <= COVER_RATIO[1]:
            yield Finding("cover-ratio", item.name,
                          f"is {width}x{height} (1:{height / width:.2f}); Kindle covers are 1:1.6, ideally 1600x2560")


def cover_size(book: Book) -> Iterator[Finding]:
    for item, (width, height) in _cover_sizes(book):
        if width < COVER_MIN[0] or height < COVER_MIN[1]:
            yield Finding("cover-size", item.name, f"is {width}x{height}; Kindle needs at least 625x1000")


def single_title(book: Book) -> Iterator[Finding]:
    titles = book.opf.findall(f"{{{OPF_NS}}}metadata/{{{DC_NS}}}title")
    if len(titles) != 1:
        yield Finding("single-title", "package document",
                      f"has {len(titles)} dc:title elements; Send to Kindle wants exactly one")


def language(book: Book) -> Iterator[Finding]:
    if not any((el.text or "").strip() for el in book.opf.iterfind(f"{{{OPF_NS}}}metadata/{{{DC_NS}}}language")):
        yield Finding("language", "package document", "no dc:language; Send to Kindle rejects books without one")


def file_size(book: Book) -> Iterator[Finding]:
    megabytes, limit = f"{book.size / KINDLE_MB:.1f} MB", f"{SEND_TO_KINDLE_LIMIT_MB} MB"
    if book.size > SEND_TO_KINDLE_LIMIT_MB * KINDLE_MB:
        yield Finding("file-size", book.path.name, f"is {megabytes}; Send to Kindle takes at most {limit}")
    elif book.size > BOOK_BUDGET_MB * KINDLE_MB:
        yield Finding("file-size", book.path.name, f"is {megabytes}, close to the {limit} Send to Kindle limit",
                      "warning")


def xhtml_file_size(book: Book) -> Iterator[Finding]:
    """A warning only: such a book is valid and Send to Kindle takes it, but a Kindle turns pages
    slowly (older ones run out of memory) in a content file past a few hundred kB."""
    for item in book.items:
        size = len(book.files.get(item.name, b""))
        if item.media_type == "application/xhtml+xml" and size > XHTML_FILE_KB * 1000:
            yield Finding("xhtml-size", item.name, f"is {size / 1000:.0f} kB; Kindle devices slow down past "
                          f"{XHTML_FILE_KB} kB in one content file (split it, or shorten the article)", "warning")


def xml_declarations(book: Book) -> Iterator[Finding]:
    for item in book.items:
        if item.media_type == "application/xhtml+xml" and not XML_DECLARATION.match(book.files.get(item.name, b"")):
            yield Finding("xml-declaration", item.name,
                          "does not start with <?xml version=\"1.0\" encoding=\"utf-8\"?>")


def xml_comments(book: Book) -> Iterator[Finding]:
    for name in book.files:
        if not name.lower().endswith(XML_FILES):
            continue
        data = book.files[name]
        for match in XML_COMMENT.finditer(data):
            if b"--" in match.group(1) or match.group(1).endswith(b"-"):
                line = data.count(b"\n", 0, match.start()) + 1
                yield Finding("xml-comment", f"{name}:{line}", "an XML comment contains '--'")


def css_variables(book: Book) -> Iterator[Finding]:
    for where, _, declaration in css.declarations(_stylesheets(book)):
        if declaration.name.startswith("--"):
            yield Finding("css-variables", where, f"custom property {declaration.name}: Kindle ignores CSS variables")
        elif "var" in css.functions(declaration.value):
            yield Finding("css-variables", where, f"{declaration.name} uses var(): Kindle ignores CSS variables")


def css_negative_margins(book: Book) -> Iterator[Finding]:
    for where, _, declaration in css.declarations(_stylesheets(book)):
        if declaration.lower_name in MARGINS and any(
                token.type in ("dimension", "number", "percentage") and token.value < 0
                for token in declaration.value):
            value = tinycss2.serialize(declaration.value).strip()
            yield Finding("css-negative-margin", where, f"{declaration.name}: {value}")


def css_body_font(book: Book) -> Iterator[Finding]:
    for where, selectors, declaration in css.declarations(_stylesheets(book)):
        if selectors & WHOLE_PAGE_SELECTORS and declaration.lower_name in ("font-family", "font"):
            yield Finding("css-body-font", where,
                          f"{declaration.name} on {', '.join(sorted(selectors))} overrides the reader's font")


def css_body_color(book: Book) -> Iterator[Finding]:
    for where, selectors, declaration in css.declarations(_stylesheets(book)):
        if selectors & WHOLE_PAGE_SELECTORS and declaration.lower_name == "color":
            yield Finding("css-body-color", where, f"color on {', '.join(sorted(selectors))} breaks night mode")


def css_position_fixed(book: Book) -> Iterator[Finding]:
    for where, _, declaration in css.declarations(_stylesheets(book)):
        if declaration.lower_name == "position" and "fixed" in css.idents(declaration.value):
            yield Finding("css-position-fixed", where, "position: fixed is not supported on Kindle")


RULES: tuple[tuple[str, Callable[[Book], Iterator[Finding]]], ...] = (
    ("remote-resource", remote_resources), ("image-format", image_formats), ("image-color", image_colors),
    ("img-alt", image_alt_text), ("cover-declared", cover_declared), ("cover-ratio", cover_ratio),
    ("cover-size", cover_size), ("single-title", single_title), ("language", language),
    ("file-size", file_size), ("xhtml-size", xhtml_file_size), ("xml-declaration", xml_declarations),
    ("xml-comment", xml_comments),
    ("css-variables", css_variables), ("css-negative-margin", css_negative_margins),
    ("css-body-font", css_body_font), ("css-body-color", css_body_color),
    ("css-position-fixed", css_position_fixed),
)


def kindle_findings(book: Book) -> tuple[Finding, ...]:
    return tuple(finding for _, rule in RULES for finding in rule(book))


def _images(book: Book) -> Iterator[Item]:
    return (item for item in book.items if item.media_type.startswith("image/") and item.name in book.files)


def _sniff(data: bytes) -> str:
    for magic, media_type in KINDLE_IMAGE_TYPES.items():
        if data.startswith(magic):
            return media_type
    return next((name for pattern, name in OTHER_IMAGE_TYPES if pattern.match(data[:512])), "not a known image format")


def _covers(book: Book) -> list[Item]:
    covers = [item for item in book.items if "cover-image" in item.properties]
    if not covers and book.opf.get("version", "").startswith("2"):
        meta = book.opf.find(f"{{{OPF_NS}}}metadata/{{{OPF_NS}}}meta[@name='cover']")
        covers = [item for item in book.items if meta is not None and item.id == meta.get("content")]
    return covers


def _cover_sizes(book: Book) -> Iterator[tuple[Item, tuple[int, int]]]:
    for item in _covers(book)[:1]:
        try:
            with Image.open(io.BytesIO(book.files[item.name])) as image:
                yield item, image.size
        except (KeyError, OSError, UnidentifiedImageError, Image.DecompressionBombError):
            continue  # a missing or broken cover file is EPUBCheck's and image-format's finding


def _stylesheets(book: Book) -> Iterator[css.Sheet]:
    """Every style sheet, <style> element and style attribute of the book."""
    for item in book.items:
        if item.media_type == "text/css" and item.name in book.files:
            yield item.name, book.files[item.name].decode("utf-8", "replace"), None
    for name, doc in book.documents.items():
        for style in doc.iter(f"{{{XHTML_NS}}}style"):
            yield _line(style, name), style.text or "", None
        for element in doc.iterfind(".//*[@style]"):
            yield _line(element, name), element.get("style"), etree.QName(element).localname
