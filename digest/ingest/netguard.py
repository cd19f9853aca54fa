"""Which addresses the fetch layer may connect to.

URLs come from feeds, pages and listings that anyone may write; without a guard an entry
linking to ``http://127.0.0.1:8080/admin`` or ``http://169.254.169.254/`` (a cloud's
metadata service) would have its text fetched into the book. So every connection first
resolves the host, refuses it if any of its addresses is loopback, private, link-local,
multicast or otherwise not public, and then connects to the very address it checked: a
second lookup (DNS rebinding) never happens. Redirects open new connections, so every
hop is checked the same way.

A source that really lives on such an address (an intranet feed, a test server) is named
in the config, ``[fetch] allow_private_hosts``, as ``host``, ``host:port`` or a URL; ``localhost``
and the loopback addresses it resolves to are one host there (``digest.core.urls.private_host``).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import httpcore
import httpx

from digest.core.errors import SourceError
from digest.core.urls import host_entry, private_host

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


def _resolve(name: str, port: int) -> list[Address]:
    found = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found))


def needed_opt_in(url: str) -> str:
    """The ``allow_private_hosts`` entry ``url`` needs (its host, and port if it names one), or ''
    when its host is public or does not resolve (then the fetch says why)."""
    try:
        parts = urlsplit(url)
        port = parts.port
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return ""
        addresses = _resolve(parts.hostname or "", port or 443)
    except (OSError, ValueError, UnicodeError):
        return ""
    if any(non_public_kind(address) for address in addresses):
        return host_entry((parts.hostname or "").lower(), port)
    return ""


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's network backend with the address check between the lookup and the connect."""

    def __init__(self, allowed: Iterable[str] = ()):
        self.allowed = frozenset(parsed for entry in allowed if (parsed := private_host(entry)))

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options=None) -> httpcore.NetworkStream:
        name = host.lower().strip("[]")
        key = private_host(host_entry(name, None))
        if key and ({(key[0], None), (key[0], port)} & self.allowed):
            return super().connect_tcp(host, port, timeout, local_address, socket_options)
        try:
            addresses = _resolve(name, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {name}: {exc}") from exc
        for address in addresses:
            if kind := non_public_kind(address):
                raise RefusedAddress(host_entry(name, port), f"resolves to {address}, a {kind} address: digest only "
                                     f"fetches from public addresses; to trust this one, add "
                                     f"\"{host_entry(name, port)}\" to [fetch] allow_private_hosts")
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
