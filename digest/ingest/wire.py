"""What the fetch layer puts on the wire: the one test every URL passes before httpx sees it,
and the stored validators it sends back.

URLs come from feeds, pages, listings and issue files. One that httpx cannot parse
(``http://256.1.1.1/``, a port that is not a number, an IDNA label that does not encode) or
that the name lookup refuses (a label over 63 characters, an empty one) would otherwise
surface as an exception from deep inside a request; here it becomes a reason, reported for
that one image, page or link.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

import httpx


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be fetched as it is written, or None when it can be asked for."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:  # an IDNA error is a UnicodeError, a ValueError
        return f"not a valid URL ({exc})"
    if parsed.scheme not in ("http", "https"):
        return "not an http(s) URL"
    host = parsed.raw_host.decode("ascii", "replace")
    if not host:
        return "not a valid URL (no host)"
    if parsed.port is not None and not 0 < parsed.port < 65536:
        return f"not a valid URL (port {parsed.port} out of range)"
    try:
        ipaddress.ip_address(host.split("%")[0])
        return None
    except ValueError:
        pass
    name = host.removesuffix(".")
    if len(name) > 253 or not all(0 < len(label) < 64 for label in name.split(".")):
        return "not a valid URL (a host name has labels of 1 to 63 characters, 253 in all)"
    return None


VALIDATORS = {"etag": "If-None-Match", "last-modified": "If-Modified-Since"}
"""Each response header that validates a stored copy, and the request header that sends it back."""


def sendable(value: str) -> bool:
    """True for a header value httpx sends as it is: printable ASCII. A validator the server sent
    in another encoding could not be echoed byte for byte, so it is neither stored nor sent."""
    return value.isascii() and value.isprintable()


def conditional_headers(stored: Mapping[str, str]) -> dict[str, str]:
    """The If-None-Match / If-Modified-Since headers for a stored response's (lower-case) headers."""
    # A value stored before it was checked is skipped too: one bad ETag must not break every run.
    return {request: value for name, request in VALIDATORS.items()
            if (value := stored.get(name, "")) and sendable(value)}
