"""Hostile servers and URLs against the fetch layer, on loopback: compression bombs, headers dripped
forever, SIGTERM while blocked, URLs httpx refuses, validators that cannot be sent back.

Memory is measured in a child process, as the high-water mark of its own memory (VmHWM): its
ru_maxrss would start at the test runner's size, which Linux carries over through fork and exec.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import brotli
import pytest
from click.testing import CliRunner
from factory import ROOT, write_publication
from loopback import LoopbackServer, Reply
from test_faults import item, rss

from digest.cli import cli
from digest.content.issue.policy import fetch_policy
from digest.core.configfile import load_config
from digest.core.errors import SourceError
from digest.core.month import Month
from digest.core.stores import open_cache
from digest.core.vocabulary import MB
from digest.ingest.feeds import read_source
from digest.ingest.fetch import Fetcher, FetchPolicy
from digest.ingest.gather import gather
from digest.ingest.httpcache import StoreCache
from digest.ingest.wire import url_problem
from digest.pipeline import build_issue
from digest.report import format_fetch_report

LOOPBACK = ("127.0.0.1",)
GiB = 1024 * MB
BLOCK = b"\0" * MB
MEMORY_BOUND_MB = 600  # README, Security: the peak of a build or fetch facing any single hostile item
TEXT = "Backpressure keeps a fast producer from drowning a slow consumer. " * 20
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


@functools.cache
def bomb(coding: str, size: int = GiB) -> bytes:
    """``size`` zero bytes compressed with ``coding``: a few KB (brotli) to 1 MB (gzip) on the wire."""
    if coding == "br":
        packer = brotli.Compressor(quality=5)
        return b"".join(packer.process(BLOCK) for _ in range(size // MB)) + packer.finish()
    wbits = {"gzip": 31, "deflate": 15, "raw-deflate": -15}[coding]
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    # After a full flush the compressor starts afresh, so every further megabyte compresses to the
    # same bytes: a 1 GiB bomb without compressing 1 GiB. Its trailer checksums all of it.
    first = packer.compress(BLOCK) + packer.flush(zlib.Z_FULL_FLUSH)
    repeat = packer.compress(BLOCK) + packer.flush(zlib.Z_FULL_FLUSH)
    trailer_size = {"gzip": 8, "deflate": 4, "raw-deflate": 0}[coding]
    final = packer.flush()
    final = final[:len(final) - trailer_size]
    if coding == "gzip":
        crc = functools.reduce(lambda value, _: zlib.crc32(BLOCK, value), range(size // MB), 0)
        final += crc.to_bytes(4, "little") + (size % 2**32).to_bytes(4, "little")
    elif coding == "deflate":
        adler = functools.reduce(lambda value, _: zlib.adler32(BLOCK, value), range(size // MB), 1)
        final += adler.to_bytes(4, "big")
    return first + repeat * (size // MB - 1) + final


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate", "br"])
def test_the_bombs_are_what_they_claim(coding):
    small = bomb(coding, 8 * MB)
    decoded = brotli.decompress(small) if coding == "br" else zlib.decompress(
        small, {"gzip": 31, "deflate": 15, "raw-deflate": -15}[coding])
    assert decoded == b"\0" * (8 * MB) and len(small) < 40_000


def bomb_route(coding: str, content_type: str) -> Reply:
    header = "deflate" if coding == "raw-deflate" else coding
    return Reply(200, bomb(coding), {"Content-Encoding": header, "Content-Type": content_type})


PEAK_MB = ("def peak_mb():\n"
           "    status = open('/proc/self/status').read()\n"
           "    return int(status.split('VmHWM:')[1].split()[0]) / 1024\n")
"""The child's own peak resident memory in MB."""

MEASURE = PEAK_MB + r"""
import json, sys
from digest.core.errors import SourceError
from digest.ingest.fetch import Fetcher, FetchPolicy

base, paths = sys.argv[1], sys.argv[2:]
outcomes = {}
with Fetcher(FetchPolicy(retries=0, allow_private_hosts=("127.0.0.1",))) as fetcher:
    for warm in ("/small.gz", "/small.br"):  # modules loaded and a connection open before the baseline
        fetcher.get(base + warm)
    before = peak_mb()
    for path in paths:
        try:
            outcomes[path] = len(fetcher.get(base + path).body)
        except SourceError as exc:
            outcomes[path] = str(exc)
print(json.dumps({"before_mb": before, "peak_mb": peak_mb(), "outcomes": outcomes}))
"""


def test_a_compression_bomb_stops_at_the_cap_with_memory_to_match():
    codings = ["gzip", "deflate", "raw-deflate", "br"]
    with LoopbackServer() as server:
        server.routes["/small.gz"] = Reply(200, bomb("gzip", MB), {"Content-Encoding": "gzip"})
        server.routes["/small.br"] = Reply(200, bomb("br", MB), {"Content-Encoding": "br"})
        for coding in codings:
            server.routes[f"/{coding}"] = bomb_route(coding, "application/rss+xml")
        child = subprocess.run([sys.executable, "-c", MEASURE, server.base, *(f"/{c}" for c in codings)],
                               capture_output=True, text=True, timeout=120, env=ENV)
    assert child.returncode == 0, child.stderr
    measured = json.loads(child.stdout)
    for coding in codings:
        assert measured["outcomes"][f"/{coding}"] == (
            f"{server.url('/' + coding)}: body over the 20 MB cap (after decompression)")
    # 1 GiB each once decoded; the 20 MB body held, and not much besides.
    assert measured["peak_mb"] - measured["before_mb"] < 20 + 16, measured
    assert measured["peak_mb"] < MEMORY_BOUND_MB, measured


def measured_cli(*args: str, cwd: Path) -> tuple[subprocess.CompletedProcess, float]:
    """Run the digest CLI in a child; return it and the child's own peak memory in MB."""
    code = PEAK_MB + ("import atexit, sys\natexit.register(lambda: print('peak-mb', peak_mb(), file=sys.stderr))\n"
                      "sys.argv[0] = 'digest'\nfrom digest.cli import main\nmain()\n")
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=600,
                          cwd=cwd, env=ENV)
    return done, float(done.stderr.rsplit("peak-mb", 1)[1])


def test_bombs_as_a_feed_an_image_and_a_link_to_add_cost_one_report_line_each(tmp_path):
    with LoopbackServer() as server:
        image = server.url("/img/chart.png")
        server.routes["/feed.xml"] = Reply(200, rss(item("Charts", "https://blog.example.org/charts", "c1",
                                                         f'<p>{TEXT}</p><p><img src="{image}" alt="A chart"></p>')),
                                           {"Content-Type": "application/rss+xml"})
        server.routes["/bomb.xml"] = bomb_route("gzip", "application/rss+xml")
        server.routes["/img/chart.png"] = bomb_route("br", "image/png")
        server.routes["/paper"] = bomb_route("deflate", "text/html")
        write_publication(tmp_path, publication={"title": "Bomb Monthly", "slug": "bomb"},
                          sources=[{"name": "Good", "url": server.url("/feed.xml"), "section": "main"},
                                   {"name": "Bomb", "url": server.url("/bomb.xml"), "section": "main"}],
                          fetch={"retries": 0, "timeout": 10, "allow_private_hosts": list(LOOPBACK)},
                          output={"dir": "out"}, store={"path": "digest.sqlite3"},
                          issues={"2018-01.toml": 'title = "January"\n'})
        built, build_peak = measured_cli("build", "--month", "2018-01", cwd=tmp_path)
        added, add_peak = measured_cli("link", "add", server.url("/paper"), "--month", "2018-01", cwd=tmp_path)

    assert built.returncode == 0, built.stderr
    lines = built.stdout.splitlines()
    assert [line.strip() for line in lines if "/bomb.xml" in line] == [
        f"- {server.url('/bomb.xml')}: body over the 20 MB cap (after decompression)"], built.stdout
    assert [line.strip() for line in lines if "/img/chart.png" in line] == [
        f"- {image}: image not downloaded: body over the 25 MB cap (after decompression); alt text kept"], built.stdout
    assert added.returncode == 0, added.stderr
    assert "body over the 20 MB cap (after decompression)" in added.stdout + added.stderr
    assert server.url("/paper") in (tmp_path / "issues" / "2018-01.toml").read_text()
    assert "Traceback" not in built.stderr + added.stderr
    assert build_peak < MEMORY_BOUND_MB and add_peak < MEMORY_BOUND_MB, (build_peak, add_peak)


def dripping(stop: threading.Event, every: float = 0.5):
    """A handler that sends a status line, then one header line every ``every`` seconds until ``stop``."""
    def handler(request):
        request.wfile.write(b"HTTP/1.1 200 OK\r\n")
        count = 0
        while not stop.wait(every):
            try:
                request.wfile.write(f"X-Drip-{count}: still here\r\n".encode())
            except OSError:  # the client gave up
                return None
            count += 1
        return None
    return handler


def test_headers_dripped_forever_end_at_the_deadline_with_one_report_line(tmp_path):
    stop = threading.Event()
    with LoopbackServer() as server:
        server.routes["/drip.xml"] = dripping(stop)
        # The deadline as a publication sets it: [fetch] url_timeout.
        config = load_config(write_publication(
            tmp_path, sources=[{"name": "Drip", "url": server.url("/drip.xml"), "section": "main"}],
            fetch={"timeout": 5, "url_timeout": 2, "retries": 2, "allow_private_hosts": list(LOOPBACK)}))
        policy = fetch_policy(config)
        started = time.monotonic()
        with Fetcher(policy) as fetcher:
            gathered = gather(config, functools.partial(read_source, fetcher=fetcher))
        elapsed = time.monotonic() - started
        stop.set()
    # Each header line came well within the read timeout: only the deadline ends it, and no retry follows.
    assert 2 <= elapsed < 2 + 1.5, elapsed
    assert [path for path, _ in server.requests] == ["/drip.xml"]
    report = format_fetch_report(gathered)
    assert report.splitlines() == ["Drip: ERROR took longer than 2s"], report


def test_sigterm_ends_a_fetch_blocked_in_dripping_headers_within_seconds(tmp_path):
    stop = threading.Event()
    with LoopbackServer() as server:
        server.routes["/drip.xml"] = dripping(stop)
        write_publication(tmp_path, sources=[{"name": "Drip", "url": server.url("/drip.xml"), "section": "main"}],
                          fetch={"timeout": 30, "allow_private_hosts": list(LOOPBACK)},
                          store={"path": "digest.sqlite3"})
        child = subprocess.Popen([sys.executable, "-m", "digest", "fetch"], cwd=tmp_path, env=ENV,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        waited = time.monotonic()
        while not server.requests and time.monotonic() - waited < 60:
            time.sleep(0.1)
        time.sleep(1.5)  # inside the dripped headers: the default deadline is a minute away
        sent = time.monotonic()
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=60)
        elapsed = time.monotonic() - sent
        stop.set()
    assert server.requests, err
    assert elapsed < 5, elapsed
    assert child.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err, err


@pytest.fixture
def unanswered_port():
    """A loopback port whose accept queue is full: a connection to it is never completed."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        with socket.create_connection(listener.getsockname()):
            yield listener.getsockname()[1]


def test_the_deadline_covers_a_connection_that_never_completes(unanswered_port):
    policy = FetchPolicy(connect_timeout=30, total_timeout=2, retries=2, allow_private_hosts=LOOPBACK)
    started = time.monotonic()
    with Fetcher(policy) as fetcher, pytest.raises(SourceError, match="took longer than 2s"):
        fetcher.get(f"http://127.0.0.1:{unanswered_port}/feed.xml")
    assert time.monotonic() - started < 2 + 1.5


def test_stop_ends_fetches_blocked_in_connect_and_in_headers_at_once(unanswered_port):
    stop, outcomes = threading.Event(), {}
    with LoopbackServer() as server:
        server.routes["/drip.xml"] = dripping(stop)
        urls = [server.url("/drip.xml"), f"http://127.0.0.1:{unanswered_port}/feed.xml"]
        with Fetcher(FetchPolicy(connect_timeout=30, read_timeout=30, allow_private_hosts=LOOPBACK)) as fetcher:
            worker = threading.Thread(target=lambda: outcomes.update(fetcher.get_all(urls)))
            worker.start()
            while not server.requests:
                time.sleep(0.05)
            time.sleep(0.5)  # one fetch reads dripped headers, the other waits for its connection
            stopped = time.monotonic()
            fetcher.stop()
            worker.join(10)
            elapsed = time.monotonic() - stopped
        stop.set()
    assert not worker.is_alive() and elapsed < 1, elapsed
    assert {url: getattr(outcome, "reason", outcome) for url, outcome in outcomes.items()} == dict.fromkeys(
        urls, "stopped")


BAD_URLS = ["http://256.1.1.1/x.png", "http://example.com:abc/", "http://example.com:99999/",
            "http://[::1/x", "http://[::ffff:999.1.1.1]/", "http://\u2603.com/", "https://xn--zz.com/",
            f"http://{'a' * 64}.example/", "http://a..b/", "http://./", "http://example.com/\x00"]


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_url_httpx_refuses_fails_alone_with_a_reason(url):
    with Fetcher(FetchPolicy(retries=0)) as fetcher:
        with pytest.raises(SourceError) as caught:
            fetcher.get(url)
        assert fetcher.stored(url) is None
        results = fetcher.get_all([url, "http://256.1.1.2/"])
    assert caught.value.where == url and caught.value.reason.startswith("not a valid URL"), caught.value
    assert url_problem(url) == caught.value.reason
    assert all(isinstance(result, SourceError) for result in results.values())


def test_a_redirect_to_a_url_httpx_refuses_is_a_failure_of_the_url_asked():
    with LoopbackServer() as server:
        server.routes["/moved"] = Reply(302, b"", {"Location": "http://256.1.1.1/x"})
        server.routes["/hop"] = Reply(302, b"", {"Location": f"http://{'a' * 64}.example/"})
        with Fetcher(FetchPolicy(retries=0, allow_private_hosts=LOOPBACK)) as fetcher:
            with pytest.raises(SourceError, match=r"redirected to an invalid URL \(Invalid IPv4 address"):
                fetcher.get(server.url("/moved"))
            with pytest.raises(SourceError, match="redirected to http://a+\\.example/: not a valid URL"):
                fetcher.get(server.url("/hop"))


def test_link_add_refuses_a_url_httpx_refuses_in_one_line(project_copy):
    issue = project_copy / "issues" / "2018-01.toml"
    before = issue.read_text()
    result = CliRunner().invoke(cli, ["link", "add", "http://256.1.1.1/x.png", "--month", "2018-01",
                                      "--config", str(project_copy / "digest.toml")])
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        "error: 'http://256.1.1.1/x.png': not a valid URL (Invalid IPv4 address: '256.1.1.1')"]
    assert issue.read_text() == before


@pytest.mark.parametrize("etag", ['"caf\xe9"', '"café"'.encode().decode("latin-1")], ids=["latin-1", "utf-8"])
def test_a_validator_that_cannot_be_sent_back_is_not_stored(tmp_path, etag):
    with LoopbackServer() as server, open_cache(tmp_path / "cache.sqlite3") as cache:
        server.routes["/feed"] = Reply(200, b"<rss/>", {"ETag": etag, "Last-Modified": "Mon, 01 Jan 2018 00:00:00 GMT"})
        for _ in range(3):
            with Fetcher(FetchPolicy(retries=0, allow_private_hosts=LOOPBACK), StoreCache(cache)) as fetcher:
                assert fetcher.get(server.url("/feed")).body == b"<rss/>"
        stored = json.loads(cache.store.query_one("SELECT headers FROM http_cache")["headers"])
    assert "etag" not in stored and "last-modified" in stored
    sent = [headers for _, headers in server.requests]
    assert all("If-None-Match" not in headers for headers in sent)
    assert [headers.get("If-Modified-Since") for headers in sent] == [None] + ["Mon, 01 Jan 2018 00:00:00 GMT"] * 2


def test_a_bad_validator_stored_by_an_earlier_version_is_not_sent(tmp_path):
    with LoopbackServer() as server, open_cache(tmp_path / "cache.sqlite3") as cache:
        server.routes["/feed"] = Reply(200, b"<rss/>", {"ETag": '"v1"'})
        with Fetcher(FetchPolicy(retries=0, allow_private_hosts=LOOPBACK), StoreCache(cache)) as fetcher:
            fetcher.get(server.url("/feed"))
            cache.store.execute("UPDATE http_cache SET headers = ?", (json.dumps({"etag": '"café"'}),))
            assert fetcher.get(server.url("/feed")).body == b"<rss/>"
    assert "If-None-Match" not in server.requests[1][1]


def test_urls_httpx_refuses_in_entries_and_curated_links_are_reported_and_the_issue_ships(tmp_path):
    bad_image, bad_page = "http://256.1.1.1/x.png", "http://256.1.1.1/page"
    (tmp_path / "feed.xml").write_bytes(rss(
        item("With a picture", "https://blog.example.org/picture", "p1",
             f'<p>{TEXT}</p><p><img src="{bad_image}" alt="A chart"></p>', day=3)
        + item("Looks truncated", bad_page, "t1", "<p>Short teaser [&#8230;]</p>", day=4)))
    curated = ["http://256.1.1.1/paper", "http://example.com:abc/", "http://[::1/x"]
    links = "".join(f'[[links]]\nkind = "whitepaper"\nurl = "{url}"\n\n' for url in curated)
    links += '[[links]]\nkind = "solution"\ntitle = "Fine"\nsummary = "Kept."\nurl = "https://example.org/fine"\n'
    config = write_publication(tmp_path, publication={"title": "Odd Monthly", "slug": "odd"},
                               sources=[{"name": "Odd", "url": "feed.xml", "section": "main"}],
                               fetch={"retries": 0}, output={"dir": "out"}, issues={"2018-01.toml": links})
    result = build_issue(load_config(config), Month(2018, 1))

    assert result.epub.is_file()
    assert {a.title for a in result.issue.articles} >= {"With a picture"}
    assert [link.title for group in result.issue.curated for link in group.links] == ["Fine"]
    reasons = {problem.where: problem.reason for problem in result.problems}
    assert "not a valid URL (Invalid IPv4 address: '256.1.1.1')" in reasons[bad_image]
    assert "not a valid URL (Invalid IPv4 address: '256.1.1.1')" in reasons[bad_page]
    for url in curated:
        assert reasons[url].startswith("curated link left out: not a valid URL"), reasons
    assert len(result.problems) == 5, result.problems
