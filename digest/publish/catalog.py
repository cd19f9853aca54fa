"""The catalog: every published month as its ``manifest.json`` describes it.

The site, the catalogs and the yearly bundle list issues from the manifests, never
from the build's objects, so what they show is what is (or, for a month being swapped
in, is about to be) in the output folder.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from digest import __version__
from digest.core.cache import Cache
from digest.core.config import Config
from digest.core.errors import BundleError
from digest.core.month import Month
from digest.core.theme import theme_dir
from digest.core.vocabulary import FORMATS, reading_minutes
from digest.publish.bundle import MANIFEST, BundleFile
from digest.publish.staging import publication_root, settle_all

if TYPE_CHECKING:  # imported when a manifest is first validated: a rebuild finds them all remembered
    import jsonschema

MONTH_DIR_RE = re.compile(r"^\d{4}-\d{2}$")
MANIFEST_CAP = 16_000_000
"""Largest manifest read (one lists a month's articles: a few hundred kB)."""


@dataclass(frozen=True)
class ListedArticle:
    section: str
    section_title: str
    title: str
    authors: tuple[str, ...]
    url: str
    word_count: int

    @property
    def reading_minutes(self) -> int:
        return reading_minutes(self.word_count)


@dataclass(frozen=True)
class PublishedIssue:
    """One month as its manifest in the output folder describes it."""

    month: Month
    title: str
    volume: int
    number: int
    identifier: str
    issued: str
    description: str
    articles: tuple[ListedArticle, ...]
    curated: tuple[tuple[str, str, str], ...]
    """(group title, link title, URL) of the curated links."""
    files: tuple[BundleFile, ...]
    zip_name: str
    zip_size: int
    note_html: str = ""
    """The editor's note (sanitised XHTML fragment); manifests written before it had none."""

    def file(self, role: str) -> BundleFile | None:
        return next((f for f in self.files if f.role == role), None)

    @property
    def ebooks(self) -> tuple[BundleFile, ...]:
        return tuple(f for f in self.files if f.role in FORMATS)

    @property
    def sections(self) -> tuple[tuple[str, tuple[ListedArticle, ...]], ...]:
        titles = dict.fromkeys(a.section_title for a in self.articles)
        return tuple((t, tuple(a for a in self.articles if a.section_title == t)) for t in titles)



def published_issues(config: Config, *, staged: PublishedIssue | None = None, unread: Collection[str] = (),
                     valid: ValidManifests | None = None) -> tuple[PublishedIssue, ...]:
    """Every month in place, newest first, read from its manifest.

    ``staged`` is a month read from its staging folder (``read_manifest``) that is about
    to replace or join those in place: it is listed instead of the published copy, so the
    site can be rendered before the swap. Months named in ``unread`` (``YYYY-MM``) are left
    out without reading their manifests. ``valid`` remembers the manifests that passed the schema.
    """
    root = publication_root(config)
    settle_all(root)  # a build killed while swapping a month: finish its swap first
    folders = [d for d in sorted(root.iterdir()) if MONTH_DIR_RE.match(d.name) and d.is_dir()] \
        if root.is_dir() else []
    replaced = str(staged.month) if staged is not None else None
    issues = [read_manifest(folder, valid) for folder in folders
              if folder.name != replaced and folder.name not in unread and (folder / MANIFEST).is_file()]
    if staged is not None:
        issues.append(staged)
    return tuple(sorted(issues, key=lambda i: i.month, reverse=True))


def read_manifest(folder: Path, valid: ValidManifests | None = None) -> PublishedIssue:
    """The month whose bundle is in ``folder`` (published or still staged)."""
    data = load_manifest(folder / MANIFEST, valid)
    try:
        zip_path = folder / data["zip"]
        return PublishedIssue(
            month=Month.parse(data["month"]), title=data["title"], volume=data["volume"],
            number=data["number"], identifier=data["identifier"], issued=data["issued"],
            description=data["publication"]["description"], note_html=data.get("note_html", ""),
            articles=tuple(ListedArticle(a["section"], a["section_title"], a["title"], tuple(a["authors"]),
                                         a["url"], a["word_count"]) for a in data["articles"]),
            curated=tuple((c["group"], c["title"], c["url"]) for c in data["curated_links"]),
            files=tuple(BundleFile(f["name"], f["role"], f["media_type"], f["size"], f["sha256"])
                        for f in data["files"]),
            zip_name=data["zip"], zip_size=zip_path.stat().st_size if zip_path.is_file() else 0,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleError(f"{folder / MANIFEST}: not a digest manifest (missing or bad {exc})") from None


def load_manifest(path: Path, valid: ValidManifests | None = None) -> dict:
    """A manifest's JSON, valid against the project's schema."""
    try:
        with path.open("rb") as source:
            data = source.read(MANIFEST_CAP + 1)
    except FileNotFoundError:
        raise BundleError(f"{path}: no manifest") from None
    except OSError as exc:
        raise BundleError(f"{path}: cannot read: {exc}") from None
    if len(data) > MANIFEST_CAP:
        raise BundleError(f"{path}: over the {MANIFEST_CAP // 1_000_000} MB a manifest may hold")
    return parse_manifest(data, str(path), valid)


def parse_manifest(data: bytes, where: str, valid: ValidManifests | None = None) -> dict:
    """A manifest's JSON, valid against the project's schema (so its file names are plain names)."""
    try:
        manifest = json.loads(data)
    except (ValueError, RecursionError) as exc:  # RecursionError: arrays nested thousands deep
        raise BundleError(f"{where}: invalid JSON: {exc}") from None
    if valid is not None and valid.known(data):
        return manifest
    errors = sorted(_manifest_validator().iter_errors(manifest), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        shown = "; ".join(f"{e.json_path}: {_shorten(e.message)}" for e in errors[:MAX_SCHEMA_ERRORS])
        more = f" (and {len(errors) - MAX_SCHEMA_ERRORS} more)" if len(errors) > MAX_SCHEMA_ERRORS else ""
        raise BundleError(f"{where}: not a valid digest manifest: {shown}{more}")
    if valid is not None:
        valid.add(data)
    return manifest


class ValidManifests:
    """Manifests that passed the schema, remembered in the cache by their SHA-256 (and digest's
    version, which ships the schema): a build lists every month, and validating them all again
    cost more than the rest of reading them."""

    def __init__(self, cache: Cache):
        self.cache = cache

    def known(self, data: bytes) -> bool:
        return self.cache.recall("valid-manifest", self._key(data)) is not None

    def add(self, data: bytes) -> None:
        self.cache.remember("valid-manifest", self._key(data), "valid")

    @staticmethod
    def _key(data: bytes) -> str:
        return f"{hashlib.sha256(data).hexdigest()} {__version__}"


MAX_SCHEMA_ERRORS = 3


@functools.cache
def _manifest_validator() -> jsonschema.Draft202012Validator:
    import jsonschema

    schema = json.loads((theme_dir("schemas") / "manifest.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _shorten(message: str, limit: int = 120) -> str:
    # jsonschema quotes the offending value whole; a hostile manifest may make it huge.
    return message if len(message) <= limit else message[:limit] + "..."
