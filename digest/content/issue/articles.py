"""Turn selected feed entries into clean, renderable articles."""

from __future__ import annotations

import re
import unicodedata

from digest.content.text.cleanmemo import Cleaner
from digest.content.text.extract import TRUNCATION, WORDPRESS_FOOTER
from digest.content.text.language import primary
from digest.content.text.sanitize import ImageResolver, clean_html, html_text
from digest.core.fields import TITLE_CHARS, language_tag, one_line_text, short_title, web_url
from digest.core.models import Article, Entry

DESCRIPTION_CHARS = 180
UNTITLED_CHARS = 80
"""An entry without a title is titled by its first words, up to this many characters."""


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


def _description(summary: str, text: str) -> str:
    """The feed's summary, unless it was cut short ("[…]", "Read more"): then the opening of the
    article's own text, which is the full text when it was fetched."""
    teaser = WORDPRESS_FOOTER.sub("", summary).rstrip()
    return text if not teaser or (TRUNCATION.search(teaser[-120:]) and text) else teaser


def prepare_article(entry: Entry, number: int,
                    resolve_image: ImageResolver = lambda url: None,
                    publication_language: str | None = None, clean: Cleaner = clean_html) -> Article:
    # Checked again here: archived entries were stored by versions that checked less.
    title = one_line_text(entry.title) or one_line(html_text(entry.content or entry.summary),
                                                   UNTITLED_CHARS) or "Untitled"
    article_id = f"a{number:02d}-{slugify(title)}"
    link = web_url(entry.link)  # also the base of relative links: never javascript: or file:
    fragment = clean(entry.content or entry.summary, base_url=link,
                          id_prefix=article_id, resolve_image=resolve_image)
    summary_text = html_text(entry.summary) if entry.summary else ""
    # Judged on the text by selection, and again on a fetched full text (enrich.full_text).
    language = language_tag(entry.language)
    if primary(language) == primary(publication_language):
        language = None
    return Article(
        id=article_id,
        section=entry.section,
        title=short_title(title),
        full_title=title if len(title) > TITLE_CHARS else "",
        language=language,
        authors=tuple(filter(None, (one_line_text(name) for name in entry.authors))),
        published=entry.date,
        link=link,
        guid=entry.guid,
        source=entry.source,
        description=one_line(_description(summary_text, fragment.text)),
        body=fragment.xhtml,
        word_count=fragment.word_count,
    )
