"""Fault injection: misbehaving servers and hostile inputs, each through a real build_issue.

A loopback server plays two blogs. "Good" carries one full article with an image at
/img/hostile; "Bad" is a summary-only feed (/bad.xml) whose article page is /bad-page.html.
Each case replaces one of those with something hostile. Every build must finish within a
bound (run in a thread, joined with a timeout: hang-freedom, not speed), report the failure,
keep the hostile input out of the EPUB and write nothing outside its output and store.
"""

from __future__ import annotations

import gzip
import html
import io
import os
import socket
import struct
import threading
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image

from digest.core.configfile import load_config
from digest.core.month import Month
from digest.pipeline import build_issue
from factory import write_publication
from loopback import LoopbackServer, Reply

pytestmark = pytest.mark.slow  # a whole build per case, EPUBCheck included, some waiting out timeouts
BOUND = 90  # seconds; the slowest case (retries, timeouts, EPUBCheck) needs about a tenth of it
PASSWD = Path("/etc/passwd").read_text().splitlines()[0] if Path("/etc/passwd").exists() else "root:x:0:0"


def png(size=(400, 300)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def rss(items: str, encoding: str = "utf-8", doctype: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="{encoding}"?>\n{doctype}<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Blog</title>'
            f"<link>http://example.org/</link><language>en</language>{items}</channel></rss>").encode(encoding)


def item(title: str, link: str, guid: str, content: str = "", day: int = 10) -> str:
    encoded = f"<content:encoded><![CDATA[{content}]]></content:encoded>" if content else ""
    return (f"<item><title>{title}</title><link>{link}</link><guid>{guid}</guid>"
            f"<pubDate>Wed, {day} Jan 2018 10:00:00 GMT</pubDate><description>A summary [&#8230;]</description>"
            f"{encoded}</item>")


GOOD_TEXT = "Backpressure keeps a fast producer from drowning a slow consumer. " * 20
PAGE = (b"<!DOCTYPE html><html><head><title>Bad blog post</title></head><body><article><h1>Bad blog post</h1>"
        + b"<p>" + b"The page text of the bad blog, long enough to be an article. " * 20 + b"</p></article></body></html>")


def xml_reply(body: bytes, ctype: str = "application/rss+xml") -> Reply:
    return Reply(200, body, {"Content-Type": ctype})


# --- misbehaving handlers -------------------------------------------------------------------


def never_answer(handler) -> None:
    time.sleep(4)  # longer than the 1 s timeout; then hang up without a word


def drip(handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/rss+xml")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    for byte in b"<?xml version='1.0'?><rss><channel>":
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()
        time.sleep(1.5)  # each byte comes after the read timeout has passed


def reset(handler) -> None:
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()  # RST instead of an answer
    handler.close_connection = True


def truncated(handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/rss+xml")
    handler.send_header("Content-Length", "5000")
    handler.end_headers()
    handler.wfile.write(b"<?xml version='1.0'?><rss><channel><title>cut")
    handler.wfile.flush()
    handler.close_connection = True


def redirect_loop(handler) -> Reply:
    return Reply(302, b"", {"Location": "/bad.xml?again"})


def gzip_bomb() -> Reply:
    return Reply(200, gzip.compress(b"<rss>" + b" " * 60_000_000, 9),
                 {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"})


def png_bomb() -> bytes:
    """A valid PNG header declaring 100000x100000 pixels (40 GB decoded) with a tiny body."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) \
        + chunk(b"IEND", b"")


BILLION_LAUGHS = ('<!DOCTYPE rss [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
                  + "]>\n")
XXE = '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
# The entity cases are well-formed feeds, so nothing is reported: the entry is kept with its
# entity reference as literal text, never expanded (no file read, no exponential blow-up).
UNEXPANDED = {"xxe": "Leak &xxe;", "billion-laughs": "Laugh &lol9;"}

# name -> (route, reply or handler, substring of a reported problem or None when the build must
# report nothing, strings that must not reach the book)
CASES = {
    "timeout": ("/bad.xml", never_answer, "timed out", ()),
    "slow-drip": ("/bad.xml", drip, "timed out", ()),
    "connection-reset": ("/bad.xml", reset, "/bad.xml", ()),
    "http-500": ("/bad.xml", Reply(500, b"boom"), "HTTP 500", ("boom",)),
    "http-503": ("/bad.xml", Reply(503, b"down", {"Retry-After": "0"}), "HTTP 503", ()),
    "http-429-retry-after": ("/bad.xml", Reply(429, b"", {"Retry-After": "1"}), "HTTP 429", ()),
    "http-429-retry-after-too-long": ("/bad.xml", Reply(429, b"", {"Retry-After": "86400"}), "too long", ()),
    "redirect-loop": ("/bad.xml", redirect_loop, "redirects", ()),
    "wrong-content-type-image": ("/img/hostile", Reply(200, PAGE, {"Content-Type": "image/png"}), "not an image", ()),
    "wrong-content-type-page": ("/bad-page.html", Reply(200, png(), {"Content-Type": "text/html"}), "not an HTML page", ()),
    "truncated-body": ("/bad.xml", truncated, "/bad.xml", ("cut",)),
    "over-size-cap": ("/bad.xml", xml_reply(rss(item("Huge", "/x", "h", "<p>" + "x" * 300_000 + "</p>"))), "cap", ("Huge",)),
    "gzip-bomb": ("/bad.xml", gzip_bomb(), "cap", ()),
    "malformed-xml": ("/bad.xml", xml_reply(b"<?xml version='1.0'?><rss><channel><item><title>Half</ti"), "/bad.xml",
                      ("Half",)),
    "xxe": ("/bad.xml", xml_reply(rss(item(UNEXPANDED["xxe"], "/bad-page.html", "x1"), doctype=XXE)), None,
            (PASSWD, "root:x:0")),
    "billion-laughs": ("/bad.xml", xml_reply(rss(item(UNEXPANDED["billion-laughs"], "/bad-page.html", "l1"),
                                                 doctype=BILLION_LAUGHS)), None, ("lollollol",)),
    "zero-byte-image": ("/img/hostile", Reply(200, b"", {"Content-Type": "image/png"}), "empty image", ()),
    "corrupt-image": ("/img/hostile", Reply(200, png()[:200], {"Content-Type": "image/png"}), "unreadable image", ()),
    "decompression-bomb": ("/img/hostile", Reply(200, png_bomb(), {"Content-Type": "image/png"}), "decompression bomb", ()),
    "svg-with-script": ("/img/hostile", Reply(200, b'<svg xmlns="http://www.w3.org/2000/svg"><script>stealCookies()'
                                            b'</script></svg>', {"Content-Type": "image/svg+xml"}), "SVG", ("stealCookies",)),
}


def routes(server: LoopbackServer) -> dict:
    good = item("Good post", server.url("/good.html"), "g1",
                f'<p>{GOOD_TEXT}</p><p><img src="{server.url("/img/hostile")}" alt="Hostile picture"></p>')
    return {
        "/good.xml": xml_reply(rss(good)),
        "/bad.xml": xml_reply(rss(item("Bad blog post", server.url("/bad-page.html"), "b1", day=12))),
        "/bad-page.html": Reply(200, PAGE, {"Content-Type": "text/html; charset=utf-8"}),
        "/img/hostile": Reply(200, png(), {"Content-Type": "image/png"}),
    }


def write_config(root: Path, server: LoopbackServer, max_mb: float = 0.2) -> Path:
    return write_publication(
        root, publication={"title": "Fault Monthly", "slug": "faults"},
        sources=[{"name": "Good", "url": server.url("/good.xml"), "section": "main"},
                 {"name": "Bad", "url": server.url("/bad.xml"), "section": "main", "summary_only": True}],
        fetch={"retries": 1, "timeout": 1, "max_mb": max_mb,
               "allow_private_hosts": [server.host]}, output={"dir": "out"},
        store={"path": "state/digest.sqlite3", "private": "state/digest-private.sqlite3"},
        cache={"path": "state/digest-cache.sqlite3"})


def snapshot(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def bounded_build(config_path: Path):
    """build_issue in a thread; fails the test if it has not returned within BOUND seconds."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = build_issue(load_config(config_path), Month(2018, 1))
        except BaseException as exc:  # noqa: BLE001 (re-raised in the test thread)
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(BOUND)
    assert not thread.is_alive(), f"build still running after {BOUND} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def book_text(epub: Path) -> str:
    with zipfile.ZipFile(epub) as book:
        return "\n".join(book.read(n).decode("utf-8", "replace") for n in book.namelist()
                         if n.endswith((".xhtml", ".opf", ".ncx", ".css")))


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """An empty project folder and an empty current directory, to catch stray writes."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    root = tmp_path / "project"
    root.mkdir()
    return root, cwd


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_input_is_contained(case, workspace):
    route, hostile, reported, forbidden = CASES[case]
    root, cwd = workspace
    with LoopbackServer() as server:
        server.routes.update(routes(server))
        server.routes[route] = hostile
        config = write_config(root, server)
        before = snapshot(root)
        result = bounded_build(config)

    reasons = "\n".join(f"{p.where}: {p.reason}" for p in result.problems)
    text = book_text(result.epub)
    if reported is None:
        assert reasons == ""
        assert UNEXPANDED[case] in [a.title for a in result.issue.articles]
        assert html.escape(UNEXPANDED[case], quote=False) in text  # the reference as written, as text
    else:
        assert reported in reasons, reasons
    assert GOOD_TEXT.split(".")[0] in text  # the healthy blog still made the issue
    for secret in forbidden:
        assert secret not in text, secret
    assert "Hostile picture" in text  # the image or, when it was dropped, its alt text
    written = snapshot(root) - before
    assert all(p.split(os.sep)[0] in ("out", "state") for p in written), written
    assert snapshot(cwd) == set()


@pytest.mark.parametrize("encoding,declared", [("windows-1252", "windows-1252"), ("iso-8859-1", "utf-8")])
def test_non_utf8_and_mislabelled_feeds_still_build(encoding, declared, workspace):
    root, cwd = workspace
    with LoopbackServer() as server:
        server.routes.update(routes(server))
        body = rss(item("Caf\u00e9 cr\u00e8me", server.url("/bad-page.html"), "e1"), encoding=encoding)
        if declared != encoding:  # the header and the XML prolog both claim UTF-8
            body = body.replace(f'encoding="{encoding}"'.encode(), b'encoding="utf-8"')
        server.routes["/bad.xml"] = xml_reply(body, f"application/rss+xml; charset={declared}")
        config = write_config(root, server)
        result = bounded_build(config)
    titles = [a.title for a in result.issue.articles]
    text = book_text(result.epub)
    if declared == encoding:
        assert "Caf\u00e9 cr\u00e8me" in titles and "Caf\u00e9 cr\u00e8me" in text
    else:  # mislabelled: either decoded by a fallback or reported, never a crash or broken XHTML
        assert any("Caf" in t for t in titles) or any("/bad.xml" in p.where for p in result.problems)
    assert snapshot(cwd) == set()
