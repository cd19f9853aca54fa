"""The fetch layer remembers failure: requests counted at real loopback servers across two builds.

A dead link (404/410) is asked once a week, an unreachable host (a name that does not resolve,
a refused connection) once a day and never twice in a run, and a host that keeps failing is
skipped for the rest of the run; the report names each failing host once.
"""

from __future__ import annotations

import io
import logging
import socket
import threading
import time
from pathlib import Path

import pytest
from factory import write_publication
from loopback import LoopbackServer, Reply
from PIL import Image

from digest.core.cache import memory_cache
from digest.core.configfile import load_config
from digest.core.errors import SourceError
from digest.core.month import Month
from digest.core.store import open_store
from digest.ingest.failures import DeadLink, RunFailures
from digest.ingest.fetch import Fetcher, FetchPolicy
from digest.ingest.httpcache import StoreCache, StoreFailures
from digest.pipeline import build_issue
from digest.report import format_build_report

TEXT = "A queue absorbs a burst so that the consumer can keep a steady pace. " * 20
UNRESOLVABLE = "nonexistent.invalid"  # .invalid never resolves (RFC 6761)


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (20, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def closed_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


LOOPBACK = ("127.0.0.1",)  # the test servers, on any port


def feed(link: str, images: list[str]) -> bytes:
    body = f"<p>{TEXT}</p>" + "".join(f'<p><img src="{url}" alt="Figure {n}"></p>' for n, url in enumerate(images))
    return ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Blog</title>'
            f"<link>{link}</link><language>en</language><item><title>Queues</title><link>{link}/queues</link>"
            "<guid>q1</guid><pubDate>Wed, 10 Jan 2018 10:00:00 GMT</pubDate>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded></item></channel></rss>").encode()


def write_config(root: Path, feeds: list[str], **fetch: object) -> Path:
    """One source per feed URL; ``fetch`` adds to (or overrides) the [fetch] table."""
    return write_publication(
        root, publication={"title": "Memory Monthly", "publisher": "Memory", "slug": "memory"},
        sources=[{"name": f"Blog {n}", "url": url, "section": "main"} for n, url in enumerate(feeds)],
        fetch={"timeout": 2, "retries": 1, "allow_private_hosts": list(LOOPBACK), **fetch},
        output={"dir": "out"}, store={"path": "digest.sqlite3"})


def requested(server: LoopbackServer, path: str) -> int:
    return sum(1 for asked, _ in server.requests if asked.split("?")[0] == path)


def build(config: Path):
    return build_issue(load_config(config), Month(2018, 1))


def test_a_second_build_asks_nothing_of_a_dead_link_or_an_unreachable_host(tmp_path):
    refused = f"http://127.0.0.1:{closed_port()}"
    with LoopbackServer() as server:
        images = [server.url("/img/live.png"), server.url("/img/gone.png"), server.url("/img/removed.png"),
                  f"http://{UNRESOLVABLE}/a.png", f"http://{UNRESOLVABLE}/b.png", f"{refused}/c.png"]
        server.routes["/feed.xml"] = Reply(200, feed(server.base, images), {"Content-Type": "application/rss+xml"})
        server.routes["/img/live.png"] = Reply(200, png(), {"Content-Type": "image/png"})
        server.routes["/img/removed.png"] = Reply(410, b"gone")
        config = write_config(tmp_path, [server.url("/feed.xml")])

        first = build(config)
        assert requested(server, "/img/gone.png") == 1 and requested(server, "/img/removed.png") == 1
        second = build(config)

        # Asked once in all: the second build sent nothing to the 404 and the 410.
        assert requested(server, "/img/gone.png") == 1 and requested(server, "/img/removed.png") == 1
        # The feed is still revalidated, and the live image came from the store.
        assert requested(server, "/feed.xml") == 2 and requested(server, "/img/live.png") == 1

    first_report, second_report = format_build_report(first), format_build_report(second)
    for report in (first_report, second_report):
        lines = report.splitlines()
        # One line per failing host, however many of its URLs failed.
        assert sum(UNRESOLVABLE in line for line in lines) == 1, report
        assert sum(server.base.removeprefix("http://") in line for line in lines) == 1, report
        assert sum(refused.removeprefix("http://") in line for line in lines) == 1, report
    assert "2 images not downloaded: 2 × host name does not resolve" in first_report
    assert "connection refused" in first_report
    assert "1 × HTTP 404, 1 × HTTP 410" in first_report
    # The second build says the failures are remembered, not that it asked again.
    host_lines = [line for line in second_report.splitlines() if UNRESOLVABLE in line]
    assert "2 of them remembered from an earlier build and not asked again" in host_lines[0]
    refused_line = next(line for line in second_report.splitlines() if refused.removeprefix("http://") in line)
    assert "remembered from" in refused_line and "connection refused" in refused_line
    assert "Figure 0" in "".join(a.body for a in second.issue.articles)


def test_a_remembered_dead_feed_is_still_reported_as_a_failing_source(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    with LoopbackServer() as server:
        server.routes["/feed.xml"] = Reply(200, feed(server.base, []), {"Content-Type": "application/rss+xml"})
        config = write_config(tmp_path, [server.url("/feed.xml"), server.url("/moved.xml")])
        first = build(config)
        second = build(config)
        assert requested(server, "/moved.xml") == 1

    for result in (first, second):
        failing = [p for p in result.problems if p.where == server.url("/moved.xml")]
        assert len(failing) == 1 and failing[0].reason.startswith("HTTP 404"), result.problems
    assert "remembered from" in next(p.reason for p in second.problems if p.where.endswith("/moved.xml"))
    assert not [r for r in caplog.records if "/moved.xml" in r.getMessage()]  # printed by the report alone


def test_a_host_that_keeps_failing_is_skipped_after_the_breaker_trips(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    with LoopbackServer() as server, LoopbackServer() as failing:
        images = [failing.url(f"/img/{n}.png") for n in range(8)]
        for n in range(8):
            failing.routes[f"/img/{n}.png"] = Reply(503, b"overloaded")
        server.routes["/feed.xml"] = Reply(200, feed(server.base, images), {"Content-Type": "application/rss+xml"})
        config = write_config(tmp_path, [server.url("/feed.xml")], retries=0, per_host=1, breaker=3)
        result = build(config)
        assert len(failing.requests) == 3  # then the other five were not asked

    report = format_build_report(result)
    host = failing.base.removeprefix("http://")
    lines = [line for line in report.splitlines() if host in line]
    assert len(lines) == 1, report
    assert "8 images not downloaded: 5 × host skipped for the rest of this run after 3 failures in a row" in lines[0]
    assert "3 × HTTP 503" in lines[0]
    assert [p.where for p in result.problems].count(host) == 1  # the manifest's problems hold it once too
    assert not [r for r in caplog.records if host in r.getMessage()]  # and the terminal only through the report


def test_an_unreachable_host_is_not_retried_within_the_run(tmp_path):
    waits: list[float] = []
    with open_store(tmp_path / "s.sqlite3") as store, LoopbackServer() as server:
        server.routes["/ok"] = Reply(200, b"fine")
        with Fetcher(FetchPolicy(retries=2, backoff=0.5, allow_private_hosts=LOOPBACK), StoreCache(memory_cache()),
                     sleep=waits.append,
                     memory=StoreFailures(store)) as fetcher:
            with pytest.raises(DeadLink, match="host name does not resolve"):
                fetcher.get(f"http://{UNRESOLVABLE}/one")
            with pytest.raises(DeadLink, match="not asked again in this run"):
                fetcher.get(f"http://{UNRESOLVABLE}/two")
            assert fetcher.get(server.url("/ok")).body == b"fine"  # other hosts are not affected
        assert waits == []  # no backoff: a name that does not resolve is not retried


def test_a_dead_link_is_asked_again_once_its_time_is_up(tmp_path):
    with open_store(tmp_path / "s.sqlite3") as store, LoopbackServer() as server:
        def fetcher() -> Fetcher:
            return Fetcher(FetchPolicy(retries=0, allow_private_hosts=LOOPBACK), StoreCache(memory_cache()),
                           memory=StoreFailures(store))

        for _ in range(2):
            with fetcher() as run, pytest.raises(SourceError, match="HTTP 404"):
                run.get(server.url("/later"))
        assert requested(server, "/later") == 1
        # A week later (the stored deadline moved to the past): the link is asked again, and now it works.
        store.execute("UPDATE fetch_failures SET retry_after = '2000-01-01T00:00:00+00:00'")
        server.routes["/later"] = Reply(200, b"back")
        with fetcher() as run:
            assert run.get(server.url("/later")).body == b"back"
        assert requested(server, "/later") == 2


def test_no_memory_when_dead_link_days_is_zero(tmp_path):
    with open_store(tmp_path / "s.sqlite3") as store, LoopbackServer() as server:
        for _ in range(2):
            with Fetcher(FetchPolicy(retries=0, dead_link_days=0, allow_private_hosts=LOOPBACK), StoreCache(memory_cache()),
                         memory=StoreFailures(store)) as run, pytest.raises(SourceError, match="HTTP 404"):
                run.get(server.url("/gone"))
        assert requested(server, "/gone") == 2


def test_an_unreachable_host_is_marked_down_once_whatever_the_cause_text():
    run = RunFailures(breaker=3)
    # Concurrent requests to one dead host fail with the same (interned) reason string.
    cause = "host name does not resolve"
    assert run.unreachable("dead.example", cause) is True
    assert run.unreachable("dead.example", "host name does not resolve") is False
    assert run.unreachable("dead.example", "connection refused") is False
    assert run.blocked("dead.example") == cause
    assert run.unreachable("other.example", cause) is True


def test_a_host_name_is_looked_up_once_whatever_asks_and_ahead_of_the_requests(monkeypatch):
    """A resolver may take seconds to say a name does not resolve: the images of that host
    share one lookup, started before any of them is requested."""
    lookups: list[str] = []
    asked = threading.Event()

    def slow_resolver(host, *args, **kwargs):
        lookups.append(host)
        asked.set()
        time.sleep(0.2)  # long enough for the requests below to ask while it runs
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", slow_resolver)
    urls = [f"http://{UNRESOLVABLE}/{n}.jpg" for n in range(6)]
    with Fetcher(FetchPolicy(retries=0, per_host=6)) as fetcher:
        fetcher.look_up_ahead(urls)
        assert asked.wait(5)  # the lookup started before any request
        results = fetcher.get_all(urls)
    assert lookups == [UNRESOLVABLE]
    assert all(isinstance(result, SourceError) for result in results.values())
    assert "host name does not resolve" in str(results[urls[0]])
