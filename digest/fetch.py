"""The only module that touches the network."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from digest import __version__
from digest.errors import SourceError

log = logging.getLogger(__name__)

USER_AGENT = f"digest/{__version__} (monthly digest publisher; +https://pypi.org/project/digest/)"
TIMEOUT = httpx.Timeout(connect=10.0, read=30.0, write=10.0, pool=10.0)
MAX_BYTES = 20 * 1024 * 1024
MAX_REDIRECTS = 5


@dataclass(frozen=True)
class Response:
    url: str
    """Final URL after redirects."""
    body: bytes
    headers: dict[str, str]


def fetch(url: str, *, max_bytes: int = MAX_BYTES) -> Response:
    """GET ``url``; raise SourceError naming the URL on any failure."""
    log.debug("GET %s", url)
    try:
        with httpx.Client(timeout=TIMEOUT, follow_redirects=True, max_redirects=MAX_REDIRECTS,
                          headers={"User-Agent": USER_AGENT}) as client:
            with client.stream("GET", url) as response:
                if response.status_code >= 400:
                    raise SourceError(url, f"HTTP {response.status_code}")
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise SourceError(url, f"response larger than {max_bytes} bytes")
                    chunks.append(chunk)
                return Response(str(response.url), b"".join(chunks), dict(response.headers))
    except httpx.TooManyRedirects:
        raise SourceError(url, f"more than {MAX_REDIRECTS} redirects") from None
    except httpx.HTTPError as exc:
        raise SourceError(url, f"{type(exc).__name__}: {exc}") from None
