"""SSRF: URLs from feed content, pages and listings never reach loopback, private or link-local addresses.

The check runs after name resolution and on every redirect; a source that really lives on
such an address is named in ``[fetch] allow_private_hosts``, and only that host is let through.
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import pytest
from factory import write_publication
from loopback import LoopbackServer, Reply
from test_faults import item, png, rss

from digest.core.configfile import load_config
from digest.core.errors import ConfigError, SourceError
from digest.core.month import Month
from digest.ingest.fetch import Fetcher, FetchPolicy
from digest.ingest.netguard import non_public_kind
from digest.pipeline import build_issue

SECRET = (b"<html><body><article><h1>Internal</h1><p>" + b"The admin password is hunter2. " * 40
          + b"</p></article></body></html>")
TEXT = "Idempotent consumers make retries safe. " * 30


def project(root: Path, feed: bytes, allow_private_hosts: tuple[str, ...] = ()) -> Path:
    (root / "feed.xml").write_bytes(feed)
    return write_publication(root, publication={"title": "Guarded Monthly", "slug": "guarded"},
                             sources=[{"name": "Local feed with hostile links", "url": "feed.xml", "section": "main"}],
                             fetch={"retries": 0, "timeout": 5, "allow_private_hosts": list(allow_private_hosts)},
                             output={"dir": "out"})


def hostile_feed(server: LoopbackServer) -> bytes:
    """A truncated entry whose page is on loopback, and an entry whose image is on loopback."""
    return rss(item("Looks truncated", server.url("/secret.html"), "s1", "<p>Short teaser [&#8230;]</p>", day=3)
               + item("With a picture", "https://blog.example.org/picture", "p1",
                      f'<p>{TEXT}</p><p><img src="{server.url("/secret.png")}" alt="Internal dashboard"></p>',
                      day=4))


@pytest.fixture
def server():
    with LoopbackServer() as running:
        running.routes.update({"/secret.html": Reply(200, SECRET, {"Content-Type": "text/html"}),
                               "/secret.png": Reply(200, png(), {"Content-Type": "image/png"})})
        yield running


def book_text(epub: Path) -> bytes:
    import zipfile

    with zipfile.ZipFile(epub) as book:
        return b"".join(book.read(name) for name in book.namelist())


def test_links_and_images_on_loopback_are_not_fetched(tmp_path, server):
    result = build_issue(load_config(project(tmp_path, hostile_feed(server))), Month(2018, 1))

    assert server.requests == [], "nothing may reach the loopback server"
    assert b"hunter2" not in book_text(result.epub)
    assert {a.title for a in result.issue.articles} >= {"With a picture"}
    reasons = " ".join(p.reason for p in result.problems)
    assert "a loopback address" in reasons and "allow_private_hosts" in reasons


def test_opting_in_lets_exactly_that_host_through(tmp_path, server):
    config = project(tmp_path, hostile_feed(server), (server.host,))
    result = build_issue(load_config(config), Month(2018, 1))
    assert {path for path, _ in server.requests} == {"/secret.html", "/secret.png"}
    assert b"hunter2" in book_text(result.epub)


@pytest.mark.parametrize("allowed", ["127.0.0.1:1", "localhost:1", "10.0.0.1"])
def test_an_opt_in_for_another_host_or_port_does_not_cover_this_one(server, allowed):
    with Fetcher(FetchPolicy(retries=0, allow_private_hosts=(allowed,))) as fetcher:
        with pytest.raises(SourceError, match="a loopback address"):
            fetcher.get(server.url("/secret.html"))
    assert server.requests == []


def test_every_redirect_hop_is_checked(server):
    """An allowed host cannot bounce the fetcher to a loopback service it was not allowed to reach."""
    with LoopbackServer() as inner:
        inner.routes["/admin"] = Reply(200, SECRET, {"Content-Type": "text/html"})
        server.routes["/moved"] = Reply(302, b"", {"Location": inner.url("/admin")})
        server.routes["/moved-by-name"] = Reply(302, b"", {"Location": f"http://localhost:{inner.host.split(':')[1]}/admin"})
        with Fetcher(FetchPolicy(retries=0, allow_private_hosts=(server.host,))) as fetcher:
            for path in ("/moved", "/moved-by-name"):
                with pytest.raises(SourceError, match="a loopback address"):
                    fetcher.get(server.url(path))
        assert inner.requests == []
    assert [path for path, _ in server.requests] == ["/moved", "/moved-by-name"]


def test_names_are_checked_after_resolution_and_resolved_once(server, monkeypatch):
    """A name that resolves to loopback is refused; the address checked is the one connected to."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def resolver(host, *args, **kwargs):
        lookups.append(host)
        # rebind.example answers loopback; the name itself says nothing about where it leads.
        return real("127.0.0.1" if host == "rebind.example" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    port = server.host.split(":")[1]
    with Fetcher(FetchPolicy(retries=0)) as fetcher:
        with pytest.raises(SourceError, match="rebind.example:.* resolves to 127.0.0.1, a loopback address"):
            fetcher.get(f"http://rebind.example:{port}/secret.html")
    assert lookups == ["rebind.example"]
    assert server.requests == []


@pytest.mark.parametrize("address, kind", [
    ("127.0.0.1", "loopback"), ("127.8.8.8", "loopback"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("fd00::1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"), ("0.0.0.0", "unspecified"), ("240.0.0.1", "reserved"),
    ("100.64.0.1", "non-public"), ("93.184.216.34", ""), ("2606:4700:4700::1111", ""),
])
def test_address_kinds(address, kind):
    assert non_public_kind(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("entry", ["ftp://intranet.example", "intranet.example/path", "", "a b"])
def test_opt_in_entries_are_hosts_or_http_urls(tmp_path, entry):
    with pytest.raises(ConfigError, match="fetch.allow_private_hosts: invalid value"):
        load_config(project(tmp_path, b"", (entry,)))

