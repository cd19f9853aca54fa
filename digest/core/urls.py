"""URL normalisation used for de-duplication and link rewriting, and the test of a link a reader may follow."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Query parameters that identify a campaign or click, never the document.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid",
    "_hsenc", "_hsmi", "mkt_tok", "ref_src", "sc_channel", "sc_campaign", "sc_medium",
    "sc_content", "sc_country", "sc_geo", "sc_outcome", "trk", "trkcampaign",
})


def is_tracking_param(name: str) -> bool:
    return name.lower().startswith("utm_") or name.lower() in TRACKING_PARAMS


def canonical_url(url: str) -> str:
    """The URL without fragment, tracking parameters, default port or case noise in the host.

    Two links to the same post from different feeds compare equal after this.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # unbalanced brackets, a port that is no number: nothing to normalise
        return url.strip()
    if parts.scheme not in ("http", "https"):
        return url.strip()
    host = (parts.hostname or "").lower()
    if port and (parts.scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k))
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), host, path, urlencode(query), ""))


def absolute_url(base: str, href: str) -> str:
    """``href`` resolved against ``base`` (the page or feed it came from)."""
    return urljoin(base, href.strip()) if base else href.strip()


# One opt-in for the loopback host however a config or a URL names it: `localhost` is
# what these addresses resolve from, and a test server is reached by either spelling.
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def private_host(entry: str) -> tuple[str, int | None] | None:
    """An ``[fetch] allow_private_hosts`` entry as (host, port or None for any), or None if invalid.

    The entry is a host (``intranet.example``), ``host:port`` (``[v6]:port``) or a URL, of
    which the host and an explicit port count. The loopback names all come back as ``localhost``.
    """
    text = entry.strip()
    try:
        parts = urlsplit(text if "://" in text else f"//{text}")
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("", "http", "https") or not parts.hostname or parts.username or parts.password:
        return None
    if "://" not in text and (parts.path or parts.query or parts.fragment):
        return None
    host = parts.hostname.lower().rstrip(".")
    if not host or any(char not in "abcdefghijklmnopqrstuvwxyz0123456789.-:" for char in host):
        return None
    return ("localhost" if host in LOOPBACK_NAMES else host), port


def host_entry(host: str, port: int | None) -> str:
    """``host`` and ``port`` written as an ``allow_private_hosts`` entry (``[::1]:8080`` for IPv6)."""
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}" if port is not None else shown
