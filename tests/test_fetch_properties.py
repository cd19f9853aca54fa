"""Random bytes and random headers through the fetch layer, from a real server on loopback.

Whatever the server sends (any status, Content-Encoding, Content-Length lie, ETag, Location,
Retry-After, body), a fetch returns a body within the cap or raises the project's per-item
failure (SourceError); and an honest compressed body, stacked codings included, comes back whole.
"""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loopback import LoopbackServer

from digest.core.errors import SourceError
from digest.core.stores import open_cache
from digest.ingest.fetch import Fetcher, FetchPolicy
from digest.ingest.httpcache import StoreCache

ENCODE = {"gzip": gzip.compress, "x-gzip": gzip.compress, "deflate": zlib.compress,
          "br": brotli.compress, "identity": lambda data: data}
CODINGS = [*ENCODE, "", "zstd", "compress", "GZIP", "gzip, br", "br, gzip, deflate", "deflate, deflate"]
HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=40)
STATUSES = [200, 200, 200, 203, 206, 301, 302, 303, 304, 307, 404, 410, 429, 500, 503]


class Scripted:
    """What the server answers next: raw header lines and a body, written as they are."""

    status, headers, body, close = 200, b"", b"", False

    def __call__(self, request):
        request.close_connection = self.close
        request.wfile.write(f"HTTP/1.1 {self.status} Whatever\r\n".encode() + self.headers + b"\r\n" + self.body)
        return None


POLICY = FetchPolicy(connect_timeout=1, read_timeout=0.2, total_timeout=2, retries=1, backoff=0,
                     allow_private_hosts=("127.0.0.1",))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The server, what it answers, and a store that keeps validators from one example to the next."""
    script = Scripted()
    with LoopbackServer() as server, open_cache(tmp_path_factory.mktemp("cache") / "c.sqlite3") as cache:
        server.routes["/thing"] = script
        yield server, script, StoreCache(cache)


def fetcher(cache: StoreCache) -> Fetcher:
    """A fresh fetcher per example: one run's breaker must not carry the last example's failures."""
    return Fetcher(POLICY, cache, sleep=lambda seconds: None)


def lines(pairs: list[tuple[str, str]]) -> bytes:
    return b"".join(f"{name}: {value}\r\n".encode("latin-1") for name, value in pairs)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(status=st.sampled_from(STATUSES), coding=st.sampled_from(CODINGS), payload=st.binary(max_size=3000),
       compress=st.booleans(), cut=st.integers(0, 50), length=st.sampled_from(["honest", "short", "long", "none"]),
       etag=HEADER_TEXT, modified=HEADER_TEXT, location=HEADER_TEXT, retry_after=HEADER_TEXT,
       content_type=HEADER_TEXT, cap=st.integers(1, 5000))
def test_whatever_the_server_sends_the_fetch_fails_alone_or_stays_under_the_cap(
        served, status, coding, payload, compress, cut, length, etag, modified, location, retry_after,
        content_type, cap):
    server, script, cache = served
    single = coding.split(",")[0].strip()
    body = ENCODE[single](payload) if compress and single in ENCODE else payload
    body = body[:len(body) - cut] if cut < len(body) else body  # truncated streams too
    declared = {"honest": len(body), "short": max(0, len(body) - 7), "long": len(body) + 7, "none": None}[length]
    headers = [("Content-Encoding", coding), ("Content-Type", content_type), ("ETag", etag),
               ("Last-Modified", modified), ("Location", location), ("Retry-After", retry_after)]
    if declared is None:
        headers.append(("Connection", "close"))  # the body ends where the connection does
    else:
        headers.append(("Content-Length", str(declared)))
    script.status, script.headers, script.body, script.close = status, lines(headers), body, declared is None
    try:
        with fetcher(cache) as fetching:
            response = fetching.get(server.url("/thing"), max_bytes=cap)
    except SourceError:
        return
    assert len(response.body) <= cap


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(max_size=20_000) | st.just(b"\0" * 300_000),
       codings=st.lists(st.sampled_from(["gzip", "deflate", "br"]), max_size=2))
def test_an_honest_compressed_body_comes_back_whole(served, payload, codings):
    server, script, cache = served
    body = payload
    for coding in codings:  # the header lists codings in the order they were applied
        body = ENCODE[coding](body)
    script.status, script.body, script.close = 200, body, False
    script.headers = lines([("Content-Encoding", ", ".join(codings)), ("Content-Length", str(len(body)))])
    with fetcher(cache) as fetching:
        # The cap counts the bytes received too: at least the compressed size.
        cap = max(len(payload), len(body))
        assert fetching.get(server.url("/thing"), max_bytes=cap, conditional=False).body == payload


def test_a_copy_kept_under_a_larger_cap_is_not_returned_over_a_smaller_one(served):
    """A 304 used to return the stored copy whatever its size: a body kept under one cap came
    back from a call with a smaller one (found by the property above, when an earlier example had
    left a 4-byte body and the next asked for at most 1 byte)."""
    server, script, cache = served
    script.status, script.body, script.close = 200, b"0123456789", False
    script.headers = lines([("Content-Length", "10"), ("ETag", '"ten"')])
    with fetcher(cache) as fetching:
        assert fetching.get(server.url("/thing"), max_bytes=100).body == b"0123456789"
    script.status, script.body = 304, b""
    script.headers = lines([("ETag", '"ten"'), ("Content-Length", "0")])
    with fetcher(cache) as fetching:
        assert fetching.get(server.url("/thing"), max_bytes=100).not_modified  # the copy, under its cap
        with pytest.raises(SourceError, match="HTTP 304"):  # asked afresh: the server has nothing new to say
            fetching.get(server.url("/thing"), max_bytes=4)
