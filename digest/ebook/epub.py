"""Assemble the EPUB 3 with ebooklib and make its bytes reproducible."""

from __future__ import annotations

import functools
import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import datetime

from ebooklib import epub

from digest.core.models import Issue
from digest.core.zips import reproducible_zip
from digest.ebook.a11y_meta import accessibility_metadata
from digest.ebook.render import STYLESHEET, Page, Theme
from digest.ebook.toc import build_landmarks, build_toc

COVER_IMAGE_ID = "cover-image"
XHTML = "application/xhtml+xml"


def cover_href(issue: Issue) -> str:
    return f"images/cover.{issue.cover.extension}"


def _series(book: epub.EpubBook, issue: Issue) -> None:
    """The issue as number N of the publication's series: EPUB 3 readers (and Kindle's
    Send to Kindle) read the collection, calibre its own two fields, which the EPUB 2
    periodical copy keeps."""
    title, position = issue.publication.title, str(issue.number)
    book.add_metadata(None, "meta", title, {"property": "belongs-to-collection", "id": "series"})
    book.add_metadata(None, "meta", "series", {"refines": "#series", "property": "collection-type"})
    book.add_metadata(None, "meta", position, {"refines": "#series", "property": "group-position"})
    book.add_metadata(None, "meta", "", {"name": "calibre:series", "content": title})
    book.add_metadata(None, "meta", "", {"name": "calibre:series_index", "content": position})


@dataclass(frozen=True)
class DraftBook:
    """A book's files as ebooklib wrote them, before the slow part: compressing them reproducibly."""

    draft: io.BytesIO
    moment: datetime
    language: str
    named_by_content: frozenset[str] = frozenset()
    """Files whose name tells their content (the issue's images, see BookImage.href): not read to be hashed."""

    def digest(self) -> str:
        """SHA-256 of what the final file holds (names, contents, date): equal digests, equal bytes."""
        sha = hashlib.sha256(self.moment.isoformat().encode())
        with zipfile.ZipFile(self.draft) as draft:
            for info in draft.infolist():
                name = info.filename.encode()
                if info.filename in self.named_by_content:
                    sha.update(b"%d %s %d\n" % (len(name), name, info.file_size))
                    continue
                content = _package_language(self.language, info.filename, draft.read(info))
                sha.update(b"%d %s %d\n" % (len(name), name, len(content)))
                sha.update(content)
        return sha.hexdigest()

    def zipped(self) -> bytes:
        """The EPUB file's bytes."""
        return reproducible_zip(self.draft, self.moment, functools.partial(_package_language, self.language))


def build_epub(issue: Issue, pages: tuple[Page, ...], theme: Theme) -> bytes:
    """The EPUB file's bytes."""
    return draft_epub(issue, pages, theme).zipped()


def draft_epub(issue: Issue, pages: tuple[Page, ...], theme: Theme) -> DraftBook:
    """The book's files, to be zipped (see DraftBook)."""
    pub = issue.publication
    book = epub.EpubBook()
    book.set_identifier(issue.identifier)
    book.set_title(issue.title)
    book.set_language(pub.language)
    book.add_author(pub.publisher)
    book.add_metadata("DC", "publisher", pub.publisher)
    # A full UTC timestamp: calibre reads a bare EPUB 3 date as the next day in its AZW3.
    book.add_metadata("DC", "date", issue.month.issue_date.strftime("%Y-%m-%dT%H:%M:%SZ"))
    book.add_metadata("DC", "description", pub.description or f"{pub.title}, {issue.month.label}")
    for section in issue.sections:
        book.add_metadata("DC", "subject", section.section.title)
    _series(book, issue)
    for prop, value in accessibility_metadata(issue, pages):
        book.add_metadata(None, "meta", value, {"property": prop})

    cover = epub.EpubCover(uid=COVER_IMAGE_ID, file_name=cover_href(issue))
    cover.media_type = issue.cover.media_type
    cover.content = issue.cover.data
    book.add_item(cover)
    book.add_metadata(None, "meta", "", {"name": "cover", "content": COVER_IMAGE_ID})
    book.add_item(epub.EpubItem(uid="style", file_name=STYLESHEET, media_type="text/css",
                                content=theme.css.encode("utf-8")))
    for index, image in enumerate(issue.images):
        book.add_item(epub.EpubItem(uid=f"img{index + 1:03d}", file_name=image.href, media_type=image.media_type,
                                    content=image.data))

    items = []
    for page in pages:
        item = epub.EpubItem(uid=page.file_name.removesuffix(".xhtml"), file_name=page.file_name,
                             media_type=XHTML, content=page.xhtml.encode("utf-8"))
        if page.kind == "cover":
            item.properties = ["svg"]  # the cover is scaled to the screen in an SVG box
        book.add_item(item)
        items.append(item)

    toc, landmarks = build_toc(pages), build_landmarks(pages)
    context = {"issue": issue, "publication": pub, "stylesheet": STYLESHEET, "toc": toc,
               "landmarks": landmarks, "depth": 2}
    nav = epub.EpubItem(uid="nav", file_name="nav.xhtml", media_type=XHTML,
                        content=theme.templates.get_template("nav.xhtml").render(**context).encode("utf-8"))
    nav.properties = ["nav"]
    book.add_item(nav)
    book.add_item(epub.EpubItem(uid="ncx", file_name="toc.ncx", media_type="application/x-dtbncx+xml",
                                content=theme.templates.get_template("toc.ncx").render(**context).encode("utf-8")))
    book.spine = items
    book.guide = [{"type": lm.type if lm.type != "bodymatter" else "text", "href": lm.href, "title": lm.title}
                  for lm in landmarks]

    buffer = io.BytesIO()
    # compresslevel 0: this zip is only read back by reproducible_zip, which compresses once.
    epub.write_epub(buffer, book, {"epub3_landmark": False, "epub3_pages": False, "compresslevel": 0,
                                   "mtime": issue.month.issue_date})
    return DraftBook(buffer, issue.month.issue_date, pub.language,
                     frozenset(f"{book.FOLDER_NAME}/{image.href}" for image in issue.images))


def _package_language(language: str, name: str, content: bytes) -> bytes:
    """The package document's own xml:lang (ebooklib writes none; Ace requires it)."""
    if not name.endswith(".opf"):
        return content
    return content.replace(b"<package ", f'<package xml:lang="{language}" '.encode(), 1)
