"""Keep an issue's images within the EPUB size budget by lowering their quality step by step.

Send to Kindle refuses e-mails over 50 MB, so the book must stay under the budget (45 MB
by default, leaving room for the mail encoding's overhead). ``fit_budget`` first tries the
profile as given, then lower JPEG qualities (82 -> 70 -> 60 -> 50 -> 40, never below the
profile's ``min_quality``), then shrinks the fitting box by 0.8 at a time at that lowest
quality, and stops at the first profile whose total fits.

With many images, a step after the first is tried on a random tenth of them first (seeded,
so builds stay reproducible): a step whose estimate is clearly over budget is skipped
without fitting every image, so an issue far over budget costs about two full passes,
not one per step. The first step is always fitted in full: most issues fit there.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import random
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from digest.content.images.fit import ImageProfile, ProcessedImage, process_image
from digest.core.errors import ImageError
from digest.core.progress import progress

log = logging.getLogger(__name__)

DEFAULT_BUDGET_BYTES = 45_000_000
QUALITY_STEPS = (82, 70, 60, 50, 40)
BOX_SHRINK = 0.8
# Below this width diagrams and screenshots become unreadable: give up rather than go on.
SMALLEST_BOX_WIDTH = 400

Processor = Callable[..., ProcessedImage]
Recall = Callable[[str, ImageProfile], "ProcessedImage | None"]
"""A source's image as ``process`` fitted it to a profile in an earlier build, found without
reading the original; None when it is not known."""
# One per core and one more: a worker never waits on the network, since the originals are
# downloaded ahead of it (digest.content.issue.downloads), only now and then on an original
# still on its way. On the bench (2 cores, 520 images, 20 on a slow host, 4 interleaved runs
# each) wall time was 1.17x the CPU floor with 3, 4 or 6 workers, 1.23x before the downloads
# went ahead with 6; the peak RSS was 182, 210 and 241 MB: it grows with the pictures in flight.
WORKERS = (os.cpu_count() or 1) + 1
SAMPLE_FROM = 50        # below this many images every step is simply tried in full
SAMPLE_EVERY = 10
ESTIMATE_MARGIN = 1.1   # a sample may misjudge by some percent: skip only clear overshoots


@dataclass(frozen=True)
class BudgetFit:
    """The outcome of ``fit_budget``."""

    profile: ImageProfile
    """The profile the images were processed with (the first one that fitted, or the last tried)."""
    images: Mapping[str, ProcessedImage]
    """Processed image by source URL, for every original that could be processed."""
    failures: Mapping[str, ImageError]
    """The error by source URL, for every original that was dropped."""
    total_bytes: int
    """``fixed_bytes`` plus the bytes of each distinct processed image (counted once by hash)."""
    fits: bool
    """Whether ``total_bytes`` is within the budget. False: even the smallest profile is too big."""


def degraded_profiles(profile: ImageProfile) -> Iterator[ImageProfile]:
    """``profile`` itself, then each step down the ladder described in the module docstring."""
    yield profile
    floor = min(profile.min_quality, profile.jpeg_quality)
    for quality in [*QUALITY_STEPS, floor]:
        if floor <= quality < profile.jpeg_quality:
            profile = dataclasses.replace(profile, jpeg_quality=quality)
            yield profile
    scale = BOX_SHRINK
    while round(profile.max_width * scale) >= SMALLEST_BOX_WIDTH:
        yield dataclasses.replace(profile, max_width=round(profile.max_width * scale),
                                  max_height=round(profile.max_height * scale))
        scale *= BOX_SHRINK


def fit_budget(originals: Mapping[str, bytes], profile: ImageProfile = ImageProfile(), *,
               budget_bytes: int = DEFAULT_BUDGET_BYTES, fixed_bytes: int = 0,
               process: Processor = process_image, recall: Recall | None = None,
               start: ImageProfile | None = None) -> BudgetFit:
    """Process every original (source URL -> downloaded bytes) so the book fits the budget.

    ``originals`` may be lazy: each original is read only when a worker fits it and is
    dropped right after, so memory holds a few originals, not all of them. Reading one
    may raise ImageError (e.g. it could not be downloaded); that source then fails.
    ``fixed_bytes`` is the size of everything else in the EPUB (text, CSS, cover, fonts).
    ``process`` has the signature of ``process_image``; pass a caching wrapper to reuse
    results stored from earlier runs. Sources that fail once are not retried at the
    smaller steps. ``recall`` answers before an original is read: what it knows is neither
    read nor processed. ``start`` is the step an earlier run with the same originals and budget
    stopped at: the steps above it did not fit then and are not tried again.
    """
    remaining = list(originals)
    failures: dict[str, ImageError] = {}
    steps = list(degraded_profiles(profile))
    if start in steps:
        steps = steps[steps.index(start):]
    for candidate in steps:
        if candidate not in (steps[0], steps[-1]) and _clearly_over(originals, remaining, candidate, process,
                                                                    budget_bytes - fixed_bytes, recall):
            continue
        images, new_failures = _process_all(originals, remaining, candidate, process, recall)
        failures.update(new_failures)
        remaining = [source for source in remaining if source not in new_failures]
        total = fixed_bytes + sum(image.size for image in
                                  {image.sha256: image for image in images.values()}.values())
        fits = total <= budget_bytes
        log.info("images at quality %d, box %dx%d: %d bytes in total (budget %d)",
                 candidate.jpeg_quality, candidate.max_width, candidate.max_height, total, budget_bytes)
        if fits:
            break
    return BudgetFit(candidate, images, failures, total, fits)


def _clearly_over(originals: Mapping[str, bytes], sources: list[str], profile: ImageProfile,
                  process: Processor, room: int, recall: Recall | None) -> bool:
    """Whether a sample of the images, scaled up, already overshoots the room left by ESTIMATE_MARGIN."""
    if len(sources) < SAMPLE_FROM:
        return False
    # Random, not every tenth: image lists repeat per article (photo, chart, ...) and a
    # stride would sample one kind only.
    sample = random.Random(len(sources)).sample(sources, len(sources) // SAMPLE_EVERY)
    fitted, _ = _process_all(originals, sample, profile, process, recall)
    if not fitted:
        return False
    estimate = sum(image.size for image in fitted.values()) * len(sources) / len(sample)
    log.info("images at quality %d, box %dx%d: about %d bytes estimated from %d of %d",
             profile.jpeg_quality, profile.max_width, profile.max_height, estimate, len(sample), len(sources))
    return estimate > room * ESTIMATE_MARGIN


def _process_all(originals: Mapping[str, bytes], sources: list[str], profile: ImageProfile,
                 process: Processor, recall: Recall | None) -> tuple[dict[str, ProcessedImage], dict[str, ImageError]]:
    def one(source: str) -> ProcessedImage | ImageError:
        try:
            known = recall(source, profile) if recall is not None else None
            return known if known is not None else process(originals[source], profile, source=source)
        except ImageError as error:
            return error

    # Pillow releases the GIL while it decodes and resizes: threads keep every core busy (see WORKERS).
    with progress("images", len(sources)) as advance, ThreadPoolExecutor(max_workers=WORKERS) as pool:
        outcomes = {}
        for source, outcome in zip(sources, pool.map(one, sources)):
            outcomes[source] = outcome
            advance()
    images = {s: o for s, o in outcomes.items() if not isinstance(o, ImageError)}
    failures = {s: o for s, o in outcomes.items() if isinstance(o, ImageError)}
    return images, failures
