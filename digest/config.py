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

from digest.errors import ConfigError
from digest.tomlread import TableReader

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

    @property
    def is_remote(self) -> bool:
        return self.url.startswith(("http://", "https://"))


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
    cover_headlines: int = 4
    """How many article titles the generated cover lists."""


@dataclass(frozen=True)
class Config:
    path: Path
    """The config file itself; relative paths are resolved against its folder."""
    publication: Publication
    sections: tuple[Section, ...]
    sources: tuple[Source, ...]
    output: Output = field(compare=False)

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
        cover_headlines=out.integer("cover_headlines", default=4, minimum=0),
    )
    out.done()
    if output.templates_dir and not output.templates_dir.is_dir():
        out.problem("templates", f"no such folder: {templates}")
    root.done()

    if root.problems:
        raise ConfigError(root.problems)
    return Config(path=path.resolve(), publication=publication, sections=tuple(sections),
                  sources=tuple(sources), output=output)


def _check_timezone(table: TableReader, name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        table.problem("timezone", f"unknown IANA time zone {name!r}")
