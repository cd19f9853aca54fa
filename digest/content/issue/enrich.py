"""Complete the selected entries from the web: full text for summaries (``full_text``), then
their images (``enrich``).

Every failure here is a Problem for the report; the article then keeps its summary, or
its image's alt text as a caption.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from digest.content.images.budget import BudgetFit, fit_budget
from digest.content.images.cache import ImageCache
from digest.content.images.fit import ImageProfile, ProcessedImage
from digest.content.issue.downloads import Downloads
from digest.content.issue.policy import image_profile
from digest.content.text.cleanmemo import Cleaner
from digest.content.text.extract import Extracted, extract_article, needs_full_text
from digest.content.text.extractcache import ExtractionCache
from digest.content.text.language import Detector, detect_entry, entry_language
from digest.content.text.sanitize import clean_html
from digest.core.cache import memo_key
from digest.core.config import Config
from digest.core.errors import ExtractionError, SourceError
from digest.core.models import Entry, Problem
from digest.ingest.failures import problems_by_host
from digest.ingest.fetch import Fetcher, Response
from digest.ingest.sniffing import sniff

log = logging.getLogger(__name__)

# Text compresses to about a third in the EPUB's zip; close enough for the image budget.
TEXT_COMPRESSION = 3


@dataclass(frozen=True)
class Enriched:
    entries: tuple[Entry, ...]
    images: Mapping[str, ProcessedImage]
    """Processed image by the absolute URL the article used."""
    problems: tuple[Problem, ...]


def enrich(config: Config, entries: tuple[Entry, ...], fetcher: Fetcher | None,
           extra_images: Iterable[str] = (), fixed_bytes: int = 0,
           fitted: ImageCache | None = None, clean: Cleaner = clean_html) -> Enriched:
    """Every content image of ``entries`` (and ``extra_images``), fitted to the budget.

    ``clean`` sanitizes a body to find its images. The build passes one that remembers its
    results, and ``fitted``, the images fitted in earlier builds: an image already fitted is not
    even read (it is found by the hash of the stored original), and the budget's ladder starts
    at the step the same images settled at.
    """
    if fetcher is None:
        return Enriched(entries, {}, ())
    urls = list(dict.fromkeys([*content_image_urls(entries, clean), *extra_images]))
    fetcher.look_up_ahead(urls)  # a slow lookup then holds no image worker (see netguard.HostLookups)
    images, problems = _images(config, entries, urls, fetcher, fixed_bytes, fitted)
    return Enriched(entries, images, tuple(problems))


def full_text(config: Config, entries: tuple[Entry, ...], fetcher: Fetcher | None,
              extraction: ExtractionCache | None = None, languages: Detector = detect_entry,
              clean: Cleaner = clean_html) -> tuple[tuple[Entry, ...], list[Problem]]:
    """Each summary's full text from its page, where one is needed; its language is judged again
    on it (by ``languages``). The build passes ``extraction``, which remembers each page's
    article: a page it knows by its stored hash is not even read.

    Each page is extracted as soon as it is downloaded, while the others still download. As each
    page's article is found, the hosts of its images (found by ``clean``, the build's memo, so
    enrich asks it again for nothing) start being looked up: on the real pages those lookups
    take seconds, now spent while the other pages are extracted.
    """
    if fetcher is None:
        return entries, []
    summary_only = {s.name for s in config.sources if s.summary_only}
    wanted = [e for e in entries if e.link.startswith(("http://", "https://"))
              and (e.source in summary_only or needs_full_text(e.content))]
    if not wanted:
        return entries, []
    known = _remembered_articles(fetcher, extraction, wanted) if extraction is not None else {}
    extract = extraction.extract if extraction is not None else extract_article
    by_link: dict[str, list[Entry]] = {}
    for entry in wanted:
        by_link.setdefault(entry.link, []).append(entry)
    replaced: dict[str, Entry] = {}
    unfetched: dict[str, SourceError] = {}
    no_article: dict[str, SourceError] = {}

    def take(link: str, found: Extracted | SourceError) -> None:
        if isinstance(found, SourceError):
            no_article[link] = found
            return
        for entry in by_link[link]:
            if needs_full_text(entry.content, found.text_length) or entry.source in summary_only:
                replaced[entry.guid] = dataclasses.replace(
                    entry, content=found.html, authors=entry.authors or found.authors,
                    language=entry_language(entry.title, found.html, entry.language, languages))
                fetcher.look_up_ahead(content_image_urls((replaced[entry.guid],), clean))

    for link, remembered in known.items():
        take(link, remembered)
    # A published post's page does not change between runs: a stored copy is not re-asked for.
    # Each page's article is found as soon as the page is there, while the others download.
    for link, page in fetcher.get_each((link for link in by_link if link not in known), label="full text",
                                       revalidate=False):
        if isinstance(page, SourceError):
            unfetched[link] = page
        else:
            take(link, _article(page, extract))
    # Pages that could not be downloaded are told per host (a dead blog is one line); pages
    # that came but hold no article are told per article. Both in the feeds' order.
    problems = problems_by_host({link: unfetched[link] for link in by_link if link in unfetched},
                                "article page", "kept the summary")
    problems += [Problem(no_article[e.link].where,
                         f"full text of {e.title!r}: {no_article[e.link].reason}; kept the summary")
                 for e in wanted if e.link in no_article]
    log.info("full text fetched for %d of %d summary-only entries", len(replaced), len(wanted))
    return tuple(replaced.get(e.guid, e) for e in entries), problems


def _article(page: Response, extract: Callable[[bytes, str], Extracted]) -> Extracted | SourceError:
    """The article of a downloaded page, or why it has none."""
    try:
        if sniff(page.body, page.content_type) != "html":
            raise ExtractionError(page.url, f"not an HTML page ({page.content_type or 'no type'})")
        return extract(page.body, page.final_url)
    except SourceError as exc:
        return exc


def _remembered_articles(fetcher: Fetcher, extraction: ExtractionCache,
                         entries: list[Entry]) -> dict[str, Extracted | ExtractionError]:
    """By link, what ``extraction`` remembers for the page stored for it (what get would return):
    the article, or the error extracting it raised."""
    known: dict[str, Extracted | ExtractionError] = {}
    for entry in entries:
        stored = fetcher.stored(entry.link)
        if stored is None:
            continue
        found: Extracted | ExtractionError | None
        try:
            found = extraction.recall(stored.sha256, stored.final_url)
        except ExtractionError as exc:
            found = exc
        if found is not None:
            known[entry.link] = found
    return known


def content_image_urls(entries: Iterable[Entry], clean: Cleaner = clean_html) -> list[str]:
    """Every image URL the sanitizer would ask for, in reading order, without repeats."""
    urls: list[str] = []

    def record(url: str) -> None:
        urls.append(url)

    for entry in entries:
        clean(entry.content or entry.summary, base_url=entry.link, id_prefix="x", resolve_image=record)
    return list(dict.fromkeys(u for u in urls if u.startswith(("http://", "https://"))))


def _recall(downloads: Downloads, fitted: ImageCache, url: str, profile: ImageProfile) -> ProcessedImage | None:
    """The image fitted earlier from the very bytes ``downloads[url]`` would give, without reading them."""
    stored = downloads.stored(url)
    return None if stored is None else fitted.remembered(stored.sha256, stored.size, profile)


def _budget_inputs(downloads: Downloads, profile: ImageProfile, budget_bytes: int,
                   fixed_bytes: int) -> tuple[str, bool]:
    """What fit_budget's outcome depends on (the originals by their stored hashes, the profile,
    the room), as a digest; and whether every original was stored (else fitting them stores them
    and changes the digest)."""
    stored = {url: downloads.stored(url) for url in downloads}
    originals = [(url, body.sha256 if body else "") for url, body in stored.items()]
    key = memo_key([dataclasses.asdict(profile), budget_bytes, fixed_bytes, originals])
    return key, None not in stored.values()


def _fitted(downloads: Downloads, profile: ImageProfile, budget_bytes: int, fixed_bytes: int,
            fitted: ImageCache | None) -> BudgetFit:
    """fit_budget over ``downloads``, each original downloaded ahead of the worker that fits it;
    with ``fitted``, what earlier builds fitted is recalled and the step they settled at kept."""
    if fitted is None:
        with downloads.ahead():
            return fit_budget(downloads, profile, budget_bytes=budget_bytes, fixed_bytes=fixed_bytes)
    inputs, complete = _budget_inputs(downloads, profile, budget_bytes, fixed_bytes)
    with downloads.ahead():
        fit = fit_budget(downloads, profile, budget_bytes=budget_bytes, fixed_bytes=fixed_bytes,
                         process=fitted.process, recall=functools.partial(_recall, downloads, fitted),
                         start=fitted.settled(inputs))
    if not complete:  # the next build finds the originals this one downloaded
        inputs, _ = _budget_inputs(downloads, profile, budget_bytes, fixed_bytes)
    fitted.settle(inputs, fit.profile)
    return fit


def _images(config: Config, entries: tuple[Entry, ...], urls: list[str], fetcher: Fetcher,
            fixed_bytes: int, fitted: ImageCache | None) -> tuple[dict[str, ProcessedImage], list[Problem]]:
    if not urls:
        return {}, []
    profile = image_profile(config)
    budget_bytes = int(config.images.budget_mb * 1_000_000)
    fixed_bytes += sum(len(e.content) for e in entries) // TEXT_COMPRESSION
    downloads = Downloads(urls, fetcher, profile.max_bytes)
    fit = _fitted(downloads, profile, budget_bytes, fixed_bytes, fitted)
    unfetched = {url: downloads.failed[url] for url in urls if url in downloads.failed}
    problems = problems_by_host(unfetched, "image", "alt text kept")
    problems += [Problem(url, f"image dropped: {error.reason}") for url, error in fit.failures.items()
                 if url not in unfetched]
    if not fit.fits:
        problems.append(Problem("images", f"issue is {fit.total_bytes} bytes even at the smallest image "
                                          f"size, over the {config.images.budget_mb:g} MB budget"))
    elif fit.profile != profile:
        log.info("images lowered to quality %d, box %dx%d to fit the budget",
                 fit.profile.jpeg_quality, fit.profile.max_width, fit.profile.max_height)
    saved = sum(i.original_bytes - i.size for i in fit.images.values())
    log.info("%d images, %d bytes saved by the image pipeline", len(fit.images), saved)
    return dict(fit.images), problems
