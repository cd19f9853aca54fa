"""An issue's originals are downloaded ahead of the workers that fit them, each asked for once,
into the cache; a slow host holds a download thread, not a fitting worker."""

from __future__ import annotations

import threading
import time

import pytest
from loopback import LoopbackServer, Reply, held

from digest.content.issue.downloads import Downloads
from digest.core.errors import ImageError
from digest.core.stores import open_cache
from digest.ingest.fetch import Fetcher, FetchPolicy
from digest.ingest.httpcache import StoreCache

BODIES = {f"/{name}.png": name.encode() * 100 for name in ("a", "b", "c")}


def asked(server: LoopbackServer, path: str) -> int:
    return sum(1 for requested, _ in server.requests if requested == path)


def wait_for(condition, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture
def served():
    with LoopbackServer() as server:
        for path, body in BODIES.items():
            server.routes[path] = Reply(200, body, {"Content-Type": "image/png"})
        server.routes["/gone.png"] = Reply(404, b"gone")
        yield server


def fetcher_for(server: LoopbackServer, cache=None) -> Fetcher:
    return Fetcher(FetchPolicy(retries=0, allow_private_hosts=(server.host,)), cache)


def test_every_original_is_asked_for_before_any_is_read_and_only_once(served, tmp_path):
    paths = [*BODIES, "/gone.png"]
    urls = [served.url(path) for path in paths]
    with open_cache(tmp_path / "cache.sqlite3") as cache, fetcher_for(served, StoreCache(cache)) as fetcher:
        downloads = Downloads(urls, fetcher, max_bytes=10_000)
        with downloads.ahead():
            assert wait_for(lambda: all(asked(served, path) for path in paths)), served.requests
            for path, url in zip(BODIES, urls):
                assert downloads[url] == BODIES[path]
            with pytest.raises(ImageError, match="not downloaded: HTTP 404") as failed:
                downloads[served.url("/gone.png")]
            assert served.url("/gone.png") in str(failed.value)
        assert list(downloads.failed) == [served.url("/gone.png")]
        assert downloads[urls[0]] == BODIES[paths[0]]  # a second read, as at a lower budget step
    assert all(asked(served, path) == 1 for path in paths), served.requests


def test_a_slow_original_does_not_hold_back_those_after_it(served, tmp_path):
    released = threading.Event()
    served.routes["/slow.png"] = held(released, Reply(200, b"slow" * 100, {"Content-Type": "image/png"}), seconds=30)
    urls = [served.url("/slow.png"), *(served.url(path) for path in BODIES)]
    with open_cache(tmp_path / "cache.sqlite3") as cache, fetcher_for(served, StoreCache(cache)) as fetcher:
        downloads = Downloads(urls, fetcher, max_bytes=10_000)
        try:
            with downloads.ahead():
                assert wait_for(lambda: asked(served, "/slow.png"))
                # The slow host has not answered, and the originals after it are there to be fitted.
                assert [downloads[served.url(path)] for path in BODIES] == list(BODIES.values())
                assert not released.is_set()
                released.set()
                assert downloads[urls[0]] == b"slow" * 100
        finally:
            released.set()


def test_a_stored_original_is_not_asked_for_again(served, tmp_path):
    urls = [served.url(path) for path in BODIES]
    with open_cache(tmp_path / "cache.sqlite3") as cache, fetcher_for(served, StoreCache(cache)) as fetcher:
        assert Downloads(urls[:1], fetcher, max_bytes=10_000)[urls[0]] == BODIES["/a.png"]
        downloads = Downloads(urls, fetcher, max_bytes=10_000)
        with downloads.ahead():
            assert wait_for(lambda: all(asked(served, path) for path in BODIES))
            assert [downloads[url] for url in urls] == list(BODIES.values())
    assert [asked(served, path) for path in BODIES] == [1, 1, 1]


def test_without_a_cache_each_original_is_downloaded_when_read(served):
    urls = [served.url(path) for path in BODIES]
    with fetcher_for(served) as fetcher:
        downloads = Downloads(urls, fetcher, max_bytes=10_000)
        with downloads.ahead():
            time.sleep(0.2)
            assert served.requests == []  # nothing to keep them in: not downloaded twice
            assert downloads[urls[1]] == BODIES["/b.png"]
    assert [path for path, _ in served.requests] == ["/b.png"]
