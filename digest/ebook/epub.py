"""Assemble the EPUB 3 with ebooklib and write it, byte-reproducible, straight to a file."""

from __future__ import annotations

import functools
import hashlib
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from ebooklib import epub

from digest.core.models import ImageData, Issue, data_bytes, data_size
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
    """A book's files as ebooklib wrote them (images as empty entries), before the slow part:
    compressing them reproducibly."""

    draft: BinaryIO
    moment: datetime
    language: str
    images: Mapping[str, ImageData]
    """Each image's entry name and content: bytes, or the file holding them (see
    digest.content.images.cache). Their names tell their content (see BookImage.href)."""

    def digest(self) -> str:
        """SHA-256 of what the final file holds (names, contents, date): equal digests, equal bytes.

        An image counts by its name and size, so the images are never read to be hashed."""
        sha = hashlib.sha256(self.moment.isoformat().encode())
        self.draft.seek(0)
        with zipfile.ZipFile(self.draft) as draft:
            for info in draft.infolist():
                name = info.filename.encode()
                image = self.images.get(info.filename)
                if image is not None:
                    size = data_size(image)
                    sha.update(b"%d %s %d\n" % (len(name), name, size))
                    continue
                content = _with_language(self.language, info.filename, draft.read(info))
                sha.update(b"%d %s %d\n" % (len(name), name, len(content)))
                sha.update(content)
        return sha.hexdigest()

    def write(self, target: Path) -> None:
        """Zip the EPUB file to ``target``, streaming each image in place of its empty entry.

        A new file, never the old one rewritten: ``target`` may be a hard link to a published
        book (digest.ebook.memo.link_or_copy)."""
        self.draft.seek(0)
        target.unlink(missing_ok=True)
        with target.open("wb") as out:
            reproducible_zip(self.draft, out, self.moment,
                             functools.partial(_final_content, self.language, self.images))


def write_epub(issue: Issue, pages: tuple[Page, ...], theme: Theme, target: Path) -> None:
    """Write the EPUB file to ``target``, never holding the whole book in memory.

    ebooklib drafts the book with empty image entries into a temp file; the reproducible copy
    then streams each image from its own file (see digest.content.images.cache) in
    place of the empty entry, one at a time."""
    with draft_epub(issue, pages, theme) as book:
        book.write(target)


@contextmanager
def draft_epub(issue: Issue, pages: tuple[Page, ...], theme: Theme) -> Iterator[DraftBook]:
    """The book drafted by ebooklib into a temp file (kept while in use), to be zipped (see DraftBook)."""
    book = _book(issue, pages, theme)
    with tempfile.TemporaryFile() as draft:
        # compresslevel 0: this zip is only read back by reproducible_zip, which compresses once.
        epub.write_epub(draft, book, {"epub3_landmark": False, "epub3_pages": False, "compresslevel": 0,
                                      "mtime": issue.month.issue_date})
        yield DraftBook(draft, issue.month.issue_date, issue.publication.language,
                        {f"{book.FOLDER_NAME}/{image.href}": image.data for image in issue.images})


def _book(issue: Issue, pages: tuple[Page, ...], theme: Theme) -> epub.EpubBook:
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
    for index, image in enumerate(issue.images):  # filled in by DraftBook.write
        book.add_item(epub.EpubItem(uid=f"img{index + 1:03d}", file_name=image.href, media_type=image.media_type,
                                    content=b""))

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

    return book


def _final_content(language: str, images: Mapping[str, ImageData], name: str, content: bytes) -> bytes | Path:
    """An image's own content in place of its empty draft entry; any other file as _with_language gives it."""
    if name not in images:
        return _with_language(language, name, content)
    image = images[name]
    return image if isinstance(image, (bytes, Path)) else data_bytes(image)


def _with_language(language: str, name: str, content: bytes) -> bytes:
    """The package document with its own xml:lang (ebooklib writes none; Ace requires it)."""
    if not name.endswith(".opf"):
        return content
    return content.replace(b"<package ", f'<package xml:lang="{language}" '.encode(), 1)
