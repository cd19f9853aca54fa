"""What a rebuild of an unchanged book can take from the cache instead of redoing it.

The build is byte-reproducible, so the same inputs give the same EPUB bytes: a book whose
SHA-256 already passed the Kindle-ready check passed it again, and Kindle files converted
from it (with the same calibre options) would only differ in calibre's random ids. Every
entry also carries digest's version, so an upgrade redoes everything once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import pickle
import shutil
from concurrent.futures import Executor
from pathlib import Path

from digest import __version__
from digest.core.cache import Cache
from digest.core.config import Config, Output
from digest.core.models import Entry, Issue, IssueSpec
from digest.core.month import Month
from digest.core.vocabulary import KINDLE_FORMATS
from digest.core.zips import file_sha256
from digest.ebook.check import BookReport, EpubCheckRunner, check_epub
from digest.ebook.check_rules import Finding
from digest.ebook.epub import draft_epub
from digest.ebook.kindle import KindleFiles, build_kindle_formats
from digest.ebook.render import Page, Theme

log = logging.getLogger(__name__)

BOOK_INPUTS = "book-inputs"
"""Cache memo kind: the inputs (book_inputs) of a month's last completed build."""


def epub_once(cache: Cache, published: Path, issue: Issue, pages: tuple[Page, ...], theme: Theme,
              target: Path) -> str:
    """write_epub to ``target``, or a copy of ``published`` (the EPUB now online) when the cache
    recorded it as zipped from the same files and it still has the SHA-256 recorded then.

    Returns the SHA-256 of ``target``, for the steps after (the check, the conversions, the
    bundle) not to read the book again to hash it."""
    with draft_epub(issue, pages, theme) as book:
        key = f"{book.digest()} {__version__}"
        recorded = cache.recall("epub", key)
        if recorded is not None and published.is_file() and file_sha256(published) == recorded:
            log.info("%s: same files as the published book, copied", published.name)
            link_or_copy(published, target)
            return recorded
        book.write(target)
    sha256 = file_sha256(target)
    cache.remember("epub", key, sha256)
    return sha256


def book_inputs(config: Config, spec: IssueSpec, entries: tuple[Entry, ...]) -> str:
    """A digest of what a build makes its book from, known once the feeds are read: the
    settings, the issue file, the entries, and the cover and template files the user gave (by
    name, size and modification time)."""
    folder = config.output.templates_dir
    files = [*(folder.iterdir() if folder and folder.is_dir() else ()), *([spec.cover] if spec.cover else ())]
    stats = sorted((str(path), path.stat().st_size, path.stat().st_mtime_ns) for path in files if path.is_file())
    sha = _Sha256()
    # Fast mode has no memo: an object met twice is written twice, so equal inputs give equal
    # bytes however their strings happen to be shared (the memo's back-references would not).
    pickler = pickle.Pickler(sha, protocol=5)
    pickler.fast = True
    pickler.dump((__version__, config, spec, entries, stats))
    return sha.hash.hexdigest()


class _Sha256:
    """A file-like object that hashes what is written to it."""

    def __init__(self) -> None:
        self.hash = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        return len(data)


def link_or_copy(source: Path, target: Path) -> None:
    """``target`` as a hard link to ``source`` (a published file, never written in place: a new
    book is written to a new file, see digest.ebook.epub, and calibre's output is moved in), or
    a copy where the file system has no hard links."""
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def java_wanted(cache: Cache, month: Month, inputs: str | None = None) -> bool:
    """Whether to start EPUBCheck's java ahead (see digest.ebook.primed): unless the last
    completed build of ``month`` had the same ``inputs``, when everything java would check
    (the bodies, the book) is remembered and a rebuild asks it nothing. Without ``inputs``
    (before the feeds are read): only when no build of ``month`` completed yet, so java will
    surely be asked. A guess either way costs time only: java not started ahead starts when
    first asked."""
    remembered = cache.recall(BOOK_INPUTS, str(month))
    return remembered is None if inputs is None else remembered != inputs


def remember_inputs(cache: Cache, month: Month, inputs: str) -> None:
    """The ``inputs`` of a build of ``month`` that completed, for java_wanted next time."""
    cache.remember(BOOK_INPUTS, str(month), inputs)


def kindle_ready_once(cache: Cache, epub: Path, sha256: str, epubcheck: EpubCheckRunner | None = None) -> BookReport:
    """check_epub (EPUBCheck, run by ``epubcheck``, and the Kindle rules), unless a book with
    these exact bytes (``sha256``, the EPUB's) was already checked completely: then that
    check's report (its findings, warnings included, and whether the book claims conformance)."""
    key = f"{sha256} {__version__}"
    recorded = cache.recall("kindle-ready", key)
    if recorded is not None:
        log.info("%s: identical to a book already checked, its report reused", epub.name)
        return report_from_json(epub, recorded)
    report = check_epub(epub, runner=epubcheck)
    if report.ok and not report.notes:  # not a check cut short (no java, a timeout): that may pass next time
        cache.remember("kindle-ready", key, report_to_json(report))
    return report


def report_to_json(report: BookReport) -> str:
    return json.dumps({"findings": [dataclasses.asdict(f) for f in report.findings], "conforms": report.conforms})


def report_from_json(epub: Path, text: str) -> BookReport:
    """The report report_to_json saved, for the book at ``epub``; a memo of an older shape
    (``passed``, from before findings were kept) is a spotless report."""
    if not text.startswith("{"):
        return BookReport(epub, ())
    saved = json.loads(text)
    findings = tuple(Finding(**{**f, "files": tuple(f["files"])}) for f in saved["findings"])
    return BookReport(epub, findings, (), saved["conforms"])


def kindle_formats_once(cache: Cache, output: Output, published: Path, epub: Path, sha256: str, issue: Issue,
                        pages: tuple[Page, ...], theme: Theme, pool: Executor | None = None) -> KindleFiles:
    """build_kindle_formats, or copies of the published month's files when they came from the same EPUB.

    ``published`` is the month folder now online. Its files are reused only when the cache
    recorded them as converted from an EPUB with this ``sha256`` and these calibre options, and
    each file still has the SHA-256 recorded then. ``pool`` runs the conversions (see build_kindle_formats).
    """
    wanted = [fmt for fmt in output.formats if fmt in KINDLE_FORMATS]
    if not wanted:
        return build_kindle_formats(output, epub, issue, pages, theme, pool)
    key = " ".join([sha256, __version__, output.kindle_profile, *wanted])
    recorded = cache.recall("kindle-formats", key)
    if recorded is not None:
        hashes = json.loads(recorded)
        sources = [published / name for name in hashes]
        if all(path.is_file() and file_sha256(path) == hashes[path.name] for path in sources):
            log.info("%s: EPUB unchanged, reusing the published %s", epub.name, ", ".join(hashes))
            for path in sources:
                link_or_copy(path, epub.parent / path.name)
            return KindleFiles(tuple(epub.parent / path.name for path in sources))
    kindle = build_kindle_formats(output, epub, issue, pages, theme, pool)
    if not kindle.notes:
        cache.remember("kindle-formats", key, json.dumps({path.name: file_sha256(path) for path in kindle.files}))
    return kindle
