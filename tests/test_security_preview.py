"""The preview server facing a hostile browser or network: Host checks, dropped and idle clients, signals, IPv6."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from digest.core.month import Month
from digest.preview.server import Preview, is_loopback

SECRET = "the-secret-beside-the-build-folder"
PROJECT_SECRET = "digest-project-secret-do-not-serve"


def copy_project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    toml = (ROOT / "digest.toml").read_text(encoding="utf-8")
    (root / "digest.toml").write_text(toml.replace('formats = ["epub", "azw3", "mobi"]', 'formats = ["epub"]'),
                                      encoding="utf-8")
    for folder in ("issues", "assets/sample-feeds", "assets/sample-documents"):
        shutil.copytree(ROOT / folder, root / folder)
    (root / "secret.txt").write_text(PROJECT_SECRET)
    return root / "digest.toml"


@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    config = copy_project(tmp_path_factory.mktemp("project"))
    temp = tmp_path_factory.mktemp("temp")
    # A file beside the build folder (which is made in the temporary folder): never to be served.
    (temp / "secret.txt").write_text(SECRET)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", str(temp))
        with Preview(config, Month(2018, 1), idle_timeout=2.0) as running:
            assert running.site.root is not None and running.site.root.parent == temp
            yield running


def exchange(preview: Preview, method: str, target: str, host: str | None) -> tuple[int, bytes]:
    """One raw request (nothing normalised), the status and the whole reply."""
    address = preview.httpd.server_address[:2]
    with socket.create_connection(address, timeout=30) as client:
        head = f"{method} {target} HTTP/1.1\r\n" + (f"Host: {host}\r\n" if host is not None else "")
        client.sendall(head.encode("utf-8", "surrogateescape") + b"Connection: close\r\n\r\n")
        reply = b""
        while chunk := client.recv(65536):
            reply += chunk
    match = re.match(rb"HTTP/1\.[01] (\d{3})", reply)
    return (int(match.group(1)) if match else 0), reply


def port(preview: Preview) -> int:
    return preview.httpd.server_address[1]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1.nip.io:{port}", "10.0.0.1",
                                  "localhost.evil.example", "", None])
def test_foreign_host_names_get_nothing(preview, host):
    status, reply = exchange(preview, "GET", "/contents.xhtml", host and host.format(port=port(preview)))
    assert status == 403 and b"<html" not in reply


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST", "127.0.0.2", "[::1]:{port}"])
def test_loopback_names_get_the_pages(preview, host):
    status, reply = exchange(preview, "GET", "/contents.xhtml", host.format(port=port(preview)))
    assert status == 200 and b"In this issue" in reply


def test_downloads_also_need_a_loopback_host(preview):
    assert exchange(preview, "GET", "/__preview__/download/epub", "rebound.example")[0] == 403
    # Nothing is published in this project, so a loopback request reaches the download and finds none.
    assert exchange(preview, "GET", "/__preview__/download/epub", f"localhost:{port(preview)}")[0] == 404


def reset(client: socket.socket) -> None:
    """Close with a TCP reset, as a browser tab killed mid-request does."""
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()


def test_dropped_clients_leave_no_traceback(preview, capfd):
    address = preview.httpd.server_address[:2]
    for target in ["/contents.xhtml", "/__preview__/download/epub", "/__preview__/chrome.js"] * 30:
        client = socket.create_connection(address, timeout=30)
        client.sendall(f"GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        reset(client)
    assert exchange(preview, "GET", "/contents.xhtml", "localhost")[0] == 200
    time.sleep(0.5)  # let the handler threads of the reset connections finish writing
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err and "BrokenPipe" not in captured.err


def test_an_idle_client_is_disconnected(preview):
    address = preview.httpd.server_address[:2]
    with socket.create_connection(address, timeout=60) as silent, \
            socket.create_connection(address, timeout=60) as slow:
        slow.sendall(b"GET /contents.xhtml HT")  # and never the rest
        assert silent.recv(1024) == b""  # closed by the server, long before our own 60 s
        assert slow.recv(1024) == b""
    assert exchange(preview, "GET", "/contents.xhtml", "localhost")[0] == 200


def listen_backlog(port: int) -> int:
    """The accept queue's length of a listening socket, as the kernel reports it (ss: Send-Q)."""
    out = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
    return int(out.split()[2])


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs ss (iproute2) to read the listen backlog")
def test_a_burst_of_clients_is_queued_not_refused(preview):
    assert listen_backlog(port(preview)) >= 128


def test_ipv6_loopback(tmp_path):
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    config = copy_project(tmp_path)
    try:
        running = Preview(config, Month(2018, 1), host="::1")
    except Exception as exc:  # noqa: BLE001 - a machine without an IPv6 loopback
        pytest.skip(f"no IPv6 loopback: {exc}")
    with running:
        assert running.url == f"http://[::1]:{running.httpd.server_address[1]}/"
        with socket.create_connection(("::1", running.httpd.server_address[1]), timeout=30) as client:
            client.sendall(b"GET /contents.xhtml HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n")
            reply = b""
            while chunk := client.recv(65536):
                reply += chunk
    assert reply.startswith(b"HTTP/1.0 200") and b"In this issue" in reply


def test_sigterm_removes_the_temporary_build_folder(tmp_path):
    config = copy_project(tmp_path / "project")
    temp = tmp_path / "temp"
    temp.mkdir()
    process = subprocess.Popen([sys.executable, "-m", "digest", "preview", "--config", str(config),
                                "--month", "2018-01", "--port", "0"],
                               env={**os.environ, "TMPDIR": str(temp)}, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        line = process.stdout.readline()  # "Previewing January 2018 at http://...": built and serving
        assert line.startswith("Previewing"), line + process.stdout.read()
        assert any(p.name.startswith("digest-preview-") for p in temp.iterdir())
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=60)[0]
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 128 + signal.SIGTERM
    assert "Traceback" not in output
    assert list(temp.iterdir()) == []


LOOPBACK_HOSTS = st.sampled_from(["localhost", "127.0.0.1", "127.1.2.3", "[::1]", "LocalHost"])
TARGETS = st.one_of(
    st.sampled_from(["/", "/contents.xhtml", "/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt",
                     "//secret.txt", "/%2F..%2Fsecret.txt", "/./contents.xhtml", "/images/../../secret.txt",
                     "/..\\secret.txt", "/%00", "/__preview__/../../secret.txt", "/__preview__/download/../../..",
                     "/__preview__/download/epub", "/__preview__/chrome.js", "/etc/passwd", "/../../../../etc/passwd",
                     "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "http://evil.example/", "*"]),
    st.text(st.characters(codec="utf-8", exclude_characters="\r\n ", exclude_categories=("Cs",)), max_size=60)
    .map(lambda tail: "/" + tail),
)
HOSTS = st.one_of(LOOPBACK_HOSTS, st.text(st.characters(codec="utf-8", exclude_characters="\r\n",
                                                        exclude_categories=("Cs",)), max_size=40))
METHODS = st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "get"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=METHODS, target=TARGETS, host=HOSTS, with_port=st.booleans())
def test_random_requests_never_leak_and_never_stop_the_server(preview, method, target, host, with_port):
    if target.startswith("/__preview__/events"):
        return  # the live-reload stream never ends by design
    header = f"{host}:{port(preview)}" if with_port else host
    status, reply = exchange(preview, method, target, header)

    assert SECRET.encode() not in reply and PROJECT_SECRET.encode() not in reply and b"root:x:0:0" not in reply
    if status == 200:
        assert is_loopback(host.strip().lower().strip("[]")), (header, target)
    # Whatever came before, the server still answers a plain request.
    assert exchange(preview, "GET", "/contents.xhtml", "localhost")[0] == 200
