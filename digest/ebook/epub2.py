"""The EPUB 2 periodical copy of an issue, made only to feed calibre's MOBI periodical writer.

calibre writes Kindle magazine navigation (sections, article lists with descriptions) only
when the input OPF is version 2.0, declares ``calibre:publication_type`` as
``periodical:magazine:...``, names a masthead image in its guide and has an NCX nested
periodical -> section -> article. The shipped EPUB stays EPUB 3; this copy never leaves
the converter's temp folder.
"""

from __future__ import annotations

import dataclasses
import posixpath
import zipfile
from pathlib import Path

from lxml import etree

from digest.content.images.cover import draw_masthead
from digest.core.errors import BuildError
from digest.core.models import Issue
from digest.ebook.render import Page, Theme
from digest.ebook.toc import build_toc

OPF_NS = "http://www.idpf.org/2007/opf"
CONTAINER_NS = "urn:oasis:names:tc:opendocument:xmlns:container"
NCX_TYPE = "application/x-dtbncx+xml"
MASTHEAD_ID = "masthead-image"
MASTHEAD_HREF = "images/masthead.gif"


def periodical_epub(epub: Path, issue: Issue, pages: tuple[Page, ...], theme: Theme, target: Path) -> None:
    """Write to ``target`` the same book as ``epub``, with the OPF and NCX calibre needs for a
    periodical; copied a member at a time."""
    with zipfile.ZipFile(epub) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        _copy_as_periodical(source, copy, issue, pages, theme)


def _copy_as_periodical(source: zipfile.ZipFile, target: zipfile.ZipFile, issue: Issue, pages: tuple[Page, ...],
                        theme: Theme) -> None:
    opf_name = _opf_name(source)
    opf = etree.fromstring(source.read(opf_name))
    dropped, ncx_href = _as_periodical_opf(opf, issue.publication.title)
    folder = posixpath.dirname(opf_name)
    ncx_name = posixpath.join(folder, ncx_href)
    replaced = {
        opf_name: etree.tostring(opf, xml_declaration=True, encoding="utf-8"),
        ncx_name: _periodical_ncx(issue, pages, theme),
    }
    skip = {posixpath.join(folder, href) for href in dropped}

    for info in source.infolist():
        if info.filename not in skip:
            target.writestr(info, replaced.get(info.filename) or source.read(info))
    target.writestr(posixpath.join(folder, MASTHEAD_HREF), draw_masthead(issue.publication.title))


def _opf_name(book: zipfile.ZipFile) -> str:
    container = etree.fromstring(book.read("META-INF/container.xml"))
    rootfile = container.find(f".//{{{CONTAINER_NS}}}rootfile")
    if rootfile is None:
        raise BuildError("EPUB has no rootfile in META-INF/container.xml")
    return rootfile.get("full-path")


def _as_periodical_opf(opf: etree._Element, periodical_title: str) -> tuple[list[str], str]:
    """Rewrite the package document in place; return (hrefs to drop, NCX href)."""
    opf.set("version", "2.0")
    opf.attrib.pop("prefix", None)
    metadata = opf.find(f"{{{OPF_NS}}}metadata")
    # EPUB 3 refinements (<meta property=...>) are not OPF 2 syntax.
    for meta in metadata.findall(f"{{{OPF_NS}}}meta[@property]"):
        metadata.remove(meta)
    etree.SubElement(metadata, f"{{{OPF_NS}}}meta", name="calibre:publication_type",
                     content=f"periodical:magazine:{periodical_title}")

    manifest = opf.find(f"{{{OPF_NS}}}manifest")
    dropped, ncx_href = [], None
    for item in list(manifest):
        if "nav" in item.get("properties", "").split():
            dropped.append(item.get("href"))
            manifest.remove(item)
            continue
        item.attrib.pop("properties", None)
        if item.get("media-type") == NCX_TYPE:
            ncx_href = item.get("href")
    if ncx_href is None:
        raise BuildError("EPUB has no NCX to turn into periodical navigation")
    etree.SubElement(manifest, f"{{{OPF_NS}}}item", id=MASTHEAD_ID, href=MASTHEAD_HREF,
                     attrib={"media-type": "image/gif"})

    guide = opf.find(f"{{{OPF_NS}}}guide")
    if guide is None:
        guide = etree.SubElement(opf, f"{{{OPF_NS}}}guide")
    etree.SubElement(guide, f"{{{OPF_NS}}}reference", type="masthead", title="Masthead Image", href=MASTHEAD_HREF)
    return dropped, ncx_href


def _periodical_ncx(issue: Issue, pages: tuple[Page, ...], theme: Theme) -> bytes:
    """Sections are the TOC entries that have pages (or parts) under them, which are the articles.

    The editor's note is a section holding itself as its one article: Kindle lists a
    section by its articles, and hides or mislabels one that has none.
    """
    sections = [dataclasses.replace(entry, children=(entry,)) if entry.kind == "note" else entry
                for entry in build_toc(pages) if entry.children or entry.kind == "note"]
    if not sections:
        raise BuildError("a periodical needs at least one section with articles")
    ncx = theme.templates.get_template("periodical.ncx").render(
        issue=issue, publication=issue.publication, sections=sections, start_href=sections[0].href)
    return ncx.encode("utf-8")
