"""Months of a publication on a schedule: a blog on loopback posts through each month and its
feed shows only its last ten posts; digest fetches three times a month and builds at the end.

Every issue holds all of its month's posts and none of an earlier issue's; the record stays
small and the cache bounded. Then the cache is lost and a month rebuilt (same EPUB bytes),
then the record is lost and the next month built from the published manifests (the post the
blog re-dated into that month, already carried, is not carried again).

DIGEST_YEAR_MONTHS (default 4) sets how many months; the record and cache sizes of each are
printed (pytest -s) for docs/benchmarks.md.
"""

from __future__ import annotations

import io
import os
import random
from datetime import datetime, timezone
from email.utils import format_datetime

import pytest
from factory import write_publication
from loopback import LoopbackServer, Reply
from PIL import Image

from digest.core.cache import file_size
from digest.core.configfile import load_config
from digest.core.month import Month
from digest.pipeline import build_issue, fetch_sources

pytestmark = pytest.mark.slow  # a build per month, EPUBCheck included

MONTHS = int(os.environ.get("DIGEST_YEAR_MONTHS", "4"))
POSTS_PER_MONTH = 12
FEED_LENGTH = 10
FETCHES_PER_MONTH = 3
WORDS = ("queue backpressure replica shard latency cache quorum lease index batch stream "
         "schema rollback canary partition").split()


class Blog:
    """Posts served on loopback: a feed of the last ten, their images, one dead image a month."""

    def __init__(self, server: LoopbackServer):
        self.server = server
        self.posts: list[dict] = []
        server.routes["/feed.xml"] = self.feed

    def post(self, month: Month, n: int) -> dict:
        post = {"title": f"{month} note {n}: {WORDS[n % len(WORDS)]}s in practice",
                "link": self.server.url(f"/posts/{month}-{n}.html"),
                "date": datetime(month.year, month.month, 2 + 2 * n, 9, tzinfo=timezone.utc),
                "image": f"/img/{month}-{n}.png"}
        self.server.routes[post["image"]] = Reply(200, _png(f"{month}-{n}"), {"Content-Type": "image/png"})
        self.posts.append(post)
        return post

    def redate(self, post: dict, month: Month) -> None:
        """The blog bumps an old post's date into ``month`` (an edit, a republication)."""
        self.posts.remove(post)
        self.posts.append({**post, "date": datetime(month.year, month.month, 1, 8, tzinfo=timezone.utc)})

    def feed(self, handler) -> Reply:
        latest = sorted(self.posts, key=lambda p: p["date"])[-FEED_LENGTH:]
        items = "".join(_item(post, self.server.url(f"/img/dead-{post['date']:%Y-%m}.png")) for post in latest)
        body = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
                'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Ops Notes</title>'
                f'<link>{self.server.base}/</link><language>en</language>{items}</channel></rss>')
        return Reply(200, body.encode("utf-8"), {"Content-Type": "application/rss+xml"})


def _item(post: dict, dead: str) -> str:
    rng = random.Random(post["link"])
    text = " ".join(rng.choice(WORDS) for _ in range(220))
    content = (f'<p>{post["title"]}. {text}.</p><figure><img src="{post["image"]}" alt="A diagram"/></figure>'
               f'<p>{text[::-1]}.</p><p><img src="{dead}" alt="Gone"/></p>')
    return (f"<item><title>{post['title']}</title><link>{post['link']}</link><guid>{post['link']}</guid>"
            f"<pubDate>{format_datetime(post['date'])}</pubDate><description>{post['title']}</description>"
            f"<content:encoded><![CDATA[{content}]]></content:encoded></item>")


def _png(seed: str) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (640, 400), tuple(rng.randrange(256) for _ in range(3)))
    image.putdata([tuple(rng.randrange(256) for _ in range(3)) if i % 7 == 0 else image.getpixel((0, 0))
                   for i in range(640 * 400)])
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def run_month(blog: Blog, config, month: Month):
    """Post through ``month``, fetching three times on the way, and build it."""
    step = POSTS_PER_MONTH // FETCHES_PER_MONTH
    for start in range(0, POSTS_PER_MONTH, step):
        for n in range(start, start + step):
            blog.post(month, n)
        fetch_sources(config)
    return build_issue(config, month)


def links(result) -> set[str]:
    return {article.link for article in result.issue.articles}


def test_a_year_of_months_without_a_repeated_or_missed_article(tmp_path, capsys):
    months = [Month(2019, 1)]
    while len(months) <= MONTHS:
        months.append(months[-1].next())
    with LoopbackServer() as server:
        blog = Blog(server)
        config = load_config(write_publication(
            tmp_path, sources=[{"name": "Ops Notes", "url": server.url("/feed.xml"), "section": "main"}],
            fetch={"retries": 0, "timeout": 5, "allow_private_hosts": [server.host]},
            cache={"max_mb": 1}))
        built, sizes = {}, []
        for month in months[:-1]:
            result = run_month(blog, config, month)
            built[month] = result
            sizes.append((str(month), file_size(config.store.path), file_size(config.cache.path),
                          result.stored.pruned))
            month_posts = {p["link"] for p in blog.posts if p["date"].strftime("%Y-%m") == str(month)}
            assert links(result) == month_posts, month  # all twelve, though the feed never showed them all
        for earlier, later in zip(built.values(), list(built.values())[1:]):
            assert not links(earlier) & links(later)
        with capsys.disabled():
            print("\nmonth    record bytes  cache bytes  pruned bytes")
            for row in sizes:
                print(f"{row[0]}  {row[1]:>12}  {row[2]:>11}  {row[3]:>12}")
        assert sizes[-1][1] < 200_000 * MONTHS  # entries compressed: a few kB per post
        assert any(row[3] for row in sizes[1:])  # the cache was pruned to its bound...
        assert sizes[-1][2] < 3 * max(row[2] for row in sizes[:2])  # ...so it does not grow with the months

        # The cache lost: the last month rebuilt, byte for byte, carrying nothing twice.
        last = months[-2]
        published = built[last].epub.read_bytes()
        for path in tmp_path.glob("digest-cache.sqlite3*"):
            path.unlink()
        again = build_issue(config, last)
        assert again.epub.read_bytes() == published
        assert links(again) == links(built[last])

        # The record lost: the next month learns from the manifests what was carried.
        for path in tmp_path.glob("digest.sqlite3*"):
            path.unlink()
        redated = next(p for p in blog.posts if p["link"] in links(built[last]))
        blog.redate(redated, months[-1])
        following = run_month(blog, config, months[-1])
        assert redated["link"] not in links(following)
        assert any(s.link == redated["link"] and "already published" in s.reason for s in following.skipped)
        assert len(links(following)) == POSTS_PER_MONTH
