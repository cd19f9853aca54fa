"""A month's bundle: the ebooks, cover and thumbnail, ``manifest.json`` with checksums, one zip.

Also the yearly subscription bundle and ``digest verify``. Every time in a manifest
derives from the issue month, never from the clock, so the same inputs give the same
manifest and the same zip.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from PIL import Image

from digest import __version__
from digest.core.config import Config
from digest.core.errors import BundleError
from digest.core.models import Issue, Problem, Skipped
from digest.core.month import Month
from digest.core.vocabulary import WORDS_PER_MINUTE
from digest.core.zips import write_zip
from digest.publish.staging import publication_root, write_atomically

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
MONTH_DIR_RE = re.compile(r"^\d{4}-\d{2}$")
THUMBNAIL_SIZE = (200, 320)
TIME_SOURCE = ("issue-month: every date here is the first of the issue month, 00:00 UTC, "
               "not the build clock, so rebuilding the same inputs gives the same manifest")
MEDIA_TYPES = {
    "epub": "application/epub+zip",
    "azw3": "application/x-mobi8-ebook",
    "mobi": "application/x-mobipocket-ebook",
    "zip": "application/zip",
    "jpg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
}
EBOOK_FORMATS = ("epub", "azw3", "mobi")


@dataclass(frozen=True)
class BundleFile:
    name: str
    role: str
    """epub, azw3, mobi, cover, thumbnail or extra."""
    media_type: str
    size: int
    sha256: str


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
        return max(1, round(self.word_count / WORDS_PER_MINUTE))


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
        return tuple(f for f in self.files if f.role in EBOOK_FORMATS)

    @property
    def sections(self) -> tuple[tuple[str, tuple[ListedArticle, ...]], ...]:
        titles = dict.fromkeys(a.section_title for a in self.articles)
        return tuple((t, tuple(a for a in self.articles if a.section_title == t)) for t in titles)


@dataclass(frozen=True)
class Verification:
    checked: int
    mismatches: tuple[str, ...]


def write_bundle(stage: Path, stem: str, issue: Issue, *, skipped: Iterable[Skipped] = (),
                 problems: Iterable[Problem] = (), notes: Iterable[str] = ()) -> tuple[str, ...]:
    """Add cover, thumbnail, manifest and zip to the ebooks already in ``stage``.

    Returns the names of every file of the bundle. Whatever ebooks the build left in
    the stage are listed, so a format that calibre could not make is simply absent.
    """
    ext = issue.cover.extension
    (stage / f"{stem}-cover.{ext}").write_bytes(issue.cover.data)
    (stage / f"{stem}-thumbnail.jpg").write_bytes(_thumbnail(issue.cover.data))
    files = [_describe(p) for p in sorted(stage.iterdir(), key=_bundle_order)
             if p.is_file() and not p.name.startswith(".")]
    zip_name = f"{stem}.zip"
    manifest = _manifest(issue, files, zip_name, tuple(skipped), tuple(problems), tuple(notes))
    (stage / MANIFEST).write_bytes(manifest)
    members = [(f"{stem}/{MANIFEST}", manifest)] + [(f"{stem}/{f.name}", stage / f.name) for f in files]
    with (stage / zip_name).open("wb") as out:
        write_zip(out, members, issue.month.issue_date)
    return (*(f.name for f in files), MANIFEST, zip_name)


def _bundle_order(path: Path) -> tuple[int, str]:
    role = _role(path.name)
    order = (*EBOOK_FORMATS, "cover", "thumbnail", "extra")
    return order.index(role), path.name


def _role(name: str) -> str:
    suffix = name.rpartition(".")[2]
    if suffix in EBOOK_FORMATS:
        return suffix
    stem = name.rpartition(".")[0]
    return next((role for role in ("cover", "thumbnail") if stem.endswith(f"-{role}")), "extra")


def _describe(path: Path) -> BundleFile:
    data = path.read_bytes()
    media_type = MEDIA_TYPES.get(path.suffix.lstrip("."), "application/octet-stream")
    return BundleFile(path.name, _role(path.name), media_type, len(data), hashlib.sha256(data).hexdigest())


def _thumbnail(cover: bytes) -> bytes:
    """A small JPEG for catalogs and the download page (OPDS thumbnail link)."""
    with Image.open(io.BytesIO(cover)) as image:
        small = image.convert("RGB")
        small.thumbnail(THUMBNAIL_SIZE, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _manifest(issue: Issue, files: list[BundleFile], zip_name: str, skipped: tuple[Skipped, ...],
              problems: tuple[Problem, ...], notes: tuple[str, ...]) -> bytes:
    pub = issue.publication
    data = {
        "manifest_version": MANIFEST_VERSION,
        "generator": f"digest {__version__}",
        "publication": {"title": pub.title, "subtitle": pub.subtitle, "publisher": pub.publisher,
                        "slug": pub.slug, "language": pub.language, "description": pub.description,
                        "base_url": pub.base_url},
        "month": str(issue.month),
        "label": issue.month.label,
        "volume": issue.volume,
        "number": issue.number,
        "title": issue.title,
        "identifier": issue.identifier,
        "issued": _timestamp(issue.month),
        "note_html": issue.note_html,
        "time_source": TIME_SOURCE,
        "articles": [
            {"id": a.id, "section": s.section.id, "section_title": s.section.title, "title": a.title,
             "authors": list(a.authors), "url": a.link, "source": a.source,
             "published": a.published.isoformat(), "word_count": a.word_count}
            for s in issue.sections for a in s.articles
        ],
        "curated_links": [
            {"kind": g.kind, "group": g.title, "title": link.title, "url": link.url, "summary": link.summary}
            for g in issue.curated for link in g.links
        ],
        "files": [{"name": f.name, "role": f.role, "media_type": f.media_type, "size": f.size,
                   "sha256": f.sha256} for f in files],
        "zip": zip_name,
        "skipped": [{"source": s.source, "title": s.title, "url": s.link, "reason": s.reason} for s in skipped],
        "problems": [{"where": p.where, "reason": p.reason} for p in problems],
        "notes": list(notes),
    }
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _timestamp(month: Month) -> str:
    return month.issue_date.strftime("%Y-%m-%dT%H:%M:%SZ")


def published_issues(config: Config, pending: tuple[Month, Path] | None = None) -> tuple[PublishedIssue, ...]:
    """Every month in place, newest first, read from its manifest.

    ``pending`` is a (month, staging folder) about to replace that month: it is read in
    place of the published one, so the site can be rendered before the swap.
    """
    root = publication_root(config)
    folders = {d.name: d for d in sorted(root.iterdir()) if MONTH_DIR_RE.match(d.name) and d.is_dir()} \
        if root.is_dir() else {}
    if pending is not None:
        folders[str(pending[0])] = pending[1]
    issues = [read_manifest(folder) for name, folder in folders.items() if (folder / MANIFEST).is_file()]
    return tuple(sorted(issues, key=lambda i: i.month, reverse=True))


def read_manifest(folder: Path) -> PublishedIssue:
    data = _load_manifest(folder / MANIFEST)
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


def _load_manifest(path: Path) -> dict:
    try:
        return _parse_manifest(path.read_bytes(), str(path))
    except FileNotFoundError:
        raise BundleError(f"{path}: no manifest") from None
    except OSError as exc:
        raise BundleError(f"{path}: cannot read: {exc}") from None


def _parse_manifest(data: bytes, where: str) -> dict:
    try:
        manifest = json.loads(data)
    except ValueError as exc:
        raise BundleError(f"{where}: invalid JSON: {exc}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        raise BundleError(f"{where}: not a digest manifest (no file list)")
    return manifest


def year_bundle_name(config: Config, year: int) -> str:
    return f"{config.publication.slug}-{year:04d}.zip"


def write_year_bundle(config: Config, year: int) -> Path:
    """Zip every issue of ``year`` in place (each month's files and manifest) into one file.

    The month zips are left out: the yearly zip already holds their contents.
    """
    issues = sorted((i for i in published_issues(config) if i.month.year == year), key=lambda i: i.month)
    if not issues:
        raise BundleError(f"no issues of {year} in {publication_root(config)}: nothing to bundle")
    root = publication_root(config)
    prefix = f"{config.publication.slug}-{year:04d}"
    members = []
    for issue in issues:
        folder = root / str(issue.month)
        for name in (MANIFEST, *(f.name for f in issue.files)):
            members.append((f"{prefix}/{issue.month}/{name}", folder / name))
    target = root / year_bundle_name(config, year)
    write_atomically(target, lambda out: write_zip(out, members, issues[-1].month.issue_date))
    log.info("wrote %s (%d issues)", target, len(issues))
    return target


def verify(path: Path) -> Verification:
    """Compare every file of a bundle (month folder, month zip or yearly zip) with its manifest."""
    if path.is_dir():
        return _verify_folder(path)
    if path.name == MANIFEST:
        return _verify_folder(path.parent)
    if zipfile.is_zipfile(path):
        return _verify_zip(path)
    raise BundleError(f"{path}: not a bundle (expected a month folder, its manifest.json or a zip)")


def _verify_folder(folder: Path) -> Verification:
    manifest = _load_manifest(folder / MANIFEST)
    checked, mismatches = 0, []
    listed = {MANIFEST, manifest.get("zip")}
    for entry in manifest["files"]:
        listed.add(entry["name"])
        target = folder / entry["name"]
        checked += 1
        if not target.is_file():
            mismatches.append(f"{target}: missing")
            continue
        mismatches.extend(_compare(str(target), target.read_bytes(), entry))
    mismatches.extend(f"{p}: not listed in the manifest" for p in sorted(folder.iterdir())
                      if p.name not in listed and not p.name.startswith("."))
    zip_path = folder / str(manifest.get("zip"))
    if manifest.get("zip") and zip_path.is_file():
        inner = _verify_zip(zip_path)
        checked += inner.checked
        mismatches.extend(inner.mismatches)
    return Verification(checked, tuple(mismatches))


def _verify_zip(path: Path) -> Verification:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BundleError(f"{path}: cannot read the zip: {exc}") from None
    with archive:
        names = set(archive.namelist())
        manifests = sorted(n for n in names if PurePosixPath(n).name == MANIFEST)
        if not manifests:
            raise BundleError(f"{path}: no {MANIFEST} inside")
        checked, mismatches = 0, []
        for manifest_name in manifests:
            manifest = _parse_manifest(archive.read(manifest_name), f"{path}!{manifest_name}")
            base = PurePosixPath(manifest_name).parent
            for entry in manifest["files"]:
                member = str(base / entry["name"]) if str(base) != "." else entry["name"]
                checked += 1
                if member not in names:
                    mismatches.append(f"{path}!{member}: missing")
                    continue
                mismatches.extend(_compare(f"{path}!{member}", archive.read(member), entry))
    return Verification(checked, tuple(mismatches))


def _compare(where: str, data: bytes, entry: dict) -> list[str]:
    problems = []
    if len(data) != entry.get("size"):
        problems.append(f"{where}: size {len(data)} differs from the manifest's {entry.get('size')}")
    digest = hashlib.sha256(data).hexdigest()
    if digest != entry.get("sha256"):
        problems.append(f"{where}: SHA-256 {digest[:12]}... differs from the manifest's "
                        f"{str(entry.get('sha256'))[:12]}...")
    return problems
