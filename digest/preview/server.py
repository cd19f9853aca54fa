"""`digest preview`: serve one month's pages locally and reload the browser after every rebuild.

The pages are the ebook's own XHTML, stylesheet and cover, laid out as in the EPUB. Only
while serving does each page get a small chrome (device sizes, grayscale, downloads,
the live-reload listener and the build-error overlay); the build folder never holds it.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import shutil
import socket
import sys
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

from digest.core.errors import ConfigError
from digest.core.month import Month
from digest.core.vocabulary import FORMATS, MEDIA_TYPES
from digest.ebook.render import CONTENTS_PAGE
from digest.preview.watch import PreviewBuild, PreviewState, Watcher
from digest.publish.staging import file_stem, month_dir

log = logging.getLogger(__name__)

CHROME = "/__preview__/"
CHROME_DIR = Path(__file__).resolve().parent
KEEPALIVE_SECONDS = 15.0
IDLE_TIMEOUT_SECONDS = 30.0
"""A client that sends nothing (or takes nothing) for this long is dropped, freeing its thread."""
LISTEN_BACKLOG = 128
CONTENT_TYPES = {
    ".xhtml": "application/xhtml+xml; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".js": "text/javascript; charset=utf-8",
}


@dataclass(frozen=True)
class Device:
    id: str
    name: str
    width: int
    """Screen pixels (0: the whole browser window)."""
    height: int
    ppi: int
    """Pixels per inch; CSS assumes 96, so a 300 ppi e-ink screen is about a third as many CSS px."""

    @property
    def css_size(self) -> tuple[int, int]:
        if not self.width:
            return (0, 0)
        return (round(self.width * 96 / self.ppi), round(self.height * 96 / self.ppi))


DEVICES = (
    Device("window", "Browser window", 0, 0, 96),
    Device("paperwhite", "Kindle Paperwhite (6.8\")", 1236, 1648, 300),
    Device("oasis", "Kindle Oasis (7\")", 1264, 1680, 300),
    Device("scribe", "Kindle Scribe (10.2\")", 1860, 2480, 300),
    Device("phone", "Phone (Kindle app)", 1170, 2532, 460),
)


class Preview:
    """A running preview: the site, its watcher and the HTTP server, started and stopped together."""

    def __init__(self, config_path: Path, month: Month, *, host: str = "127.0.0.1", port: int = 0,
                 idle_timeout: float = IDLE_TIMEOUT_SECONDS):
        self.site = PreviewBuild(config_path, month)
        self.watcher = Watcher(self.site)
        try:
            self.httpd = _Server((host, port), _Handler)
        except OSError as exc:
            self.site.close()
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        self.httpd.preview = self
        self.httpd.idle_timeout = idle_timeout
        self.httpd.host_names = frozenset({host.lower().strip("[]")})
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="digest-preview-http",
                                        daemon=True)
        if not is_loopback(host):
            log.warning("serving on %s: anyone who can reach this machine can read the preview", host)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{f'[{host}]' if ':' in host else host}:{port}/"

    def start(self) -> Preview:
        """Build once, start watching, then serve (a failed first build is shown in the page)."""
        try:
            self.site.rebuild()
            self.watcher.start()
            if not self.watcher.ready.wait(timeout=30):
                log.warning("the file watcher did not start; pages will not rebuild")
            self._thread.start()
        except BaseException:  # Ctrl-C during the first build: leave no temporary folder behind
            self.stop()
            raise
        return self

    def wait(self) -> None:
        """Block until interrupted (Ctrl-C)."""
        self._thread.join()

    def stop(self) -> None:
        self.watcher.stop()
        self.site.close()
        if self._thread.is_alive():
            self.httpd.shutdown()
        self.httpd.server_close()
        if self.watcher.is_alive():
            self.watcher.join(timeout=10)

    def __enter__(self) -> Preview:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The name in a Host header, without its port or IPv6 brackets, lower-case."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].partition("]")[0]
    return header.partition(":")[0] if header.count(":") == 1 else header


def safe_parts(target: str) -> tuple[str, ...] | None:
    """The path segments of a request target, or None for anything that could leave the folder."""
    path = unquote(target.split("?", 1)[0].split("#", 1)[0])
    if not path.startswith("/") or "\x00" in path or "\\" in path:
        return None
    parts = tuple(path[1:].split("/"))
    # Empty segments ('//etc'), '.', '..' and hidden files are never part of a built site.
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return None
    return parts


def read_inside(root: Path, parts: tuple[str, ...]) -> bytes | None:
    """A regular file's bytes if, with every symlink resolved, it lies inside ``root``."""
    try:
        real = root.joinpath(*parts).resolve(strict=True)
        if real.is_relative_to(root.resolve()) and real.is_file():
            return real.read_bytes()
    except (OSError, RuntimeError):
        pass
    return None


def inject_chrome(xhtml: bytes, generation: int) -> bytes:
    chrome = (f'<meta name="digest-preview-generation" content="{generation}"/>'
              f'<link rel="stylesheet" type="text/css" href="{CHROME}chrome.css"/>'
              f'<script type="text/javascript" src="{CHROME}chrome.js"></script>').encode()
    return xhtml.replace(b"</head>", chrome + b"</head>", 1)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # A burst of reloads (every tab, every image) must not wait for the default 5 slots.
    request_queue_size = LISTEN_BACKLOG
    preview: Preview
    idle_timeout: float
    host_names: frozenset[str]
    """Names besides loopback a request's Host header may carry: the address given to listen on."""

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)

    def handle_error(self, request, client_address) -> None:
        # A reader closing the tab mid-download is routine, not worth a traceback.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            log.debug("client %s went away", client_address[0])
            return
        log.exception("error while serving %s", client_address[0])


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "digest-preview"

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.idle_timeout)

    def do_GET(self) -> None:
        if not self._host_allowed():
            return self._send(HTTPStatus.FORBIDDEN, "text/plain; charset=utf-8", b"unknown host\n")
        path = self.path.split("?", 1)[0]
        if path == "/":
            return self._redirect(CONTENTS_PAGE)
        if path == f"{CHROME}events":
            return self._events()
        if path.startswith(f"{CHROME}download/"):
            return self._download(path.removeprefix(f"{CHROME}download/"))
        if path in (f"{CHROME}chrome.js", f"{CHROME}chrome.css"):
            return self._chrome_file(path.removeprefix(CHROME))
        self._page()

    def _host_allowed(self) -> bool:
        """Only requests addressed to this machine by a loopback name or the listening address.

        A web page can point a name it controls at 127.0.0.1 (DNS rebinding) and read the
        preview from the browser; its requests still carry that name in Host.
        """
        name = host_name(self.headers.get("Host", ""))
        return is_loopback(name) or name in self.server.host_names

    def _page(self) -> None:
        parts = safe_parts(self.path)
        if parts is None:
            return self._not_found()
        with self.server.preview.site.current() as (root, state):
            body = read_inside(root, parts) if root is not None else None
        if root is None:
            return self._send(HTTPStatus.SERVICE_UNAVAILABLE, CONTENT_TYPES[".xhtml"], _no_build_page(state))
        if body is None:
            return self._not_found()
        suffix = Path(parts[-1]).suffix
        if suffix == ".xhtml":
            body = inject_chrome(body, state.generation)
        self._send(HTTPStatus.OK, CONTENT_TYPES.get(suffix, "application/octet-stream"), body)

    def _chrome_file(self, name: str) -> None:
        body = (CHROME_DIR / f"preview_{name}").read_bytes()
        if name.endswith(".js"):
            devices = [{"id": d.id, "name": d.name, "width": d.css_size[0], "height": d.css_size[1]}
                       for d in DEVICES]
            body = body.replace(b"[/*DEVICES*/]", json.dumps(devices).encode())
        self._send(HTTPStatus.OK, CONTENT_TYPES[Path(name).suffix], body)

    def _events(self) -> None:
        """Server-Sent Events: the build state now, then on every change, with keep-alives."""
        site = self.server.preview.site
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = -1
        try:
            self.wfile.write(b"retry: 1000\n\n")
            while (state := site.wait_for_change(seen, KEEPALIVE_SECONDS)) is not None:
                if state.version == seen:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    seen = state.version
                    self.wfile.write(f"data: {json.dumps(self._describe(state))}\n\n".encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _describe(self, state: PreviewState) -> dict:
        available = [fmt for fmt in FORMATS if self._ebook(fmt).is_file()]
        return {"generation": state.generation, "error": state.error,
                "pages": [list(page) for page in state.pages],
                "downloads": {fmt: f"{CHROME}download/{fmt}" for fmt in available}}

    def _ebook(self, fmt: str) -> Path:
        site = self.server.preview.site
        return month_dir(site.config, site.month) / f"{file_stem(site.config, site.month)}.{fmt}"

    def _download(self, fmt: str) -> None:
        if fmt not in FORMATS or not (path := self._ebook(fmt)).is_file():
            return self._not_found()
        with path.open("rb") as file:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", MEDIA_TYPES[fmt])
            self.send_header("Content-Length", str(path.stat().st_size))
            self.send_header("Content-Disposition", f'attachment; filename="{path.name}"')
            self.end_headers()
            try:
                shutil.copyfileobj(file, self.wfile)
            except ConnectionError:
                log.debug("download of %s cancelled", path.name)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.FOUND)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _not_found(self) -> None:
        self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found\n")

    def _send(self, status: HTTPStatus, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        log.debug("%s " + format, self.address_string(), *args)


def _no_build_page(state: PreviewState) -> bytes:
    """Shown until a first build succeeds; the chrome's overlay carries the error."""
    page = ('<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
            '<head><title>No build yet</title></head><body><h1>No successful build yet</h1>'
            '<p>Fix the error and save; this page reloads by itself.</p></body></html>')
    return inject_chrome(page.encode(), state.generation)
