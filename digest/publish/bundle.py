"""A month's bundle: the ebooks, cover and thumbnail, ``manifest.json`` with checksums, one zip.

Every time in a manifest derives from the issue month, never from the clock, so the
same inputs give the same manifest and the same zip. ``catalog`` reads the manifests
back, ``yearbundle`` zips a year of them, ``verify`` checks files against them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from digest import __version__
from digest.core.fields import web_url
from digest.core.models import Issue, Problem, Skipped
from digest.core.month import Month
from digest.core.vocabulary import FORMATS, MEDIA_TYPES
from digest.core.zips import file_sha256, write_zip

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
TIME_SOURCE = ("issue-month: every date here is the first of the issue month, 00:00 UTC, "
               "not the build clock, so rebuilding the same inputs gives the same manifest")


@dataclass(frozen=True)
class BundleFile:
    name: str
    role: str
    """epub, azw3, mobi, cover, thumbnail or extra."""
    media_type: str
    size: int
    sha256: str


def write_bundle(stage: Path, stem: str, issue: Issue, *, skipped: Iterable[Skipped] = (),
                 problems: Iterable[Problem] = (), notes: Iterable[str] = (),
                 known: Mapping[str, str] = MappingProxyType({})) -> tuple[str, ...]:
    """Add cover, thumbnail, manifest and zip to the ebooks already in ``stage``.

    Returns the names of every file of the bundle. Whatever ebooks the build left in
    the stage are listed, so a format that calibre could not make is simply absent.
    ``known`` maps file names to the SHA-256 the build already has (the EPUB's): those
    files are not read again to be hashed.
    """
    ext = issue.cover.extension
    (stage / f"{stem}-cover.{ext}").write_bytes(issue.cover.data)
    (stage / f"{stem}-thumbnail.jpg").write_bytes(issue.cover.thumbnail)
    files = [_describe(p, known.get(p.name)) for p in sorted(stage.iterdir(), key=_bundle_order)
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
    order = (*FORMATS, "cover", "thumbnail", "extra")
    return order.index(role), path.name


def _role(name: str) -> str:
    suffix = name.rpartition(".")[2]
    if suffix in FORMATS:
        return suffix
    stem = name.rpartition(".")[0]
    return next((role for role in ("cover", "thumbnail") if stem.endswith(f"-{role}")), "extra")


def _describe(path: Path, sha256: str | None) -> BundleFile:
    media_type = MEDIA_TYPES.get(path.suffix.lstrip("."), "application/octet-stream")
    return BundleFile(path.name, _role(path.name), media_type, path.stat().st_size, sha256 or file_sha256(path))


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
             "authors": list(a.authors), "url": web_url(a.link), "source": a.source,
             "published": a.published.isoformat(), "word_count": a.word_count}
            for s in issue.sections for a in s.articles
        ],
        "curated_links": [
            {"kind": g.kind, "group": g.title, "title": link.title, "url": web_url(link.url), "summary": link.summary}
            for g in issue.curated for link in g.links
        ],
        "files": [{"name": f.name, "role": f.role, "media_type": f.media_type, "size": f.size,
                   "sha256": f.sha256} for f in files],
        "zip": zip_name,
        "skipped": [{"source": s.source, "title": s.title, "url": web_url(s.link), "reason": s.reason}
                    for s in skipped],
        "problems": [{"where": p.where, "reason": p.reason} for p in problems],
        "notes": list(notes),
    }
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _timestamp(month: Month) -> str:
    return month.issue_date.strftime("%Y-%m-%dT%H:%M:%SZ")
