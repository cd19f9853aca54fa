"""The publication's configuration (``digest.toml``) as frozen dataclasses.

Each option is a field with its default and a docstring; ``digest.core.configfile``
reads the file into them, taking every default from here.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from digest.core.vocabulary import BOOK_BUDGET_MB, FORMATS, IMAGE_BOX

DEFAULT_CONFIG_NAME = "digest.toml"


@dataclass(frozen=True)
class Publication:
    title: str
    """The magazine's name, shown on the cover and as the book title prefix."""
    publisher: str
    """Who publishes it; becomes dc:publisher and the author calibre shows."""
    slug: str
    """Lower-case identifier used in file names, URLs and the book identifier."""
    subtitle: str = ""
    """One line under the title on the cover and masthead."""
    language: str = "en"
    """BCP 47 language of the issue; entries in other languages are dropped by default."""
    timezone: str = "UTC"
    """IANA time zone that decides which calendar month an entry belongs to."""
    base_url: str = ""
    """Where the published site lives (absolute URLs in catalogs); empty for local use."""
    description: str = ""
    """A sentence about the publication, used in the book and catalog metadata."""
    editor: str = ""
    """Signs the editor's note."""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Section:
    id: str
    """Key that sources and issue files refer to."""
    title: str
    """Heading shown in the table of contents."""
    description: str = ""
    """One line shown on the section page."""


@dataclass(frozen=True)
class Source:
    name: str
    """Display name of the blog or feed."""
    url: str
    """An http(s) URL, or a path to a local feed file (relative to the config file)."""
    section: str
    """Id of the section its articles go to (not needed for a source of ``links``)."""
    languages: tuple[str, ...] = ()
    """Accepted entry languages (primary subtags); empty means the publication's language."""
    include_categories: tuple[str, ...] = ()
    """If set, only entries carrying one of these categories (case-insensitive)."""
    exclude_categories: tuple[str, ...] = ()
    """Entries carrying any of these categories are dropped."""
    include_keywords: tuple[str, ...] = ()
    """If set, only entries whose title or summary contains one of these words."""
    exclude_keywords: tuple[str, ...] = ()
    """Entries whose title or summary contains any of these words are dropped."""
    max_articles: int = 0
    """At most this many articles per issue from this source (0: no limit)."""
    min_words: int = 0
    """Articles shorter than this many words (full text) are left out and reported, so a
    test page or a one-line announcement does not become an article (0: no limit)."""
    summary_only: bool = False
    """The feed carries only summaries: fetch each article's page and extract the full text.
    Entries that look truncated are fetched even without this."""
    links: str = ""
    """A curated-link kind (e.g. "whitepaper", "reference-architecture"): the feed's entries of
    the month become curated links of that kind instead of articles (a feed of whitepapers, a GitHub
    feed of architecture repositories, a bookmarking service's tag feed). The same rules, memory and
    issue-file overrides apply as to articles."""

    @property
    def is_remote(self) -> bool:
        return self.url.startswith(("http://", "https://"))


@dataclass(frozen=True)
class Listing:
    """A web page listing items (a whitepaper directory...), read with CSS selectors."""

    name: str
    """Display name, used in the build report."""
    url: str
    """The listing page (http or https)."""
    kind: str
    """Curated-link kind its items get (see ``digest.core.vocabulary.LINK_KINDS``)."""
    item: str
    """CSS selector of one item on the page."""
    title: str
    """CSS selector, inside an item, of its title."""
    link: str = ""
    """CSS selector of the element whose href is the item's URL (default: the title's link)."""
    date: str = ""
    """CSS selector of the item's date; only items dated in the issue's month are taken."""
    summary: str = ""
    """CSS selector of a short description."""
    date_format: str = ""
    """strptime format for dates the lenient parser cannot read, e.g. "%d/%m/%Y"."""


@dataclass(frozen=True)
class LinkPages:
    """Whitepapers and reference architectures carried as pages of the book (docs/whitepapers.md)."""

    pages: bool = True
    """Give each whitepaper a brief (abstract, contents, a figure) and each reference architecture a
    page (its diagram and description); false keeps them as lines of the further-reading page."""
    max_pdf_mb: float = 50.0
    """A larger PDF is not downloaded: its link stays a line of the further-reading page."""
    max_pages: int = 400
    """A PDF with more pages is described from its metadata only (title, authors, page count)."""
    snapshots: str = ""
    """A folder of local copies of linked documents, laid out as ``HOST/PATH`` (e.g.
    ``raw.githubusercontent.com/owner/repo/HEAD/README.md``); a document found there is read from it
    instead of the web (offline samples, documents behind a login). Relative to the config file."""


@dataclass(frozen=True)
class Output:
    dir: Path
    """Where bundles are published (``<dir>/<slug>/<YYYY-MM>/``)."""
    issues_dir: Path
    """Folder holding ``YYYY-MM.toml`` issue files and ``YYYY-MM.md`` editor's notes."""
    templates_dir: Path | None = None
    """A folder of templates and CSS that override the default theme, file by file."""
    formats: tuple[str, ...] = FORMATS
    """Which formats to produce; EPUB is always built."""
    kindle_profile: str = "kindle_pw3"
    """calibre output profile for AZW3/MOBI."""
    convert_timeout: int = 300
    """Seconds calibre may spend on one format before it is stopped and the build fails."""
    cover_headlines: int = 4
    """How many article titles the generated cover lists."""


@dataclass(frozen=True)
class Fetching:
    timeout: float = 20.0
    """Seconds to wait for a connection or for the next bytes of a response."""
    url_timeout: float = 60.0
    """Seconds one URL may take in all: connection, headers, body, retries and their waits (a server
    that drips bytes cannot hold a build longer than this)."""
    retries: int = 2
    """Extra attempts after a connection error, a 5xx or a 429."""
    per_host: int = 2
    """Concurrent requests to one host (be polite to the blogs you read)."""
    max_mb: float = 20.0
    """Largest response accepted, in MB (after decompression)."""
    allow_private_hosts: tuple[str, ...] = ()
    """Hosts that may be fetched although they resolve to a loopback, private or link-local address;
    every other such address is refused. Each is a host (``"intranet.example"``, any port), ``host:port``
    (``"127.0.0.1:8080"``) or a URL (its host, and its port if it names one). ``localhost``,
    ``127.0.0.1`` and ``::1`` are one host here. A refusal names the entry to add."""
    dead_link_days: float = 7.0
    """A URL that answered 404 or 410 is not asked again for this many days (0: ask every time)."""
    unreachable_days: float = 1.0
    """A host whose name did not resolve, or that refused the connection, is not asked again for
    this many days (0: only not within the run)."""
    breaker: int = 3
    """Failures in a row (timeouts, 5xx, after their retries) after which a host's other URLs are
    skipped for the rest of the run."""


@dataclass(frozen=True)
class Images:
    max_width: int = IMAGE_BOX[0]
    """Width in pixels of the box images are scaled down to fit (an e-ink screen; never scaled up)."""
    max_height: int = IMAGE_BOX[1]
    """Height of that box, in pixels."""
    grayscale: bool = False
    """Store images in grayscale: smaller books for e-ink-only readers."""
    jpeg_quality: int = 82
    """Starting JPEG quality; lowered step by step when the issue exceeds the budget."""
    budget_mb: float = BOOK_BUDGET_MB
    """Largest EPUB size in MB (Send to Kindle accepts 50 MB by e-mail)."""


@dataclass(frozen=True)
class Limits:
    """Caps that keep one runaway source from swamping an issue (or the build's time and memory).
    What a cap leaves out is reported in one line per cap (and source) with counts, in the build
    report and the manifest's notes; the issue still publishes."""

    entries_per_source: int = 100
    """At most this many of the month's entries from one source, the newest kept (a source's
    ``max_articles`` can ask for fewer). The record keeps at most a source's newest 1,000
    entries of a month, or ten times this cap if that is more."""
    articles: int = 250
    """At most this many articles in an issue, the newest kept."""
    article_kb: int = 1000
    """An article whose visible text (markup, scripts and images aside) exceeds this many kB is left out."""
    issue_text_mb: float = 25.0
    """The visible text of all articles together, in MB; past it the oldest articles are left out
    (images have their own ``[images] budget_mb``)."""


@dataclass(frozen=True)
class Storage:
    path: Path
    """The record (SQLite): every entry seen and what each issue carried; small, keep it for good.
    Relative to the config file, as every path here."""
    private: Path = Path("digest-private.sqlite3")
    """Subscribers and the delivery ledger: personal data, never to be published with the record."""


@dataclass(frozen=True)
class Caching:
    path: Path = Path("digest-cache.sqlite3")
    """Work a rebuild need not redo (web pages, images, memos); losing it costs time only."""
    max_mb: int = 1000
    """Bound on the cache's contents: the least recently used go first, after each build and with `digest prune`."""


@dataclass(frozen=True)
class Delivery:
    host: str = ""
    """SMTP server that relays to Send to Kindle; empty means e-mail delivery is not set up."""
    port: int = 0
    """SMTP port; 0 picks the usual one for ``security`` (465 ssl, 587 starttls, 25 none)."""
    security: str = "starttls"
    """``ssl`` (implicit TLS), ``starttls`` or ``none`` (only for a relay on the same machine)."""
    username: str = ""
    """Login name; empty means no login."""
    password_env: str = "DIGEST_SMTP_PASSWORD"
    """Name of the environment variable holding the password (never put it in this file)."""
    from_address: str = ""
    """Sender address; it must be on each reader's Approved Personal Document E-mail List."""
    rate_limit_seconds: int = 2
    """Pause between two messages, to stay under the relay's sending limits."""
    max_retries: int = 3
    """How often a temporary (4xx) failure is retried before the delivery is recorded as failed."""
    retry_backoff_seconds: int = 30
    """Wait before the first retry; doubled for each further one."""
    format: str = "epub"
    """Format given to new subscribers who ask for none (Send to Kindle takes EPUB)."""

    @property
    def smtp_port(self) -> int:
        return self.port or {"ssl": 465, "starttls": 587}.get(self.security, 25)


@dataclass(frozen=True)
class Config:
    path: Path
    """The config file itself; relative paths are resolved against its folder."""
    publication: Publication
    sections: tuple[Section, ...]
    sources: tuple[Source, ...]
    output: Output = field(compare=False)
    store: Storage = field(default=Storage(Path("digest.sqlite3")), compare=False)
    cache: Caching = field(default=Caching(), compare=False)
    fetching: Fetching = field(default=Fetching(), compare=False)
    images: Images = field(default=Images(), compare=False)
    limits: Limits = field(default=Limits(), compare=False)
    listings: tuple[Listing, ...] = field(default=(), compare=False)
    links: LinkPages = field(default=LinkPages(), compare=False)
    delivery: Delivery = field(default=Delivery(), compare=False)

    def section(self, section_id: str) -> Section:
        return next(s for s in self.sections if s.id == section_id)

    def with_output_dir(self, directory: Path) -> Config:
        return replace(self, output=replace(self.output, dir=directory.resolve()))

    def resolve(self, location: str) -> str:
        """A source location as an absolute path or URL."""
        if location.startswith(("http://", "https://")):
            return location
        return str((self.path.parent / location).resolve())


def default(cls: type, name: str) -> Any:
    """The default of one option, as its dataclass field declares it."""
    option = next(f for f in fields(cls) if f.name == name)
    if option.default is MISSING:
        raise KeyError(f"{cls.__name__}.{name} has no default")
    return option.default
