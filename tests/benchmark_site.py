"""The public article-extraction benchmark (181 real pages) served on loopback as three feeds.

The corpus lives beside the project in ``../shared/corpora/article-extraction-benchmark``;
tests using it skip when it is absent. Each page is served at /pages/<key>.html; each feed
item links there and carries either the whole page (``full``) or only a one-line summary
(``summary``, so the build fetches and extracts the page). Every image of these pages is a
dead link: a host that does not resolve, or a 404 on loopback.
"""

from __future__ import annotations

import gzip
import re
import socket
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape
from pathlib import Path

import pytest
from bs4.dammit import UnicodeDammit
from factory import write_publication
from loopback import LoopbackServer, Reply

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "article-extraction-benchmark"
FEEDS = 3
TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
LANGUAGES = ["en", "de", "fr", "es", "it", "pt", "nl", "ru", "pl", "sv", "da", "no", "fi", "cs", "tr", "ja", "zh",
             "ko", "ar", "he", "el", "hu", "ro", "uk", "id", "vi", "th", "hi", "ca", "sk", "sl", "hr", "bg", "lt"]


def corpus_pages() -> dict[str, str]:
    """Key -> page HTML (decoded as a browser would guess), in key order."""
    pages = {}
    for path in sorted((CORPUS / "html").glob("*.html.gz")):
        raw = gzip.decompress(path.read_bytes())
        pages[path.name.removesuffix(".html.gz")] = UnicodeDammit(raw, is_html=True).unicode_markup or ""
    return pages


def page_title(key: str, html: str) -> str:
    found = TITLE.search(html)
    title = " ".join(found.group(1).split()) if found else ""
    return re.sub(r"<[^>]+>", "", title)[:200] or f"Page {key[:8]}"


def serve_corpus(server: LoopbackServer, pages: dict[str, str], *, full: bool) -> list[str]:
    """Add the pages and FEEDS feeds to ``server``'s routes; return the feed URLs."""
    start = datetime(2018, 1, 2, tzinfo=timezone.utc)
    items: list[list[str]] = [[] for _ in range(FEEDS)]
    for number, (key, html) in enumerate(pages.items()):
        link = server.url(f"/pages/{key}.html")
        server.routes[f"/pages/{key}.html"] = Reply(200, html.encode("utf-8"),
                                                    {"Content-Type": "text/html; charset=utf-8"})
        when = format_datetime(start + timedelta(minutes=10 * number))
        content = f"<content:encoded>{escape(html, quote=False)}</content:encoded>" if full else ""
        items[number % FEEDS].append(
            f"<item><title>{escape(page_title(key, html), quote=False)}</title><link>{link}</link>"
            f"<guid>urn:bench:{key}</guid><pubDate>{when}</pubDate>"
            f"<description>Article {number + 1} of the benchmark.</description>{content}</item>")
    urls = []
    for index, feed_items in enumerate(items):
        body = ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
                'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
                f'<title>Benchmark {index + 1}</title><link>{server.base}/</link>'
                + "".join(feed_items) + "</channel></rss>")
        server.routes[f"/feed{index + 1}.xml"] = Reply(200, body.encode("utf-8"),
                                                       {"Content-Type": "application/rss+xml"})
        urls.append(server.url(f"/feed{index + 1}.xml"))
    return urls


def write_project(root: Path, feed_urls: list[str], *, summary_only: bool) -> Path:
    """A publication reading ``feed_urls`` (every language accepted), EPUB only, quick to give up on dead links."""
    sources = [{"name": f"Benchmark {index + 1}", "url": url, "section": "bench", "languages": LANGUAGES,
                "summary_only": summary_only} for index, url in enumerate(feed_urls)]
    config = write_publication(root, publication={"title": "Benchmark Monthly", "publisher": "Benchmark",
                                                  "slug": "benchmark"},
                               sections=[{"id": "bench", "title": "Articles"}], sources=sources,
                               # the loopback server stands in for the sites
                               fetch={"retries": 0, "timeout": 2, "max_mb": 100, "allow_private_hosts": ["127.0.0.1"]},
                               output={"dir": (root / "dist").as_posix()},
                               store={"path": (root / "digest.sqlite3").as_posix()})
    return config


def offline(env: pytest.MonkeyPatch) -> None:
    """No name but loopback resolves: the corpus's image hosts are dead links here, as many
    are on the web, and a test must never reach them on a machine that has a network.

    The fetch layer resolves every host itself (its address check), and ignores proxy
    variables, so name resolution is where the network is cut.
    """
    resolve = socket.getaddrinfo

    def loopback_only(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (tests are offline)")
        return resolve(host, *args, **kwargs)

    env.setattr(socket, "getaddrinfo", loopback_only)
