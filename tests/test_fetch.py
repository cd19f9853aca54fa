"""The fetch layer against a real loopback HTTP server: retries, caps, validators, politeness."""

from __future__ import annotations

import gc
import gzip
import threading
import time
import weakref

import brotli
import pytest

from digest.core.errors import SourceError
from digest.core.vocabulary import MB
from digest.ingest.fetch import Fetcher, FetchPolicy
from digest.ingest.sniffing import sniff
from digest.ingest.httpcache import StoreCache
from digest.core.cache import memory_cache
from digest.core.store import open_store
from loopback import LoopbackServer, Reply, held

# The servers here are on loopback, which the fetch layer refuses unless the host is named.
LOOPBACK = ("127.0.0.1",)
FAST = FetchPolicy(connect_timeout=2, read_timeout=1, total_timeout=5, retries=2, backoff=0.01,
                   allow_private_hosts=LOOPBACK)


def test_unchanged_resource_costs_one_304_on_the_second_fetch(tmp_path):
    statuses = []

    def feed(handler):
        if handler.headers.get("If-None-Match") == '"v1"':
            statuses.append(304)
            handler.send_response(304)
            handler.send_header("ETag", '"v1"')
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return None
        statuses.append(200)
        return Reply(200, b"<rss version='2.0'><channel/></rss>",
                     {"ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2018 00:00:00 GMT"})

    with LoopbackServer() as server, open_store(tmp_path / "s.sqlite3") as store:
        server.routes["/feed"] = feed
        with Fetcher(FAST, StoreCache(memory_cache())) as fetcher:
            first = fetcher.get(server.url("/feed"))
            second = fetcher.get(server.url("/feed"))
    assert statuses == [200, 304]
    assert not first.not_modified and second.not_modified
    assert second.body == first.body
    assert server.requests[1][1]["If-None-Match"] == '"v1"'
    assert server.requests[1][1]["If-Modified-Since"] == "Mon, 01 Jan 2018 00:00:00 GMT"


def test_5xx_is_retried_with_backoff_then_succeeds():
    replies = iter([Reply(503, b"busy"), Reply(502, b"bad gateway"), Reply(200, b"ok")])
    waits = []
    with LoopbackServer() as server:
        server.routes["/flaky"] = lambda handler: next(replies)
        with Fetcher(FetchPolicy(retries=2, backoff=0.5, allow_private_hosts=LOOPBACK), sleep=waits.append) as fetcher:
            assert fetcher.get(server.url("/flaky")).body == b"ok"
    assert waits == [0.5, 1.0]


def test_429_honours_retry_after_and_refuses_absurd_waits():
    replies = iter([Reply(429, b"", {"Retry-After": "3"}), Reply(200, b"ok")])
    waits = []
    with LoopbackServer() as server:
        server.routes["/limited"] = lambda handler: next(replies)
        server.routes["/forever"] = Reply(429, b"", {"Retry-After": "86400"})
        with Fetcher(FetchPolicy(retries=2, backoff=0.5, allow_private_hosts=LOOPBACK), sleep=waits.append) as fetcher:
            assert fetcher.get(server.url("/limited")).body == b"ok"
            with pytest.raises(SourceError, match="Retry-After 86400s is too long"):
                fetcher.get(server.url("/forever"))
    assert waits == [3.0]


def test_permanent_errors_name_the_url_and_are_not_retried():
    with LoopbackServer() as server:
        with Fetcher(FAST) as fetcher, pytest.raises(SourceError) as caught:
            fetcher.get(server.url("/missing"))
    assert caught.value.where.endswith("/missing") and caught.value.reason == "HTTP 404"
    assert len(server.requests) == 1


def test_redirect_loops_are_bounded():
    with LoopbackServer() as server:
        server.routes["/a"] = Reply(302, b"", {"Location": "/b"})
        server.routes["/b"] = Reply(302, b"", {"Location": "/a"})
        server.routes["/hop"] = Reply(301, b"", {"Location": "/final"})
        server.routes["/final"] = Reply(200, b"here")
        with Fetcher(FAST) as fetcher:
            with pytest.raises(SourceError, match="more than 5 redirects"):
                fetcher.get(server.url("/a"))
            response = fetcher.get(server.url("/hop"))
    assert response.body == b"here" and response.final_url.endswith("/final")


def test_size_cap_applies_to_declared_and_to_decoded_bodies():
    bomb = gzip.compress(b"\0" * 5_000_000)  # ~5 KB on the wire, 5 MB decoded
    with LoopbackServer() as server:
        server.routes["/big"] = Reply(200, b"x" * 2 * MB)
        server.routes["/bomb"] = Reply(200, bomb, {"Content-Encoding": "gzip"})
        with Fetcher(FetchPolicy(max_bytes=MB, retries=0, allow_private_hosts=LOOPBACK)) as fetcher:
            with pytest.raises(SourceError, match="body of 2 MB is over the 1 MB cap"):
                fetcher.get(server.url("/big"))
            with pytest.raises(SourceError, match=r"over the 1 MB cap \(after decompression\)"):
                fetcher.get(server.url("/bomb"))


def test_gzip_and_brotli_bodies_are_decoded():
    text = b"<p>compressed</p>" * 100
    with LoopbackServer() as server:
        server.routes["/gz"] = Reply(200, gzip.compress(text), {"Content-Encoding": "gzip"})
        server.routes["/br"] = Reply(200, brotli.compress(text), {"Content-Encoding": "br"})
        with Fetcher(FAST) as fetcher:
            assert fetcher.get(server.url("/gz")).body == text
            assert fetcher.get(server.url("/br")).body == text
    assert "br" in server.requests[0][1]["Accept-Encoding"]


def test_a_server_that_never_answers_times_out():
    release = threading.Event()
    with LoopbackServer() as server:
        server.routes["/hang"] = held(release, Reply(200, b"late"), seconds=10)
        with Fetcher(FetchPolicy(read_timeout=0.5, retries=1, backoff=0.01, allow_private_hosts=LOOPBACK)) as fetcher:
            with pytest.raises(SourceError, match="timed out"):
                fetcher.get(server.url("/hang"))
        release.set()
    assert len([r for r in server.requests if r[0] == "/hang"]) == 2  # first try + one retry


def test_per_host_limit_bounds_concurrent_requests():
    lock, state = threading.Lock(), {"now": 0, "max": 0}

    def slow(handler):
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(0.2)
        with lock:
            state["now"] -= 1
        return Reply(200, b"ok")

    with LoopbackServer() as server:
        for i in range(6):
            server.routes[f"/p{i}"] = slow
        with Fetcher(FetchPolicy(per_host=2, workers=6, allow_private_hosts=LOOPBACK)) as fetcher:
            results = fetcher.get_all(server.url(f"/p{i}") for i in range(6))
    assert all(r.body == b"ok" for r in results.values())
    assert state["max"] == 2


def test_requests_identify_themselves():
    with LoopbackServer() as server:
        server.routes["/ua"] = Reply(200, b"ok")
        with Fetcher(FAST) as fetcher:
            fetcher.get(server.url("/ua"))
    assert server.requests[0][1]["User-Agent"].startswith("digest/")


@pytest.mark.parametrize("body, header, kind", [
    (b"<?xml version='1.0'?><rss version='2.0'>", "text/html", "feed"),
    (b"\xef\xbb\xbf<feed xmlns='http://www.w3.org/2005/Atom'>", "", "feed"),
    (b"<!DOCTYPE html><html><body>", "application/octet-stream", "html"),
    (b'{"version": "https://jsonfeed.org/version/1.1"}', "text/plain", "json"),
    (b"%PDF-1.7\n", "text/html", "pdf"),
    (b"\x89PNG\r\n\x1a\n....", "text/html", "image"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/jpeg", "image"),
    (b"plain words", "text/plain", "other"),
])
def test_sniffing_trusts_bytes_over_labels(body, header, kind):
    assert sniff(body, header) == kind


def test_get_each_holds_no_outcome_it_has_given():
    # A caller that extracts each page as it comes holds one body at a time, not every one so far.
    with LoopbackServer() as server:
        for n in range(4):
            server.routes[f"/{n}"] = Reply(200, b"x" * 1000 + str(n).encode())
        with Fetcher(FetchPolicy(retries=0, workers=2, allow_private_hosts=(server.host,))) as fetcher:
            given = []
            for _url, outcome in fetcher.get_each(server.url(f"/{n}") for n in range(4)):
                gc.collect()
                assert all(earlier() is None for earlier in given)
                given.append(weakref.ref(outcome))
                del outcome
            assert len(given) == 4


def test_get_each_gives_each_outcome_as_it_comes_and_a_caller_that_stops_leaves_nothing_queued():
    released = threading.Event()
    slow = held(released, Reply(200, b"slow"))
    with LoopbackServer() as server:
        server.routes["/slow"] = slow
        for n in range(6):
            server.routes[f"/{n}"] = Reply(200, str(n).encode())
        server.routes["/gone"] = Reply(404, b"")
        urls = [server.url("/slow"), server.url("/gone"), *(server.url(f"/{n}") for n in range(6))]
        with Fetcher(FetchPolicy(retries=0, workers=3, per_host=3, allow_private_hosts=(server.host,))) as fetcher:
            outcomes = []
            for url, outcome in fetcher.get_each(urls):
                outcomes.append(url)
                if len(outcomes) == len(urls) - 1:
                    released.set()  # every other URL came while the first was still on its way
                if isinstance(outcome, SourceError):
                    assert outcome.reason == "HTTP 404" and url == server.url("/gone")
                else:
                    assert outcome.body == (b"slow" if url == server.url("/slow") else url[-1].encode())
            assert outcomes[-1] == server.url("/slow") and sorted(outcomes) == sorted(urls)

            server.requests.clear()
            released.clear()
            for n in range(6):
                server.routes[f"/held{n}"] = slow
            each = fetcher.get_each([server.url("/0"), *(server.url(f"/held{n}") for n in range(6))])
            assert next(each)[0] == server.url("/0")
            threading.Timer(0.5, released.set).start()
            each.close()  # what a caller that stops early does: those in flight end, the rest never start
        # /0 and the three in flight when it came (the pool's 3 workers); the others were never asked for.
        assert len(server.requests) <= 4
