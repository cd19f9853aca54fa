"""What the fetch layer puts on the wire: the one test every URL passes before httpx sees it,
and the stored validators it sends back; and how long a server's Retry-After asks it to wait.

URLs come from feeds, pages, listings and issue files. One that httpx cannot parse
(``http://256.1.1.1/``, a port that is not a number, an IDNA label that does not encode) or
that the name lookup refuses (a label over 63 characters, an empty one) would otherwise
surface as an exception from deep inside a request; here it becomes a reason, reported for
that one image, page or link.
"""

from __future__ import annotations

import email.utils
import functools
import ipaddress
from collections.abc import Mapping
from datetime import datetime, timezone

import httpx


@functools.lru_cache(maxsize=4096)  # asked before the store and before the wire, per URL
def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be fetched as it is written, or None when it can be asked for."""
    try:
        parsed = httpx.Request("GET", url).url  # as the client builds it: the host decoded from IDNA too
    except (httpx.InvalidURL, ValueError) as exc:  # an IDNA error is a UnicodeError, a ValueError
        return f"not a valid URL ({exc})"
    if parsed.scheme not in ("http", "https"):
        return "not an http(s) URL"
    host = parsed.raw_host.decode("ascii", "replace")
    if not host:
        return "not a valid URL (no host)"
    if parsed.port is not None and not 0 < parsed.port < 65536:
        return f"not a valid URL (port {parsed.port} out of range)"
    if ":" in host:  # an IPv6 literal: a host name cannot hold a colon
        try:
            ipaddress.IPv6Address(host.split("%")[0])
        except ValueError:
            return f"not a valid URL (IPv6 address {host!r})"
        return None
    name = host.removesuffix(".")
    if len(name) > 253 or not all(0 < len(label) < 64 for label in name.split(".")):
        return "not a valid URL (a host name has labels of 1 to 63 characters, 253 in all)"
    return None


class BadRedirect(Exception):
    """A redirect to a URL that fails ``url_problem``; the message says where it led."""


def check_redirect(response: httpx.Response) -> None:
    """An httpx response hook: a redirect's target passes url_problem before httpx builds the
    request for it (which would raise from deep inside the client)."""
    if not response.has_redirect_location:
        return
    try:
        target = str(response.url.join(response.headers["location"]))
    except (httpx.InvalidURL, ValueError) as exc:
        raise BadRedirect(f"redirected to an invalid URL ({exc})") from None
    if problem := url_problem(target):
        raise BadRedirect(f"redirected to {target}: {problem}")


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


def retry_after(value: str | None, default: float) -> float:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return default
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
