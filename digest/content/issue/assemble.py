"""Put the selected entries, curated links, editor's note and cover together into an Issue."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Mapping

import markdown

from digest.content.images.cover import draw_cover, load_cover
from digest.content.images.fit import ProcessedImage
from digest.content.images.qrcodes import qr_image
from digest.content.issue.articles import prepare_article
from digest.content.issue.select import pin_key
from digest.content.text.cleanmemo import Cleaner
from digest.content.text.sanitize import clean_html
from digest.core.config import Config
from digest.core.fields import web_url
from digest.core.models import (
    Article,
    BookImage,
    Cover,
    CuratedGroup,
    CuratedLink,
    Entry,
    Issue,
    IssueSection,
    IssueSpec,
)
from digest.core.urls import canonical_url
from digest.core.vocabulary import LINK_KINDS


def issue_identifier(config: Config, spec: IssueSpec) -> str:
    """Stable across rebuilds: derived from the publication and the month, never random."""
    pub = config.publication
    name = f"{pub.base_url or 'digest:'}{pub.slug}/{spec.month}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def assemble_issue(config: Config, spec: IssueSpec, entries: tuple[Entry, ...],
                   links: tuple[CuratedLink, ...] | None = None,
                   images: Mapping[str, ProcessedImage] | None = None,
                   clean: Cleaner = clean_html, draw: Callable[..., Cover] = draw_cover) -> Issue:
    """``links`` default to the issue file's; ``images`` maps absolute image URLs to processed
    images (articles' images missing from it become their alt text). Each article keeps the
    language its entry was judged to be written in (by selection, or on its fetched full text).
    ``draw`` draws the cover (the pipeline passes the cache's memo of it)."""
    pub = config.publication
    used: dict[str, BookImage] = {}

    def resolve_image(url: str) -> str | None:
        image = (images or {}).get(url)
        if image is None:
            return None
        href = f"images/{image.sha256[:20]}.{image.extension}"
        return add_image(BookImage(href, image.media_type, image.data))

    def add_image(image: BookImage) -> str:
        used.setdefault(image.href, image)
        return image.href

    by_section: dict[str, list[Article]] = {s.id: [] for s in config.sections}
    for number, entry in enumerate(_in_section_order(config, entries), start=1):
        by_section[entry.section].append(prepare_article(entry, number, resolve_image, pub.language, clean))
    sections = tuple(IssueSection(s, tuple(by_section[s.id])) for s in config.sections if by_section[s.id])

    # A curated link is nothing but its URL: one a reader cannot safely follow is left out.
    links = tuple(dataclasses.replace(link, image=resolve_image(link.image_url) or "") if link.image_url else link
                  for link in (spec.links if links is None else links) if web_url(link.url))
    links = tuple(dataclasses.replace(link, qr=add_image(qr_image(link.url))) for link in links)
    links = tuple(dataclasses.replace(link, brief=dataclasses.replace(
        link.brief, figure=resolve_image(link.brief.figure_key) or "")) if link.brief else link for link in links)
    curated = tuple(
        CuratedGroup(kind, title, tuple(link for link in links if link.kind == kind))
        for kind, title in LINK_KINDS.items()
        if any(link.kind == kind for link in links)
    )
    first = spec.first_issue or spec.month
    # Without the editor's numbers: volume 1 is the first issue's year, issues count from it.
    number = spec.number or (spec.month.year - first.year) * 12 + spec.month.month - first.month + 1
    volume = spec.volume or spec.month.year - first.year + 1
    title = spec.title or f"{pub.title}, {spec.month.label}"
    headlines = list(spec.cover_headlines) or cover_headlines(sections, spec.pinned, config.output.cover_headlines)
    cover = load_cover(spec.cover) if spec.cover else draw(
        pub.title, pub.subtitle, spec.month.label, f"Vol. {volume} · No. {number}", headlines, pub.publisher)
    return Issue(
        publication=pub, month=spec.month, number=number, volume=volume, title=title,
        identifier=issue_identifier(config, spec), sections=sections, curated=curated,
        note_html=note_xhtml(config, spec), cover=cover, images=tuple(used.values()),
    )


def note_xhtml(config: Config, spec: IssueSpec) -> str:
    """The editor's note (Markdown) as a sanitized XHTML fragment; empty without one."""
    if not spec.note.strip():
        return ""
    html = markdown.markdown(spec.note, extensions=["extra", "sane_lists"], output_format="xhtml")
    return clean_html(html, base_url=config.publication.base_url, id_prefix="note").xhtml


def cover_headlines(sections: tuple[IssueSection, ...], pinned: tuple[str, ...], count: int) -> list[str]:
    """The cover's rule: the editor's pinned articles first (in the issue file's order), then
    the longest reads. Length stands for substance: a test page or a one-line announcement
    never makes the cover while a long article is left."""
    articles = [a for s in sections for a in s.articles]
    keys = {pin_key(key): index for index, key in reversed(list(enumerate(pinned)))}

    def rank(article: Article) -> tuple:
        pin = min((keys[k] for k in (article.guid, canonical_url(article.link)) if k in keys), default=len(keys))
        return (pin, -article.word_count, article.title)

    return [a.title for a in sorted(articles, key=rank)[:count]]


def _in_section_order(config: Config, entries: tuple[Entry, ...]) -> list[Entry]:
    """Sections in config order, entries within a section in the order selection gave."""
    rank = {s.id: i for i, s in enumerate(config.sections)}
    return sorted(entries, key=lambda e: rank[e.section])
