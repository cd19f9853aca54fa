"""A real HTTP server on 127.0.0.1 for fetch tests, with per-path canned or computed responses."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


Route = Reply | Callable[[BaseHTTPRequestHandler], Reply | None]


def held(until: threading.Event, reply: Reply, seconds: float = 20) -> Route:
    """A route that answers ``reply`` only once ``until`` is set (or after ``seconds``): a slow host."""

    def handler(_: BaseHTTPRequestHandler) -> Reply:
        until.wait(seconds)
        return reply

    return handler


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-reply (digest refusing a body at its cap) is what the tests
    provoke, not a server error: no traceback for it in the test output."""

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class LoopbackServer:
    """Serve ``routes`` (path -> Reply or handler). A handler returning None wrote its own reply."""

    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (http.server API)
                server.requests.append((self.path, dict(self.headers)))
                route = server.routes.get(self.path.split("?")[0])
                reply = Reply(404, b"not found") if route is None else (
                    route if isinstance(route, Reply) else route(self))
                if reply is None:
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, *args):
                pass

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def host(self) -> str:
        """``host:port``: what a config's ``[fetch] allow_private_hosts`` names to let digest fetch from here."""
        return f"127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
