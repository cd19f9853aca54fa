"""Messy real-world content end to end: hostile HTML, summary-only feeds, every image kind.

A loopback server plays the blog: a feed whose first item carries hostile inline HTML, a
second item that is only a summary of a cluttered page, and images in every format a
site may serve (and some it should not).
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from PIL import Image

from conftest import DATA, NS, Epub, epubcheck_problems
from digest.core.configfile import load_config
from digest.core.month import Month
from digest.pipeline import build_issue
from factory import write_publication
from loopback import LoopbackServer, Reply

pytestmark = pytest.mark.slow  # a whole build, EPUBCheck included

HOSTILE = DATA / "hostile"


def image_bytes(fmt: str, size=(1600, 1000), mode="RGB", **save) -> bytes:
    image = Image.new(mode, size, (200, 30, 30) if mode == "RGB" else None)
    for x in range(0, size[0], 40):  # some detail so JPEG/PNG sizes are realistic
        image.paste((x % 255, 90, 160), (x, 0, x + 20, size[1]))
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def feed(base: str) -> bytes:
    inline = (HOSTILE / "inline-content.html").read_text()
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Queue Lane</title><link>{base}/</link><language>en</language>
<item><title>Queues without tears</title><link>{base}/posts/queues/</link><guid>urn:ql:1</guid>
<dc:creator>Ada Queue</dc:creator><pubDate>Wed, 10 Jan 2018 10:00:00 GMT</pubDate>
<description>Queues decouple producers from consumers.</description>
<content:encoded><![CDATA[{inline}]]></content:encoded></item>
<item><title>Backpressure in practice</title><link>{base}/posts/backpressure.html</link><guid>urn:ql:2</guid>
<dc:creator>Ada Queue</dc:creator><pubDate>Sat, 20 Jan 2018 10:00:00 GMT</pubDate>
<description>Backpressure is how a slow consumer tells a fast producer to slow down [&#8230;]</description></item>
</channel></rss>""".encode()


@pytest.fixture(scope="module")
def messy_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("messy")
    with LoopbackServer() as server:
        routes = {
            "/feed.xml": Reply(200, feed(server.base), {"Content-Type": "application/rss+xml"}),
            "/posts/backpressure.html": Reply(200, (HOSTILE / "summary-page.html").read_bytes(),
                                              {"Content-Type": "text/html; charset=utf-8"}),
            "/img/diagram.png": Reply(200, image_bytes("PNG", (2400, 1400)), {"Content-Type": "image/png"}),
            "/img/photo.webp": Reply(200, image_bytes("WEBP", (800, 500)), {"Content-Type": "image/webp"}),
            "/img/photo-big.webp": Reply(200, image_bytes("WEBP", (3200, 2000)), {"Content-Type": "image/webp"}),
            "/img/chart.webp": Reply(200, image_bytes("WEBP", (1200, 800)), {"Content-Type": "image/webp"}),
            "/img/photo.bmp": Reply(200, image_bytes("BMP", (640, 400)), {"Content-Type": "image/bmp"}),
            "/img/no-alt.png": Reply(200, image_bytes("PNG", (300, 200)), {"Content-Type": "image/png"}),
            "/img/tracker.gif": Reply(200, image_bytes("GIF", (1, 1)), {"Content-Type": "image/gif"}),
            "/img/broken.jpg": Reply(200, image_bytes("JPEG", (800, 600))[:300], {"Content-Type": "image/jpeg"}),
            "/img/evil.svg": Reply(200, b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                                   {"Content-Type": "image/svg+xml"}),
            "/img/backpressure.png": Reply(200, image_bytes("JPEG", (4000, 3000), quality=95),
                                           {"Content-Type": "image/png"}),  # mislabelled on purpose
        }
        server.routes.update(routes)
        write_publication(root,
                          publication={"title": "Queue Lane Monthly", "publisher": "Queue Lane", "slug": "queue-lane"},
                          sections=[{"id": "queues", "title": "Queues"}],
                          sources=[{"name": "Queue Lane", "url": server.url("/feed.xml"), "section": "queues"}],
                          fetch={"retries": 0, "timeout": 5, "allow_private_hosts": [server.host]})
        config = load_config(root / "digest.toml")
        result = build_issue(config, Month(2018, 1))
    return result


def test_messy_issue_passes_epubcheck(messy_build):
    assert epubcheck_problems(messy_build.epub) == []


def test_nothing_hostile_or_remote_survives(messy_build):
    book = Epub(messy_build.epub)
    for item in book.manifest().values():
        assert item["media-type"] in ("application/xhtml+xml", "text/css", "image/jpeg", "image/png", "image/gif",
                                      "application/x-dtbncx+xml"), item
        if item["media-type"] != "application/xhtml+xml":
            continue
        raw = book.read(item["href"]).decode()
        tree = book.xml(item["href"])
        assert not tree.findall(".//x:script", NS) and not tree.findall(".//x:iframe", NS)
        assert not re.search(r"\bon[a-z]+=", raw) and "javascript:" not in raw
        assert "steal()" not in raw and "injected" not in raw and "alert(1)" not in raw
        for img in tree.iterfind(".//x:img", NS):
            assert img.get("alt") is not None, (item["href"], img.attrib)
            assert not re.match(r"(https?:)?//", img.get("src")), img.get("src")
            assert img.get("src") in {i["href"] for i in book.manifest().values()}
    with zipfile.ZipFile(messy_build.epub) as archive:
        for name in archive.namelist():
            data = archive.read(name)
            assert not (data[:4] == b"RIFF" and data[8:12] == b"WEBP"), name
            assert not data.startswith(b"BM"), name


def test_images_are_converted_resized_and_failures_keep_their_alt_text(messy_build):
    book = Epub(messy_build.epub)
    article = next(a for a in messy_build.issue.articles if a.title == "Queues without tears")
    tree = book.xml(f"{article.id}.xhtml")
    alts = [img.get("alt") for img in tree.iterfind(".//x:img", NS)]
    assert {"Queue diagram", "Server room", "Throughput chart", ""} <= set(alts)
    for image in messy_build.issue.images:  # as the book holds them (the build's own image files are gone)
        with Image.open(io.BytesIO(book.read(image.href))) as picture:
            assert picture.format in ("JPEG", "PNG") and picture.width <= 1264 and picture.height <= 1680
    text = "".join(tree.itertext())
    assert "[Image: Broken image caption]" in text and "[Image: Missing image caption]" in text
    assert "[Image: Vector art]" in text
    reasons = " ".join(p.reason for p in messy_build.problems)
    assert "HTTP 404" in reasons and "SVG" in reasons
    # The tracker declares itself 1x1: dropped by the sanitizer, neither downloaded nor reported.
    assert not any("tracker.gif" in p.where or "tracking pixel" in p.reason for p in messy_build.problems)


def test_summary_only_entry_gets_its_full_text_without_the_page_clutter(messy_build):
    article = next(a for a in messy_build.issue.articles if a.title == "Backpressure in practice")
    text = " ".join(Epub(messy_build.epub).xml(f"{article.id}.xhtml").itertext())
    assert "A bounded queue rejects or blocks producers" in text
    assert "queue.put(item, timeout=2.0)" in text
    # The contents page describes it by the fetched text, not by the feed's cut-off teaser.
    assert not article.description.endswith(("[…]", "…")), article.description
    contents = " ".join(" ".join(Epub(messy_build.epub).xml("contents.xhtml").itertext()).split())
    assert article.description in contents and article.description[:40] in " ".join(text.split())
    for clutter in ("Accept all cookies", "Share on Facebook", "first comment from a reader",
                    "Ten queue facts", "All rights reserved"):
        assert clutter not in text, clutter
    assert any(i.href.endswith(".jpg") for i in messy_build.issue.images)  # the mislabelled JPEG


def test_ids_are_unique_across_the_whole_book(messy_build):
    book = Epub(messy_build.epub)
    ids = []
    for href in book.spine_hrefs():
        ids.extend(el.get("id") for el in book.xml(href).iter() if el.get("id"))
    assert len(ids) == len(set(ids))
