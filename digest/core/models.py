"""The frozen records that pipeline stages hand to each other."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from digest.core.config import Publication, Section
from digest.core.month import Month
from digest.core.vocabulary import reading_minutes


@dataclass(frozen=True)
class Entry:
    """One item as read from a feed, before selection."""

    source: str
    section: str
    guid: str
    title: str
    link: str
    authors: tuple[str, ...]
    published: datetime | None
    updated: datetime | None
    summary: str
    content: str
    categories: tuple[str, ...]
    language: str | None
    """Declared by the feed or entry (e.g. 'en-US'); None when the feed says nothing."""

    @property
    def date(self) -> datetime:
        """When it was published (or last updated): the feed reader drops entries with neither."""
        date = self.published or self.updated
        assert date is not None, f"entry {self.guid!r} has no date"
        return date


@dataclass(frozen=True)
class Article:
    """A selected entry, cleaned and ready to render."""

    id: str
    """Stable file-name-safe id, unique in the issue (also the page's file name stem)."""
    section: str
    title: str
    """Plain text, shortened if very long: contents, navigation, cover and Kindle lists show it."""
    authors: tuple[str, ...]
    published: datetime
    link: str
    guid: str
    source: str
    description: str
    """One line of plain text for contents pages and Kindle article lists."""
    body: str
    """Well-formed XHTML fragment."""
    word_count: int
    full_title: str = ""
    """The whole title, for the article's own page (set when ``title`` had to be shortened)."""
    language: str | None = None
    """BCP 47 tag of the article's language when it differs from the publication's."""

    @property
    def reading_minutes(self) -> int:
        return reading_minutes(self.word_count)


@dataclass(frozen=True)
class LinkBrief:
    """A whitepaper or a reference architecture carried as a page of its own, read from its document."""

    authors: tuple[str, ...] = ()
    date: str = ""
    """As a reader would write it ("January 2018"); empty when the document does not say."""
    page_count: int = 0
    """A PDF's pages; 0 for a repository."""
    paragraphs: tuple[str, ...] = ()
    """The document's own opening text: a whitepaper's abstract, a README's first paragraphs."""
    contents: tuple[str, ...] = ()
    """A whitepaper's outline (or its numbered headings)."""
    steps: tuple[str, ...] = ()
    """A reference architecture's numbered steps, when its README lists them."""
    figure_key: str = ""
    """Which processed image is the figure (a diagram's URL, or a PDF's URL and page)."""
    figure: str = ""
    """The figure's href inside the book, once assembled."""
    figure_alt: str = ""
    figure_turned: bool = False
    """The figure is a landscape drawing turned a quarter to fill a portrait screen."""
    metadata_only: bool = False
    """Only the document's metadata could be read (too long, too large, no text layer)."""


@dataclass(frozen=True)
class CuratedLink:
    kind: str
    title: str
    """Empty when the editor gave only the URL: the page's own title is fetched."""
    url: str
    summary: str = ""
    image_url: str = ""
    """The page's lead image on the web (og:image), fetched into the book like article images."""
    image: str = ""
    """The lead image's href inside the book, once fetched."""
    qr: str = ""
    """The href of a QR code of the URL inside the book: e-ink browsers are poor, phones are not."""
    brief: LinkBrief | None = None
    """Its page in the book (a whitepaper brief, a reference architecture), when its document was read."""

    @property
    def domain(self) -> str:
        """The site the link goes to, as a reader would name it ('github.com')."""
        host = urlsplit(self.url).hostname or ""
        return host.removeprefix("www.")


@dataclass(frozen=True)
class CuratedGroup:
    kind: str
    title: str
    links: tuple[CuratedLink, ...]

    @property
    def id(self) -> str:
        return f"links-{self.kind}"


@dataclass(frozen=True)
class IssueSpec:
    """What the editor wrote in ``issues/YYYY-MM.toml`` (all optional)."""

    month: Month
    number: int | None = None
    volume: int | None = None
    title: str = ""
    links: tuple[CuratedLink, ...] = ()
    pinned: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    cover: Path | None = None
    note: str = ""
    """The editor's note in Markdown."""
    source_file: Path | None = None
    cover_headlines: tuple[str, ...] = ()
    """The editor's own cover lines, in order; empty: pinned articles, then the longest reads."""
    first_issue: Month | None = None
    """The earliest month with an issue file (or this one): volumes count years from it,
    issue numbers months."""


@dataclass(frozen=True)
class IssueSection:
    section: Section
    articles: tuple[Article, ...]


@dataclass(frozen=True)
class Cover:
    data: bytes
    media_type: str
    width: int
    height: int
    thumbnail: bytes
    """A small JPEG of the cover for catalogs and the download page (the bundle's thumbnail)."""
    description: str = ""
    """What the cover says, for a reader who cannot see it (empty for an editor's own image)."""

    @property
    def extension(self) -> str:
        return {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif"}[self.media_type]


@dataclass(frozen=True)
class Kept:
    """Bytes left where they are kept (a fitted image in the cache) until the book is written:
    a rebuild whose book is copied from the published one never reads them."""

    size: int
    key: str
    """What they are (equal keys, equal bytes)."""
    load: Callable[[], bytes] = field(compare=False, repr=False)


ImageData = bytes | Path | Kept
"""An image's bytes, the file holding them, or where they are kept."""


def data_size(data: ImageData) -> int:
    if isinstance(data, Kept):
        return data.size
    return len(data) if isinstance(data, bytes) else data.stat().st_size


def data_bytes(data: ImageData) -> bytes:
    if isinstance(data, Kept):
        return data.load()
    return data if isinstance(data, bytes) else data.read_bytes()


@dataclass(frozen=True)
class BookImage:
    """A content image inside the book."""

    href: str
    """Named after its content (a prefix of its SHA-256): the EPUB memo (ebook.epub.DraftBook) relies on it."""
    media_type: str
    data: ImageData
    """The file's bytes, the file holding them or where they are kept (written to the book one at
    a time; a build's files last as long as the build: read the book for its images afterwards)."""


@dataclass(frozen=True)
class Issue:
    """Everything the book is made of, gathered before anything is written."""

    publication: Publication
    month: Month
    number: int
    volume: int
    title: str
    identifier: str
    sections: tuple[IssueSection, ...]
    curated: tuple[CuratedGroup, ...]
    note_html: str
    cover: Cover
    images: tuple[BookImage, ...] = ()

    @property
    def articles(self) -> tuple[Article, ...]:
        return tuple(a for s in self.sections for a in s.articles)


@dataclass(frozen=True)
class Problem:
    """A partial failure: the issue still builds, the report and manifest list it."""

    where: str
    """The URL, file or entry concerned."""
    reason: str


@dataclass(frozen=True)
class Skipped:
    """An entry left out of the issue on purpose, and why."""

    source: str
    title: str
    link: str
    reason: str


@dataclass(frozen=True)
class Selection:
    articles: tuple[Entry, ...]
    skipped: tuple[Skipped, ...]
    capped: tuple[str, ...] = ()
    """One line per cap (``[limits]``) that left entries out, with counts (not one per entry)."""


@dataclass(frozen=True)
class StoredSizes:
    """The record's and the cache's files after a build, in bytes (write-ahead logs included)."""

    record: int = 0
    cache: int = 0
    pruned: int = 0
    """Payload the build dropped from the cache to keep it under ``[cache] max_mb``."""


@dataclass(frozen=True)
class BuildResult:
    issue: Issue
    epub: Path
    files: tuple[Path, ...]
    skipped: tuple[Skipped, ...] = ()
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = field(default=())
    """Informational lines for the report, e.g. a format that was not produced."""
    check_warnings: tuple[str, ...] = ()
    """What the Kindle-ready check found that does not stop publication."""
    check_notes: tuple[str, ...] = ()
    """What the check could not look at, and why (e.g. no java for EPUBCheck)."""
    site: Path | None = None
    """The published site's folder (pages, Atom feed, OPDS catalog)."""
    stored: StoredSizes = StoredSizes()
    elapsed: float = 0.0
    """Seconds the build took."""
