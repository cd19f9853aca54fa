"""Turn selected feed entries into clean, renderable articles."""

from __future__ import annotations

import re
import unicodedata

from digest.content.language import detect, primary
from digest.content.sanitize import ImageResolver, clean_html, html_text
from digest.core.models import Article, Entry

DESCRIPTION_CHARS = 180


def slugify(text: str, limit: int = 48) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "article"


def one_line(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    """The first sentence(s) of ``text`` up to ``limit`` characters, cut at a word."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    sentence_end = text.rfind(". ", 0, limit)
    if sentence_end > limit // 2:
        return text[: sentence_end + 1]
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def prepare_article(entry: Entry, number: int,
                    resolve_image: ImageResolver = lambda url: None) -> Article:
    article_id = f"a{number:02d}-{slugify(entry.title)}"
    fragment = clean_html(entry.content or entry.summary, base_url=entry.link,
                          id_prefix=article_id, resolve_image=resolve_image)
    summary_text = html_text(entry.summary) if entry.summary else ""
    return Article(
        id=article_id,
        section=entry.section,
        title=" ".join(entry.title.split()),
        authors=entry.authors,
        published=entry.date,
        link=entry.link,
        guid=entry.guid,
        source=entry.source,
        description=one_line(summary_text or fragment.text),
        body=fragment.xhtml,
        word_count=fragment.word_count,
        # A summary-only feed's entry was judged on its summary; the full text tells.
        language=primary(entry.language) or detect(f"{entry.title}\n{fragment.text[:3000]}") or "",
    )
