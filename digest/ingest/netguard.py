"""Which addresses the fetch layer may connect to.

URLs come from feeds, pages and listings that anyone may write; without a guard an entry
linking to ``http://127.0.0.1:8080/admin`` or ``http://169.254.169.254/`` (a cloud's
metadata service) would have its text fetched into the book. So every connection first
resolves the host, refuses it if any of its addresses is loopback, private, link-local,
multicast or otherwise not public, and then connects to the very address it checked: a
second lookup (DNS rebinding) never happens. Redirects open new connections, so every
hop is checked the same way.

A source that really lives on such an address (an intranet feed, a test server) is named
in the config, ``[fetch] allow_private_hosts``, as ``host`` or ``host:port``.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import httpcore
import httpx

from digest.core.errors import SourceError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedAddress(SourceError):
    """The host resolves to an address digest does not fetch from without an opt-in."""


def non_public_kind(address: Address) -> str:
    """What makes ``address`` off limits ('loopback', 'private', ...), or '' for a public address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind, test in (("loopback", address.is_loopback), ("link-local", address.is_link_local),
                       ("multicast", address.is_multicast), ("unspecified", address.is_unspecified),
                       ("reserved", address.is_reserved), ("private", address.is_private)):
        if test:
            return kind
    # Shared (carrier-grade NAT) space and the like: neither private nor global.
    return "" if address.is_global else "non-public"


def host_port(entry: str) -> tuple[str, int | None] | None:
    """``host`` or ``host:port`` (``[v6]:port``) from the config as (lower-case host, port), or None."""
    try:
        parts = urlsplit(f"//{entry.strip()}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname or parts.path or parts.query or parts.fragment or parts.username:
        return None
    return parts.hostname.lower(), port


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's network backend with the address check between the lookup and the connect."""

    def __init__(self, allowed: Iterable[str] = ()):
        self.allowed = frozenset(parsed for entry in allowed if (parsed := host_port(entry)))

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options=None) -> httpcore.NetworkStream:
        name = host.lower().strip("[]")
        if (name, None) in self.allowed or (name, port) in self.allowed:
            return super().connect_tcp(host, port, timeout, local_address, socket_options)
        try:
            found = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {name}: {exc}") from exc
        addresses = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found))
        for address in addresses:
            if kind := non_public_kind(address):
                raise RefusedAddress(f"{name}:{port}", f"resolves to {address}, a {kind} address; digest only "
                                     f"fetches from public addresses unless [fetch] allow_private_hosts "
                                     f"names the host")
        last_error: Exception | None = None
        for address in addresses:  # the checked addresses themselves, never a second lookup
            try:
                return super().connect_tcp(str(address), port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                last_error = exc
        raise last_error or httpcore.ConnectError(f"{name} has no address")


def guarded_transport(allowed: Iterable[str], limits: httpx.Limits,
                      wrap: Callable[[httpcore.NetworkBackend], httpcore.NetworkBackend] = lambda backend: backend,
                      ) -> httpx.HTTPTransport:
    """An httpx transport whose every connection goes through ``GuardedBackend`` (inside ``wrap``'s)."""
    transport = httpx.HTTPTransport(limits=limits)
    # httpx takes no network backend of its own; its connection pool does.
    transport._pool._network_backend = wrap(GuardedBackend(allowed))
    return transport
