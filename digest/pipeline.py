"""The whole build, top to bottom.

config -> gather (feeds + archive) -> select -> full text -> curate -> images
-> assemble -> render -> EPUB -> staged: check, Kindle formats, bundle -> swap -> site.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from digest.content.images.cache import ImageCache
from digest.content.images.covermemo import StoredCovers
from digest.content.issue.assemble import assemble_issue, note_xhtml
from digest.content.issue.enrich import enrich, full_text
from digest.content.issue.linkpages import link_pages
from digest.content.issue.linksources import merge_links, split_links
from digest.content.issue.policy import fetch_policy
from digest.content.issue.select import cap_text, drop_short, pin_key, select_entries
from digest.content.text.cleanmemo import CleanBodies
from digest.content.text.extractcache import ExtractionCache
from digest.content.text.language import StoredLanguages, language_model, model_ahead, remember_month
from digest.content.text.textmemo import StoredTextSizes
from digest.core.cache import Cache, memory_cache
from digest.core.config import Config
from digest.core.errors import BuildError
from digest.core.leftovers import private_folder
from digest.core.models import BuildResult, Issue, Problem, Skipped
from digest.core.month import Month
from digest.core.progress import stage as showing_stage
from digest.core.store import Store
from digest.core.stores import Stores, build_stores, stored_sizes
from digest.core.vocabulary import MB
from digest.ebook.epub import cover_href
from digest.ebook.gate import check_and_convert
from digest.ebook.memo import book_inputs, epub_once, java_wanted, remember_inputs
from digest.ebook.primed import primed_checkers
from digest.ebook.quarantine import vet_articles
from digest.ebook.render import Page, Theme, render_pages
from digest.ebook.templatecode import TemplateCode
from digest.ebook.validate import JingRunner, fragment_errors
from digest.ebook.validmemo import ValidatedFragments
from digest.ingest.archive import month_window, published_elsewhere, record_published
from digest.ingest.curate import curated_links
from digest.ingest.feedmemo import ParsedFeeds
from digest.ingest.feeds import read_source
from digest.ingest.fetch import Fetcher
from digest.ingest.gather import Gathered, SourceReader, gather
from digest.ingest.httpcache import StoreCache, StoreFailures
from digest.ingest.issuefile import load_issue
from digest.publish.bundle import write_bundle
from digest.publish.catalog import ValidManifests, published_issues, read_manifest
from digest.publish.recordfix import restore_record
from digest.publish.site import render_site, write_site
from digest.publish.staging import file_stem, month_dir, publication_root, staged

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Composition:
    """An issue gathered and rendered, nothing written yet (shared by build and preview)."""

    issue: Issue
    pages: tuple[Page, ...]
    theme: Theme
    skipped: tuple[Skipped, ...]
    problems: tuple[Problem, ...]
    capped: tuple[str, ...] = ()
    """What the ``[limits]`` caps left out, one line each."""
    inputs: str = ""
    """What the book is made from, as a digest (digest.ebook.memo.book_inputs)."""


def build_issue(config: Config, month: Month, *, strict: bool = False,
                allow_empty: bool = False) -> BuildResult:
    """Build and publish one month. Everything is gathered before anything is written."""
    started = time.monotonic()
    with build_stores(config) as stores, make_fetcher(config, stores) as fetcher, \
            primed_checkers() as checkers, private_folder("images") as image_folder:
        def inputs_read(inputs: str) -> None:
            # EPUBCheck warms up in the background while the pages and images are made (see
            # digest.ebook.primed), unless this month's last build had the same inputs: then it
            # is asked nothing (its answers are remembered) and would only take CPU.
            if java_wanted(stores.cache, month, inputs):
                checkers.start_ahead()

        if java_wanted(stores.cache, month):  # a month never built: java warms up while the feeds are read
            checkers.start_ahead()
        restore_record(config, stores.record)  # a lost record: no published article is carried again
        composition = compose_issue(config, month, strict=strict, allow_empty=allow_empty,
                                    fetcher=fetcher, record=stores.record, cache=stores.cache, jing=checkers.jing,
                                    image_folder=image_folder, inputs_read=inputs_read)
        final = month_dir(config, month)
        epub_name = f"{file_stem(config, month)}.epub"
        with staged(final) as stage:
            epub_path = stage / epub_name
            with showing_stage("book"):
                sha256 = epub_once(stores.cache, final / epub_name, composition.issue, composition.pages,
                                   composition.theme, epub_path)
            with showing_stage("check and conversions"):
                gated = check_and_convert(stores.cache, config.output, final, epub_path, sha256, composition.issue,
                                          composition.pages, composition.theme, strict=strict,
                                          epubcheck=checkers.epubcheck)
            composition = dataclasses.replace(composition, issue=gated.issue, pages=gated.pages,
                                              problems=(*composition.problems, *gated.quarantined))
            issue, checked, kindle = gated.issue, gated.report, gated.kindle
            notes = (*composition.capped, *checked.notes, *kindle.notes)
            bundled = write_bundle(stage, file_stem(config, month), issue, skipped=composition.skipped,
                                   problems=composition.problems, notes=notes, known={epub_name: gated.sha256})
            # Rendered before the swap so a broken site template leaves everything as it was.
            valid = ValidManifests(stores.cache)
            site = render_site(config, published_issues(config, staged=read_manifest(stage, valid), valid=valid),
                               TemplateCode(stores.cache))
        record_published(stores.record, month, issue.articles,
                         [link for group in issue.curated for link in group.links])
        remember_inputs(stores.cache, month, composition.inputs)
        pruned = stores.cache.prune(config.cache.max_mb * MB)
    write_site(config, site)
    return BuildResult(issue=issue, epub=final / epub_name, files=tuple(final / name for name in bundled),
                       skipped=composition.skipped, problems=composition.problems, notes=notes,
                       check_warnings=tuple(f"{f.rule}: {f.message}" for f in checked.warnings),
                       check_notes=checked.notes, site=publication_root(config),
                       stored=stored_sizes(config, pruned), elapsed=time.monotonic() - started)


def compose_issue(config: Config, month: Month, *, strict: bool = False, allow_empty: bool = False,
                  fetcher: Fetcher | None = None, record: Store | None = None, cache: Cache | None = None,
                  reader: SourceReader | None = None, jing: JingRunner | None = None,
                  image_folder: Path | None = None, inputs_read: Callable[[str], None] | None = None) -> Composition:
    """Read the issue file and every source, select the month, assemble and render the pages.

    Without a ``fetcher`` nothing is downloaded; without a ``record`` no entry is remembered and
    no earlier issue's article left out; without a ``cache`` one lives for this call only.
    ``reader`` reads one source; the preview passes one that remembers remote feeds. ``jing``
    validates article bodies in a java already running (else one is started for them).
    Fitted images wait in ``image_folder`` for the book (without one they are held in memory).
    ``inputs_read`` is told the book's inputs (book_inputs) once the feeds are read.
    """
    spec = load_issue(config, month)
    cache = cache if cache is not None else memory_cache()
    theme = Theme.load(config.output.templates_dir, TemplateCode(cache))
    # For the feeds' texts and the fetched full texts, gone before the images; loading while the feeds are read.
    with language_model(ahead=model_ahead(cache, month)):
        with showing_stage("feeds"):
            parse = ParsedFeeds(cache).parse
            gathered = gather(config, reader or functools.partial(read_source, fetcher=fetcher, parse=parse), record,
                              month_window(month, map(pin_key, spec.pinned)))
        inputs = book_inputs(config, spec, gathered.entries)
        if inputs_read is not None:
            # Java, at low priority, takes the core the language model's load and the selection leave idle.
            inputs_read(inputs)
        earlier = published_elsewhere(record, month) if record is not None else frozenset()
        languages = StoredLanguages(cache).detect
        selection, fed_links = split_links(
            config, select_entries(config, spec, gathered.entries, earlier, languages), earlier)
        if not selection.articles and not allow_empty:
            # No report follows this error: the sources that failed are said here, once.
            raise BuildError(f"no articles for {month.label}: nothing to publish "
                             f"({len(gathered.entries)} entries read from {len(config.sources)} sources)"
                             + "".join(f"\n  {report.source}: {report.error}"
                                       for report in gathered.reports if report.error))
        clean = CleanBodies(cache).clean
        with showing_stage("full text"):
            articles, text_problems = full_text(config, selection.articles, fetcher, ExtractionCache(cache),
                                                languages, clean)
        remember_month(cache, month)
    with showing_stage("pages and images"):
        links, link_problems = curated_links(config, month, merge_links(spec.links, fed_links), fetcher)
        images = ImageCache(cache, image_folder)
        papers = link_pages(config, links, fetcher, process=images.process)
        enriched = enrich(config, articles, fetcher,
                          extra_images=[link.image_url for link in links if link.image_url],
                          fixed_bytes=sum(image.size for image in papers.images.values()),
                          fitted=images, clean=clean)
    problems = (*gathered.problems, *text_problems, *link_problems, *papers.problems, *enriched.problems)
    if strict and problems:
        raise BuildError("strict mode: " + "; ".join(f"{p.where}: {p.reason}" for p in problems))
    measure = StoredTextSizes(cache).size
    long_enough = drop_short(config, spec, enriched.entries, measure)
    within_caps = cap_text(config, long_enough.articles, measure)
    capped = (*selection.capped, *within_caps.capped)
    for line in capped:
        log.info("%s", line)  # the build report shows it
    issue = assemble_issue(config, spec, within_caps.articles, papers.links, {**enriched.images, **papers.images},
                           clean=clean, draw=StoredCovers(cache).draw)
    validate = ValidatedFragments(cache, functools.partial(fragment_errors, warm=jing)).errors
    issue, quarantined = vet_articles(issue, strict=strict, validate=validate)
    pages = render_pages(issue, theme, cover_href(issue))
    return Composition(issue, pages, theme, (*selection.skipped, *long_enough.skipped), (*problems, *quarantined),
                       capped, inputs)


def recompose(config: Config, month: Month, last: Composition, cache: Cache | None = None) -> Composition:
    """``last`` with the editor's note and the theme read again, its pages rendered again: all
    that a save of the note or of a template changes (the preview's rebuild after such a save).
    Nothing is read from the sources, fetched, extracted or cleaned again."""
    issue = dataclasses.replace(last.issue, note_html=note_xhtml(config, load_issue(config, month)))
    theme = Theme.load(config.output.templates_dir, TemplateCode(cache if cache is not None else memory_cache()))
    return dataclasses.replace(last, issue=issue, theme=theme, pages=render_pages(issue, theme, cover_href(issue)))


def fetch_sources(config: Config) -> Gathered:
    """`digest fetch`: read every source now and remember its entries (run it daily)."""
    with build_stores(config) as stores, make_fetcher(config, stores) as fetcher:
        parse = ParsedFeeds(stores.cache).parse
        gathered = gather(config, functools.partial(read_source, fetcher=fetcher, parse=parse), stores.record)
        stores.cache.prune(config.cache.max_mb * MB)
        return gathered


def rebuild_record(config: Config) -> int:
    """`digest record rebuild`: what each published issue carried, back in the record; the number of issues."""
    with build_stores(config) as stores:
        return restore_record(config, stores.record)


def make_fetcher(config: Config, stores: Stores | None) -> Fetcher:
    """A fetcher that keeps pages in the cache and remembers dead links in the record (with ``stores``)."""
    if stores is None:
        return Fetcher(fetch_policy(config))
    return Fetcher(fetch_policy(config), StoreCache(stores.cache), memory=StoreFailures(stores.record))
