"""Images of summary-only articles are fitted while the other pages are still extracted.

A loopback blog with a summary-only feed: three article pages, each with its own photo and a
banner they share, one with a dead image link. compose_issue must fit every image once, and
before enrich starts (ahead); ask for the dead link once; and give the same book images as a
composition without fitting ahead.
"""

from __future__ import annotations

import io
from collections import Counter
from contextlib import nullcontext

from factory import write_publication
from loopback import LoopbackServer, Reply
from PIL import Image

from digest.content.images import cache as image_cache
from digest.content.issue import enrich as enrich_module
from digest.core.configfile import load_config
from digest.core.models import data_bytes
from digest.core.month import Month
from digest.core.stores import build_stores
from digest.pipeline import compose_issue, make_fetcher

TEXT = "A queue absorbs a burst so that the consumer keeps a steady pace of work. " * 20


def jpeg(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1000), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def page(number: int, dead: bool) -> bytes:
    images = f'<img src="/img/photo-{number}.jpg" alt="photo {number}"><img src="/img/banner.jpg" alt="banner">'
    if dead:
        images += '<img src="/img/gone.jpg" alt="gone">'
    return (f"<!DOCTYPE html><html><head><title>Post {number}</title></head><body><article><h1>Post {number}</h1>"
            f"<p>{TEXT}</p>{images}<p>{TEXT}</p></article></body></html>").encode()


def feed(server: LoopbackServer) -> bytes:
    items = "".join(f"<item><title>Post {n}</title><link>{server.url(f'/post-{n}.html')}</link>"
                    f"<guid>post-{n}</guid><pubDate>Wed, {10 + n} Jan 2018 10:00:00 GMT</pubDate>"
                    "<description>A summary.</description></item>" for n in range(3))
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Blog</title>'
            f"<link>http://example.org/</link><language>en</language>{items}</channel></rss>").encode()


def compose(tmp_path, server, name, monkeypatch, *, ahead: bool):
    root = tmp_path / name
    config = load_config(write_publication(
        root, sources=[{"name": "Blog", "url": server.url("/feed.xml"), "section": "main", "summary_only": True}],
        fetch={"retries": 0, "allow_private_hosts": [server.host]}, output={"dir": "out"}))
    if not ahead:
        monkeypatch.setattr("digest.pipeline.fitting_ahead", _nothing_ahead)
    fitted: Counter[str] = Counter()
    before_enrich: list[int] = []
    process, enrich = image_cache.process_image, enrich_module.enrich
    monkeypatch.setattr(image_cache, "process_image", lambda data, profile, source="":
                        fitted.update([source]) or process(data, profile, source=source))
    monkeypatch.setattr("digest.pipeline.enrich",
                        lambda *args, **kwargs: before_enrich.append(fitted.total()) or enrich(*args, **kwargs))
    (root / "images").mkdir()
    with build_stores(config) as stores, make_fetcher(config, stores) as fetcher:
        composed = compose_issue(config, Month(2018, 1), fetcher=fetcher, record=stores.record, cache=stores.cache,
                                 image_folder=root / "images")
        images = sorted((image.href, data_bytes(image.data)) for image in composed.issue.images)
    monkeypatch.undo()
    return composed, images, fitted, before_enrich[0]


def _nothing_ahead(*args):
    return nullcontext(None)


def test_images_are_fitted_once_and_ahead_of_enrich_with_the_same_result(tmp_path, monkeypatch):
    with LoopbackServer() as server:
        server.routes["/feed.xml"] = Reply(200, feed(server), {"Content-Type": "application/rss+xml"})
        for n in range(3):
            server.routes[f"/post-{n}.html"] = Reply(200, page(n, dead=n == 1), {"Content-Type": "text/html"})
            server.routes[f"/img/photo-{n}.jpg"] = Reply(200, jpeg((40 * n, 90, 160)), {"Content-Type": "image/jpeg"})
        server.routes["/img/banner.jpg"] = Reply(200, jpeg((200, 30, 30)), {"Content-Type": "image/jpeg"})

        composed, books, fitted, before_enrich = compose(tmp_path, server, "ahead", monkeypatch, ahead=True)
        gone = [path for path, _ in server.requests if path == "/img/gone.jpg"]
        plain, plain_books, plain_fitted, plain_before = compose(tmp_path, server, "plain", monkeypatch, ahead=False)

    good = {server.url(f"/img/photo-{n}.jpg") for n in range(3)} | {server.url("/img/banner.jpg")}
    assert fitted == Counter(good)  # each picture fitted once, the dead link never
    assert before_enrich == 4  # all of them while the pages were extracted
    assert plain_before == 0 and plain_fitted == Counter(good)
    assert len(gone) == 1
    assert books == plain_books and len(books) == 4
    assert [a.body for a in composed.issue.articles] == [a.body for a in plain.issue.articles]
    assert composed.problems == plain.problems
    assert [p.where for p in composed.problems] == [server.url("/img/gone.jpg")]
