"""Whitepapers and reference architectures read into pages of their own (``LinkBrief``).

A whitepaper's PDF gives a brief (metadata, abstract, contents, its most diagram-like page
drawn as the figure); a GitHub repository's README gives a reference architecture (its
opening paragraphs, numbered steps and first image); a reference architecture that is a
PDF (a one-page diagram) is drawn like a whitepaper's figure. Whatever cannot be read is
one line in the report, and the link stays a line of the further-reading page as before.
"""

from __future__ import annotations

import dataclasses
import io
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from PIL import Image

from digest.content.images.budget import Processor
from digest.content.images.fit import ImageProfile, ProcessedImage, process_image
from digest.content.issue.pdfbrief import read_pdf
from digest.content.issue.policy import image_profile
from digest.content.issue.repoarch import has_scripts, read_readme, readme_url
from digest.core.config import Config
from digest.core.errors import ImageError, SourceError
from digest.core.models import CuratedLink, LinkBrief, Problem
from digest.core.vocabulary import MB
from digest.ingest.fetch import Fetcher
from digest.ingest.linkdocs import read_documents
from digest.ingest.sniffing import sniff

log = logging.getLogger(__name__)

TURN_GAIN = 1.2
"""A landscape drawing is turned a quarter when that makes it at least this much larger on the screen."""


@dataclass(frozen=True)
class LinkPages:
    links: tuple[CuratedLink, ...]
    """The links, with a brief where their document could be read."""
    images: Mapping[str, ProcessedImage]
    """Figures by ``LinkBrief.figure_key``."""
    problems: tuple[Problem, ...]


def link_pages(config: Config, links: Iterable[CuratedLink], fetcher: Fetcher | None,
               process: Processor = process_image) -> LinkPages:
    links = tuple(links)
    if not config.links.pages:
        return LinkPages(links, {}, ())
    profile = image_profile(config)
    wanted = {link.url: _document_url(link) for link in links}
    documents = read_documents((url for url in wanted.values() if url), fetcher, config.links.snapshots,
                               int(config.links.max_pdf_mb * MB))
    reader = _Reader(config, profile, fetcher, process)
    done = []
    for link in links:
        found = documents.get(wanted[link.url] or "")
        if found is None:
            done.append(link)
            continue
        try:
            if isinstance(found, SourceError):
                raise found
            brief = reader.brief(link, wanted[link.url], found)
        except SourceError as exc:
            reader.problems.append(Problem(exc.where, f"{_noun(link)} not read: {exc.reason}; kept as a link"))
            brief = None
        done.append(dataclasses.replace(link, brief=brief) if brief is not None else link)
    return LinkPages(tuple(done), reader.images, tuple(reader.problems))


def _document_url(link: CuratedLink) -> str:
    """What to read for a link's page: a whitepaper itself, a repository's raw README, a diagram PDF."""
    if link.kind == "whitepaper":
        return link.url
    if link.kind == "reference-architecture":
        return readme_url(link.url) or (link.url if link.url.lower().split("?")[0].endswith(".pdf") else "")
    return ""


def _noun(link: CuratedLink) -> str:
    return "whitepaper" if link.kind == "whitepaper" else "reference architecture"


class _Reader:
    def __init__(self, config: Config, profile: ImageProfile, fetcher: Fetcher | None, process: Processor):
        self.config, self.profile, self.fetcher, self.process = config, profile, fetcher, process
        self.images: dict[str, ProcessedImage] = {}
        self.problems: list[Problem] = []

    def brief(self, link: CuratedLink, url: str, body: bytes) -> LinkBrief | None:
        if url != link.url:
            return self._repository(link, url, body)
        if sniff(body) == "html":
            return None  # a landing page, not the paper: described from its meta tags as before
        box = (self.profile.max_width, self.profile.max_height)
        paper = read_pdf(body, box=box, max_pages=self.config.links.max_pages, source=link.url)
        self.problems += [Problem(link.url, f"{_noun(link)}: {note}") for note in paper.notes]
        brief = LinkBrief(authors=paper.authors, date=paper.date, page_count=paper.page_count,
                          paragraphs=paper.abstract, contents=paper.contents, metadata_only=paper.metadata_only)
        if paper.figure_png:
            key = f"{link.url}#page={paper.figure_page}"
            alt = paper.figure_caption or f"Page {paper.figure_page} of {link.title}, a diagram"
            brief = self._figure(brief, key, paper.figure_png, alt)
        return brief

    def _repository(self, link: CuratedLink, readme: str, body: bytes) -> LinkBrief:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise SourceError(readme, "README is not UTF-8 text") from None
        found = read_readme(text, readme)
        brief = LinkBrief(paragraphs=found.paragraphs, steps=found.steps)
        if not found.image_url:
            self.problems.append(Problem(readme, "README shows no image: reference architecture without a diagram"))
            return brief
        got = read_documents([found.image_url], self.fetcher, self.config.links.snapshots,
                             self.profile.max_bytes).get(found.image_url)
        if got is None or isinstance(got, SourceError):
            reason = got.reason if got is not None else "not fetched"
            self.problems.append(Problem(found.image_url, f"diagram not downloaded: {reason}"))
            return brief
        if has_scripts(got):
            self.problems.append(Problem(found.image_url, "diagram carries scripts or event handlers: "
                                                          "drawn without them"))
        alt = found.image_alt if len(found.image_alt.split()) > 2 else f"Architecture diagram of {link.title}"
        return self._figure(brief, found.image_url, got, alt)

    def _figure(self, brief: LinkBrief, key: str, data: bytes, alt: str) -> LinkBrief:
        try:
            image, turned = self._fitted(data, key)
        except ImageError as exc:
            self.problems.append(Problem(exc.source or key, f"figure dropped: {exc.reason}"))
            return brief
        self.images[key] = image
        return dataclasses.replace(brief, figure_key=key, figure_alt=alt, figure_turned=turned)

    def _fitted(self, data: bytes, source: str) -> tuple[ProcessedImage, bool]:
        """The drawing fitted to the screen, turned a quarter when a landscape drawing gains by it."""
        upright = self.process(data, self.profile, source=source)
        if upright.width <= upright.height:
            return upright, False
        sideways = dataclasses.replace(self.profile, max_width=self.profile.max_height,
                                       max_height=self.profile.max_width)
        wide = self.process(data, sideways, source=source)
        if wide.width < upright.width * TURN_GAIN:
            return upright, False
        with Image.open(io.BytesIO(wide.read())) as opened:
            buffer = io.BytesIO()
            # Counter-clockwise: the drawing's top at the left edge, as books print turned figures.
            opened.transpose(Image.Transpose.ROTATE_90).save(buffer, format="PNG")
        return self.process(buffer.getvalue(), self.profile, source=source), True
