"""The store remembers: a month holds every post seen during it, and nothing is published twice."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from email.utils import format_datetime
from datetime import datetime, timezone
from urllib.parse import urlsplit

import pytest

from digest.core.configfile import load_config
from digest.core.month import Month
from digest.pipeline import build_issue, fetch_sources
from factory import sample_sources, write_publication
from loopback import LoopbackServer, Reply

pytestmark = pytest.mark.slow  # whole builds of the sample, EPUBCheck included

BODY = ("<p>An ordinary English post about distributed systems, queues, retries and the "
        "people who operate them at three in the morning.</p>")


def rss(items):
    parts = []
    for title, day, month in items:
        when = format_datetime(datetime(2018, month, day, 12, tzinfo=timezone.utc), usegmt=True)
        slug = title.lower().replace(" ", "-")
        parts.append(f"<item><title>{title}</title><link>https://blog.example.org/{slug}/</link>"
                     f"<guid>urn:post:{slug}</guid><pubDate>{when}</pubDate><dc:creator>Ann</dc:creator>"
                     f"<description><![CDATA[{BODY}]]></description></item>")
    return ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0' "
            "xmlns:dc='http://purl.org/dc/elements/1.1/'><channel><title>Blog</title>"
            "<link>https://blog.example.org/</link><language>en</language>"
            + "".join(parts) + "</channel></rss>").encode()


def remote_config(project_copy, url):
    return load_config(write_publication(project_copy, sample=True, sources=sample_sources({"architecture.xml": url}),
                                         fetch={"retries": 0, "timeout": 2, "allow_private_hosts": [urlsplit(url).netloc]}))


def test_a_feed_showing_only_its_latest_entries_still_fills_the_month(project_copy):
    days = [[("Post one", 3, 1), ("Post two", 9, 1)],
            [("Post two", 9, 1), ("Post three", 17, 1)],
            [("Post three", 17, 1), ("Post four", 29, 1)]]
    with LoopbackServer() as server:
        config = remote_config(project_copy, server.url("/feed"))
        for items in days:  # the daily `digest fetch`
            server.routes["/feed"] = Reply(200, rss(items), {"Content-Type": "application/rss+xml"})
            fetch_sources(config)
        result = build_issue(config, Month(2018, 1))
    titles = {a.title for a in result.issue.articles if a.source == "AWS Architecture Blog"}
    assert titles == {"Post one", "Post two", "Post three", "Post four"}


def test_an_article_published_once_is_not_repeated_unless_pinned(project_copy):
    with LoopbackServer() as server:
        config = remote_config(project_copy, server.url("/feed"))
        server.routes["/feed"] = Reply(200, rss([("Moving post", 30, 1)]))
        january = build_issue(config, Month(2018, 1))
        assert "Moving post" in {a.title for a in january.issue.articles}
        # an issue's own record never excludes its articles from a rebuild of the same month
        assert "Moving post" in {a.title for a in build_issue(config, Month(2018, 1)).issue.articles}
        # the blog re-dates the post into February
        server.routes["/feed"] = Reply(200, rss([("Moving post", 2, 2)]))
        february = build_issue(config, Month(2018, 2))
        assert "Moving post" not in {a.title for a in february.issue.articles}
        assert any(s.title == "Moving post" and "already published" in s.reason for s in february.skipped)
        (project_copy / "issues" / "2018-02.toml").write_text(
            'pinned = ["https://blog.example.org/moving-post/"]\n')
        pinned = build_issue(config, Month(2018, 2))
        assert "Moving post" in {a.title for a in pinned.issue.articles}



def test_killing_a_fetch_midway_leaves_a_working_store(project_copy):
    arrived, release = threading.Event(), threading.Event()

    def hang(handler):
        arrived.set()
        release.wait(20)
        return Reply(200, rss([("Late post", 5, 1)]))

    with LoopbackServer() as server:
        config = remote_config(project_copy, server.url("/feed"))
        server.routes["/feed"] = Reply(200, rss([("Early post", 4, 1)]))
        fetch_sources(config)
        server.routes["/feed"] = hang
        process = subprocess.Popen([sys.executable, "-m", "digest", "fetch", "--config", str(config.path)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert arrived.wait(30), "the fetch never reached the server"
        time.sleep(0.3)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        release.set()
        server.routes["/feed"] = Reply(200, rss([("Early post", 4, 1), ("Late post", 5, 1)]))
        fetch_sources(config)
        result = build_issue(config, Month(2018, 1))
    with sqlite3.connect(config.store.path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert {"Early post", "Late post"} <= {a.title for a in result.issue.articles}
