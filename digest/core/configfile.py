"""Read ``digest.toml`` into the config dataclasses, validating it once.

Every problem in the file is collected and reported together, each naming the file
and the line and key path (``digest.toml:38: sources[2].section: ...``). Defaults come from the
dataclass fields in ``digest.core.config``, never from a second copy here.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.core.addresses import address_problem, header_text_problem
from digest.core.config import (
    Caching,
    Config,
    Delivery,
    Fetching,
    Images,
    Limits,
    LinkPages,
    Listing,
    Output,
    Publication,
    Section,
    Source,
    Storage,
    default,
)
from digest.core.errors import ConfigError
from digest.core.fields import LANG_RE
from digest.core.suggest import did_you_mean
from digest.core.tomlread import TableReader
from digest.core.tomltext import read_toml
from digest.core.urls import private_host
from digest.core.vocabulary import CALIBRE_OUTPUT_PROFILES, FORMATS, LINK_KINDS

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


SECURITY_RE = re.compile(r"^(ssl|starttls|none)$")
FORMAT_RE = re.compile(f"^({'|'.join(FORMATS)})$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
OUTPUT_FOLDERS = {"dir": "dist", "issues_dir": "issues"}
"""Defaults of the two [output] folders (relative to the config file, so not dataclass defaults)."""


def load_config(path: Path | str) -> Config:
    """Read and validate a config file; raise ConfigError listing every problem."""
    path = Path(path)
    try:
        data, lines = read_toml(path)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found: run digest in the publication's folder, "
                          "give --config, or start a publication with `digest init`") from None

    root = TableReader(data, str(path), lines=lines)
    pub = root.table("publication").defaults_from(Publication)
    publication = Publication(
        title=pub.string("title", required=True),
        publisher=pub.string("publisher", required=True),
        slug=pub.string("slug", required=True, pattern=SLUG_RE, hint="lower-case letters, digits and '-'"),
        subtitle=pub.string("subtitle"),
        language=pub.string("language", pattern=LANG_RE, hint="a BCP 47 tag such as 'en'"),
        timezone=pub.string("timezone"),
        base_url=pub.string("base_url"),
        description=pub.string("description"),
        editor=pub.string("editor"),
    )
    pub.done()
    _check_timezone(pub, publication.timezone)
    # Both end up in the headers of every delivery e-mail (From, Subject).
    for key in ("title", "publisher"):
        if problem := header_text_problem(getattr(publication, key)):
            pub.problem(key, problem)
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
        src.defaults_from(Source)
        source = Source(
            name=src.string("name", required=True),
            url=src.string("url", required=True),
            section=src.string("section", required="links" not in src.data),
            languages=src.strings("languages", pattern=LANG_RE),
            include_categories=src.strings("include_categories"),
            exclude_categories=src.strings("exclude_categories"),
            include_keywords=src.strings("include_keywords"),
            exclude_keywords=src.strings("exclude_keywords"),
            max_articles=src.integer("max_articles", minimum=0),
            min_words=src.integer("min_words", minimum=0),
            summary_only=src.boolean("summary_only"),
            links=src.string("links"),
        )
        src.done()
        check_link_fields(src, source.links, "", key="links")
        if source.section and source.section not in section_ids:
            src.problem("section", f"unknown section {source.section!r}{did_you_mean(source.section, section_ids)}"
                                  f" (known: {', '.join(sorted(section_ids))})")
        if source.url and not source.is_remote and not (path.parent / source.url).is_file():
            src.problem("url", f"no such feed file: {source.url}")
        sources.append(source)
    root.unique([s.name for s in sources], "sources", "name")

    out = root.table("output").defaults_from(Output)
    templates = out.string("templates")
    formats = out.strings("formats", choices=FORMATS)
    output = Output(
        dir=(path.parent / out.string("dir", default=OUTPUT_FOLDERS["dir"])).resolve(),
        issues_dir=(path.parent / out.string("issues_dir", default=OUTPUT_FOLDERS["issues_dir"])).resolve(),
        templates_dir=(path.parent / templates).resolve() if templates else None,
        formats=tuple(dict.fromkeys(("epub", *formats))),
        kindle_profile=out.string("kindle_profile"),
        convert_timeout=out.integer("convert_timeout", minimum=1, maximum=86_400),
        cover_headlines=out.integer("cover_headlines", minimum=0, maximum=50),
    )
    out.done()
    if output.templates_dir and not output.templates_dir.is_dir():
        out.problem("templates", f"no such folder: {templates}")
    if problem := output_dir_problem(output.dir, path):
        out.problem("dir", problem)
    if output.kindle_profile not in CALIBRE_OUTPUT_PROFILES:
        out.problem("kindle_profile", f"unknown calibre output profile {output.kindle_profile!r} "
                                      f"(e.g. kindle_pw3, kindle_oasis, kindle_scribe)")
    store = root.table("store")
    storage = Storage(_file(store, "path", path.parent, default(Config, "store").path),
                      _file(store, "private", path.parent, default(Config, "store").private))
    store.done()
    cache = root.table("cache").defaults_from(Caching)
    caching = Caching(_file(cache, "path", path.parent, Caching.path), cache.integer("max_mb", minimum=1))
    cache.done()
    delivery = _load_delivery(root.table("delivery").defaults_from(Delivery))
    fetching = _load_fetching(root.table("fetch").defaults_from(Fetching))
    images = _load_images(root.table("images").defaults_from(Images))
    limits = _load_limits(root.table("limits").defaults_from(Limits))
    listings = tuple(_load_listing(table) for table in root.tables("listings"))
    links = _load_link_pages(root.table("links").defaults_from(LinkPages), path)
    root.done()

    if root.problems:
        raise ConfigError(root.problems)
    return Config(path=path.resolve(), publication=publication, sections=tuple(sections),
                  sources=tuple(sources), output=output, store=storage, cache=caching, delivery=delivery,
                  fetching=fetching, images=images, limits=limits, listings=listings, links=links)


def _file(table: TableReader, key: str, folder: Path, fallback: Path) -> Path:
    """The database file named by ``key`` (relative to ``folder``), which must not be a folder."""
    chosen = (folder / table.string(key, default=str(fallback))).resolve()
    if chosen.exists() and not chosen.is_file():
        table.problem(key, f"not a regular file: {chosen}")
    return chosen


def output_dir_problem(directory: Path, config_path: Path) -> str:
    """Why ``directory`` must not receive bundles, or '' when it may.

    Publishing replaces folders inside it, so the filesystem root or the project's own
    folder would have the site written (and old issues swapped out) among unrelated files.
    """
    directory = directory.resolve()
    if directory.exists() and not directory.is_dir():
        return f"not a folder: {directory}"
    if directory == Path(directory.anchor):
        return "the filesystem root cannot hold the bundles"
    if directory == config_path.resolve().parent:
        return "the folder holding the config cannot hold the bundles (use a subfolder such as dist)"
    return ""


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


def check_link_fields(table: TableReader, kind: str, url: str, key: str = "kind") -> None:
    """The checks shared by curated links, listings and link sources: a known kind, an http(s) URL."""
    if kind and kind not in LINK_KINDS:
        table.problem(key, f"unknown kind {kind!r}{did_you_mean(kind, LINK_KINDS)}"
                             f" (expected one of: {', '.join(LINK_KINDS)})")
    # The scheme as written: urlsplit raises on a URL the fetch layer reports for the link alone.
    if url and url.partition(":")[0].lower() not in ("http", "https"):
        table.problem("url", f"not an http(s) URL: {url!r}")


def _load_link_pages(table: TableReader, path: Path) -> LinkPages:
    snapshots = table.string("snapshots")
    links = LinkPages(
        pages=table.boolean("pages"),
        max_pdf_mb=table.number("max_pdf_mb", minimum=0.001, maximum=1024),
        max_pages=table.integer("max_pages", minimum=1, maximum=100_000),
        snapshots=str((path.parent / snapshots).resolve()) if snapshots else "",
    )
    table.done()
    if snapshots and not Path(links.snapshots).is_dir():
        table.problem("snapshots", f"no such folder: {snapshots}")
    return links


def _load_fetching(table: TableReader) -> Fetching:
    hosts = table.strings("allow_private_hosts")
    for host in hosts:
        if private_host(host) is None:
            table.problem("allow_private_hosts", f"invalid value {host!r}: give a host (\"intranet.example\"), "
                          "host:port (\"127.0.0.1:8080\") or a URL (\"http://localhost:8080/\")")
    fetching = Fetching(
        timeout=table.number("timeout", minimum=0.1, maximum=600),
        url_timeout=table.number("url_timeout", minimum=1, maximum=3600),
        retries=table.integer("retries", minimum=0, maximum=10),
        per_host=table.integer("per_host", minimum=1, maximum=32),
        max_mb=table.number("max_mb", minimum=0.001, maximum=1024),
        allow_private_hosts=hosts,
        dead_link_days=table.number("dead_link_days", minimum=0.0, maximum=3650),
        unreachable_days=table.number("unreachable_days", minimum=0.0, maximum=3650),
        breaker=table.integer("breaker", minimum=1, maximum=1000),
    )
    table.done()
    return fetching


def _load_images(table: TableReader) -> Images:
    images = Images(
        max_width=table.integer("max_width", minimum=16, maximum=10_000),
        max_height=table.integer("max_height", minimum=16, maximum=10_000),
        grayscale=table.boolean("grayscale"),
        jpeg_quality=table.integer("jpeg_quality", minimum=10, maximum=95),
        budget_mb=table.number("budget_mb", minimum=1.0, maximum=1024),
    )
    table.done()
    return images


def _load_limits(table: TableReader) -> Limits:
    limits = Limits(
        entries_per_source=table.integer("entries_per_source", minimum=1, maximum=100_000),
        articles=table.integer("articles", minimum=1, maximum=100_000),
        article_kb=table.integer("article_kb", minimum=1, maximum=1_000_000),
        issue_text_mb=table.number("issue_text_mb", minimum=0.1, maximum=10_000),
    )
    table.done()
    return limits


def _load_delivery(table: TableReader) -> Delivery:
    delivery = Delivery(
        host=table.string("host"),
        port=table.integer("port", minimum=0, maximum=65535),
        security=table.string("security", pattern=SECURITY_RE,
                              hint="one of: ssl, starttls, none"),
        username=table.string("username"),
        password_env=table.string("password_env", pattern=ENV_NAME_RE,
                                  hint="an environment variable name"),
        from_address=table.string("from_address"),
        rate_limit_seconds=table.integer("rate_limit_seconds", minimum=0, maximum=3600),
        max_retries=table.integer("max_retries", minimum=0, maximum=20),
        retry_backoff_seconds=table.integer("retry_backoff_seconds", minimum=0, maximum=3600),
        format=table.string("format", pattern=FORMAT_RE, hint="one of: epub, azw3, mobi"),
    )
    table.done()
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
