"""How the fetcher behaves: its timeouts, retries, limits and manners (digest.ingest.fetch)."""

from __future__ import annotations

from dataclasses import dataclass

from digest import __version__

USER_AGENT = f"digest/{__version__} (monthly digest publisher for Kindle; python-httpx)"


@dataclass(frozen=True)
class FetchPolicy:
    connect_timeout: float = 10.0
    """Seconds to wait for a TCP/TLS connection."""
    read_timeout: float = 20.0
    """Seconds to wait for the next bytes of a response."""
    total_timeout: float = 60.0
    """Seconds one URL may take in all: connect, headers, body, retries and their waits (a server
    dripping bytes cannot hold us forever)."""
    retries: int = 2
    """Extra attempts after a connection error, a 5xx or a 429."""
    backoff: float = 1.0
    """First retry delay in seconds; doubles on each retry."""
    max_retry_after: float = 30.0
    """Longest Retry-After we honour; a longer one fails the request at once."""
    max_redirects: int = 5
    max_bytes: int = 20 * 1024 * 1024
    """Largest decoded body accepted."""
    per_host: int = 2
    """Concurrent requests to one host."""
    workers: int = 8
    """Concurrent requests in all."""
    user_agent: str = USER_AGENT
    allow_private_hosts: tuple[str, ...] = ()
    """Hosts (``host`` or ``host:port``) that may resolve to loopback or private addresses (see netguard)."""
    dead_link_days: float = 7.0
    """A URL that answered 404 or 410 is not asked again for this long."""
    unreachable_days: float = 1.0
    """A host that does not resolve or refuses connections is not asked again for this long."""
    breaker: int = 3
    """Failures in a row (after retries) after which a host is skipped for the rest of the run."""
