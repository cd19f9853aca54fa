"""A repository as a reference architecture: its README's opening paragraphs, steps and diagram.

Read from the raw README (``raw.githubusercontent.com``), not the repository's HTML page:
a few kilobytes of Markdown instead of a megabyte of application, and the image paths as
the author wrote them. The diagram is the first image the README shows that is not a
badge; it goes through the image pipeline like any other (SVG drawn by the safe SVG path).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import markdown
from lxml import html as lxml_html

from digest.content.issue.pdfbrief import shortened
from digest.core.urls import absolute_url

REPOSITORY = re.compile(r"^https://github\.com/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)(?:\.git)?/?$")
BLOB = re.compile(r"^https://github\.com/([^/]+)/([^/]+)/(?:blob|raw)/(.+)$")
BADGE_HOSTS = ("img.shields.io", "badge.fury.io", "travis-ci.org", "travis-ci.com", "codecov.io",
               "coveralls.io", "badges.gitter.im", "api.codeclimate.com")
OPENING_WORDS = (50, 180)
"""Opening paragraphs until at least the first number of words, shortened past the second."""
MAX_STEPS = 15


@dataclass(frozen=True)
class ReadmeArchitecture:
    paragraphs: tuple[str, ...]
    steps: tuple[str, ...]
    image_url: str
    """The diagram's absolute URL (raw file), or "" when the README shows no image."""
    image_alt: str


def readme_url(url: str) -> str | None:
    """The raw README of a GitHub repository's URL; None for any other URL."""
    match = REPOSITORY.match(url)
    if not match:
        return None
    return f"https://raw.githubusercontent.com/{match.group(1)}/{match.group(2)}/HEAD/README.md"


def read_readme(text: str, readme: str) -> ReadmeArchitecture:
    """The architecture a README describes; image paths are resolved against ``readme``'s URL."""
    html = markdown.markdown(text, extensions=["extra", "sane_lists"], output_format="xhtml")
    root = lxml_html.fragment_fromstring(html or "<p></p>", create_parent="div")
    paragraphs: list[str] = []
    for element in root.iter("p"):
        words = " ".join(element.text_content().split())
        if len(words.split()) >= 8:
            paragraphs.append(words)
        if sum(len(p.split()) for p in paragraphs) >= OPENING_WORDS[0]:
            break
    ordered = next(root.iter("ol"), None)
    steps = tuple(" ".join(item.text_content().split()) for item in ordered.iterchildren("li"))[:MAX_STEPS] \
        if ordered is not None else ()
    image_url, alt = "", ""
    for image in root.iter("img"):
        src = raw_file_url(absolute_url(readme, (image.get("src") or "").strip()))
        if src.startswith("https://") and not _is_badge(src):
            image_url, alt = src, " ".join((image.get("alt") or "").split())
            break
    return ReadmeArchitecture(tuple(shortened(paragraphs, OPENING_WORDS[1])), tuple(s for s in steps if s),
                              image_url, alt)


def raw_file_url(url: str) -> str:
    """A file shown on github.com (``/blob/``, ``?raw=true``) as its raw download."""
    match = BLOB.match(url.split("?")[0].split("#")[0])
    return f"https://raw.githubusercontent.com/{match.group(1)}/{match.group(2)}/{match.group(3)}" if match else url


def has_scripts(svg: bytes) -> bool:
    """Whether an SVG carries scripts or event handlers (the SVG path drops them; the report says so)."""
    head = svg[:2_000_000].lower()
    return b"<script" in head or re.search(rb"\son[a-z]+\s*=", head) is not None


def _is_badge(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in BADGE_HOSTS or "badge" in urlsplit(url).path.lower()


