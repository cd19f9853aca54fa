"""Serve a corpus on 127.0.0.1 like a well-behaved blog host: ETag, Last-Modified, 304s, gzip for text."""

from __future__ import annotations

import gzip
import hashlib
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.corpus import Corpus

LAST_MODIFIED = "Fri, 29 Mar 2024 12:00:00 GMT"
# 1x1 GIF: the tracking pixels the articles carry.
PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


class CorpusServer:
    """A ThreadingHTTPServer in a daemon thread; counts requests and 304s per run.

    ``mirror``: serve that server's corpus (a second host); ``delay``: seconds before each answer (a slow host).
    """

    def __init__(self, corpus: Corpus | None = None, *, mirror: CorpusServer | None = None, delay: float = 0.0):
        self._prepared: dict[str, tuple[str, bytes | None]] = {}
        self.corpus = corpus
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (http.server API)
                path = self.path.split("?")[0]
                corpus = mirror.corpus if mirror is not None else server.corpus
                found = corpus.files.get(path) if corpus else None
                if delay:
                    time.sleep(delay)
                if path == "/pixel.gif":
                    found = (PIXEL, "image/gif")
                with server._lock:
                    server.counts["requests"] += 1
                if found is None:
                    return self._reply(404, b"not found", "text/plain")
                body, ctype = found
                known = None if path == "/pixel.gif" else (mirror or server)._prepared.get(path)
                etag, gzipped = known or _prepare(body, ctype)
                if self.headers.get("If-None-Match") == etag:
                    with server._lock:
                        server.counts["not_modified"] += 1
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                extra = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
                if gzipped is not None and "gzip" in self.headers.get("Accept-Encoding", ""):
                    body, extra["Content-Encoding"] = gzipped, "gzip"
                self._reply(200, body, ctype, extra)

            def _reply(self, status: int, body: bytes, ctype: str, extra: dict | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def corpus(self) -> Corpus | None:
        return self._corpus

    @corpus.setter
    def corpus(self, corpus: Corpus | None) -> None:
        """Serve ``corpus``, each file's ETag and gzipped copy made now, before any measured run,
        as a host serving static files keeps them: hashing and compressing at each request took
        0.2 s of a cold build's CPU from the measured tool (and more from the first tool to ask)."""
        self._corpus = corpus
        files = corpus.files if corpus else {}
        self._prepared = {path: _prepare(body, ctype) for path, (body, ctype) in files.items()}

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def take_counts(self) -> Counter[str]:
        with self._lock:
            counts, self.counts = self.counts, Counter()
        return counts

    def __enter__(self) -> CorpusServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _prepare(body: bytes, ctype: str) -> tuple[str, bytes | None]:
    """A body's ETag, and its gzipped copy when it is text."""
    etag = '"%s"' % hashlib.sha1(body).hexdigest()[:16]
    return etag, None if ctype.startswith("image/") else gzip.compress(body, 5, mtime=0)


def refused_base() -> str:
    """The base URL of a loopback port nothing listens on: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"
