"""The publication's configuration (``digest.toml``), loaded once into frozen dataclasses.

Every problem in the file is collected and reported together, each naming the file
and the key path (``digest.toml: sources[2].section: ...``).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.core.addresses import address_problem
from digest.core.errors import ConfigError
from digest.core.tomlread import TableReader

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
LANG_RE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")

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
    """Id of the section its articles go to."""
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
    summary_only: bool = False
    """The feed carries only summaries: fetch each article's page and extract the full text.
    Entries that look truncated are fetched even without this."""

    @property
    def is_remote(self) -> bool:
        return self.url.startswith(("http://", "https://"))


# Curated-link kinds, in the order their pages appear, with their page titles.
LINK_KINDS = {
    "industry-trend": "Industry Trends",
    "whitepaper": "Technical Whitepapers",
    "reference-architecture": "Reference Architectures",
    "solution": "Solutions and Implementation Guides",
    "training": "Training and Certification",
    "sample-code": "Sample Code",
}


@dataclass(frozen=True)
class Listing:
    """A web page listing items (a whitepaper directory...), read with CSS selectors."""

    name: str
    """Display name, used in the build report."""
    url: str
    """The listing page (http or https)."""
    kind: str
    """Curated-link kind its items get (see LINK_KINDS)."""
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
class Output:
    dir: Path
    """Where bundles are published (``<dir>/<slug>/<YYYY-MM>/``)."""
    issues_dir: Path
    """Folder holding ``YYYY-MM.toml`` issue files and ``YYYY-MM.md`` editor's notes."""
    templates_dir: Path | None = None
    """A folder of templates and CSS that override the default theme, file by file."""
    formats: tuple[str, ...] = ("epub", "azw3", "mobi")
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
    retries: int = 2
    """Extra attempts after a connection error, a 5xx or a 429."""
    per_host: int = 2
    """Concurrent requests to one host (be polite to the blogs you read)."""
    max_mb: float = 20.0
    """Largest response accepted, in MB (after decompression)."""
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
    max_width: int = 1264
    """Images are scaled down to fit this box (an e-ink screen; never scaled up)."""
    max_height: int = 1680
    grayscale: bool = False
    """Store images in grayscale: smaller books for e-ink-only readers."""
    jpeg_quality: int = 82
    """Starting JPEG quality; lowered step by step when the issue exceeds the budget."""
    budget_mb: float = 45.0
    """Largest EPUB size in MB (Send to Kindle accepts 50 MB by e-mail)."""


@dataclass(frozen=True)
class Storage:
    path: Path
    """The SQLite database (subscribers, delivery ledger, ...); relative to the config file."""


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
    fetching: Fetching = field(default=Fetching(), compare=False)
    images: Images = field(default=Images(), compare=False)
    listings: tuple[Listing, ...] = field(default=(), compare=False)
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


KNOWN_FORMATS = ("epub", "azw3", "mobi")
SECURITY_RE = re.compile(r"^(ssl|starttls|none)$")
FORMAT_RE = re.compile(r"^(epub|azw3|mobi)$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def load_config(path: Path | str) -> Config:
    """Read and validate a config file; raise ConfigError listing every problem."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None

    root = TableReader(data, str(path))
    pub = root.table("publication")
    publication = Publication(
        title=pub.string("title", required=True),
        publisher=pub.string("publisher", required=True),
        slug=pub.string("slug", required=True, pattern=SLUG_RE, hint="lower-case letters, digits and '-'"),
        subtitle=pub.string("subtitle"),
        language=pub.string("language", default="en", pattern=LANG_RE, hint="a BCP 47 tag such as 'en'"),
        timezone=pub.string("timezone", default="UTC"),
        base_url=pub.string("base_url"),
        description=pub.string("description"),
        editor=pub.string("editor"),
    )
    pub.done()
    _check_timezone(pub, publication.timezone)
    if publication.base_url and urlsplit(publication.base_url).scheme not in ("http", "https"):
        pub.problem("base_url", "must be an http(s) URL")

    sections = []
    for sec in root.tables("sections", required=True):
        sections.append(
            Section(
                id=sec.string("id", required=True, pattern=SLUG_RE, hint="lower-case letters, digits and '-'"),
                title=sec.string("title", required=True),
                description=sec.string("description"),
            )
        )
        sec.done()
    root.unique([s.id for s in sections], "sections", "id")
    section_ids = {s.id for s in sections}

    sources = []
    for src in root.tables("sources", required=True):
        source = Source(
            name=src.string("name", required=True),
            url=src.string("url", required=True),
            section=src.string("section", required=True),
            languages=src.strings("languages", pattern=LANG_RE),
            include_categories=src.strings("include_categories"),
            exclude_categories=src.strings("exclude_categories"),
            include_keywords=src.strings("include_keywords"),
            exclude_keywords=src.strings("exclude_keywords"),
            max_articles=src.integer("max_articles", default=0, minimum=0),
            summary_only=src.boolean("summary_only"),
        )
        src.done()
        if source.section and source.section not in section_ids:
            src.problem("section", f"unknown section {source.section!r} (known: {', '.join(sorted(section_ids))})")
        if source.url and not source.is_remote and not (path.parent / source.url).is_file():
            src.problem("url", f"no such feed file: {source.url}")
        sources.append(source)
    root.unique([s.name for s in sources], "sources", "name")

    out = root.table("output")
    templates = out.string("templates")
    formats = out.strings("formats", default=KNOWN_FORMATS, choices=KNOWN_FORMATS)
    output = Output(
        dir=(path.parent / out.string("dir", default="dist")).resolve(),
        issues_dir=(path.parent / out.string("issues_dir", default="issues")).resolve(),
        templates_dir=(path.parent / templates).resolve() if templates else None,
        formats=tuple(dict.fromkeys(("epub", *formats))),
        kindle_profile=out.string("kindle_profile", default="kindle_pw3"),
        convert_timeout=out.integer("convert_timeout", default=300, minimum=1),
        cover_headlines=out.integer("cover_headlines", default=4, minimum=0),
    )
    out.done()
    if output.templates_dir and not output.templates_dir.is_dir():
        out.problem("templates", f"no such folder: {templates}")
    store = root.table("store")
    storage = Storage((path.parent / store.string("path", default="digest.sqlite3")).resolve())
    store.done()
    delivery = _load_delivery(root.table("delivery"))
    fetching, images = _load_fetching(root.table("fetch")), _load_images(root.table("images"))
    listings = tuple(_load_listing(table) for table in root.tables("listings"))
    root.done()

    if root.problems:
        raise ConfigError(root.problems)
    return Config(path=path.resolve(), publication=publication, sections=tuple(sections),
                  sources=tuple(sources), output=output, store=storage, delivery=delivery,
                  fetching=fetching, images=images, listings=listings)


def _load_listing(table: TableReader) -> Listing:
    listing = Listing(
        name=table.string("name", required=True),
        url=table.string("url", required=True),
        kind=table.string("kind", required=True),
        item=table.string("item", required=True),
        title=table.string("title", required=True),
        link=table.string("link"),
        date=table.string("date"),
        summary=table.string("summary"),
        date_format=table.string("date_format"),
    )
    table.done()
    check_link_fields(table, listing.kind, listing.url)
    return listing


def check_link_fields(table: TableReader, kind: str, url: str) -> None:
    """The checks shared by curated links and listings: a known kind, an http(s) URL."""
    if kind and kind not in LINK_KINDS:
        table.problem("kind", f"unknown kind {kind!r} (expected one of: {', '.join(LINK_KINDS)})")
    if url and urlsplit(url).scheme not in ("http", "https"):
        table.problem("url", f"not an http(s) URL: {url!r}")


def _load_fetching(table: TableReader) -> Fetching:
    fetching = Fetching(
        timeout=table.number("timeout", default=20.0, minimum=0.1),
        retries=table.integer("retries", default=2, minimum=0),
        per_host=table.integer("per_host", default=2, minimum=1),
        max_mb=table.number("max_mb", default=20.0, minimum=0.001),
        dead_link_days=table.number("dead_link_days", default=7.0, minimum=0.0),
        unreachable_days=table.number("unreachable_days", default=1.0, minimum=0.0),
        breaker=table.integer("breaker", default=3, minimum=1),
    )
    table.done()
    return fetching


def _load_images(table: TableReader) -> Images:
    images = Images(
        max_width=table.integer("max_width", default=1264, minimum=16),
        max_height=table.integer("max_height", default=1680, minimum=16),
        grayscale=table.boolean("grayscale"),
        jpeg_quality=table.integer("jpeg_quality", default=82, minimum=10),
        budget_mb=table.number("budget_mb", default=45.0, minimum=1.0),
    )
    table.done()
    if images.jpeg_quality > 95:
        table.problem("jpeg_quality", "must be at most 95")
    return images


def _load_delivery(table: TableReader) -> Delivery:
    delivery = Delivery(
        host=table.string("host"),
        port=table.integer("port", default=0, minimum=0),
        security=table.string("security", default="starttls", pattern=SECURITY_RE,
                              hint="one of: ssl, starttls, none"),
        username=table.string("username"),
        password_env=table.string("password_env", default="DIGEST_SMTP_PASSWORD", pattern=ENV_NAME_RE,
                                  hint="an environment variable name"),
        from_address=table.string("from_address"),
        rate_limit_seconds=table.integer("rate_limit_seconds", default=2, minimum=0),
        max_retries=table.integer("max_retries", default=3, minimum=0),
        retry_backoff_seconds=table.integer("retry_backoff_seconds", default=30, minimum=0),
        format=table.string("format", default="epub", pattern=FORMAT_RE, hint="one of: epub, azw3, mobi"),
    )
    table.done()
    if delivery.port > 65535:
        table.problem("port", f"must be at most 65535, got {delivery.port}")
    if delivery.host and not delivery.from_address:
        table.problem("from_address", "required when host is set")
    if delivery.from_address and (problem := address_problem(delivery.from_address)):
        table.problem("from_address", problem)
    if delivery.username and delivery.security == "none":
        table.problem("username", "a login needs security = \"ssl\" or \"starttls\": "
                                  "the password would cross the network in clear")
    return delivery


def _check_timezone(table: TableReader, name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        table.problem("timezone", f"unknown IANA time zone {name!r}")
