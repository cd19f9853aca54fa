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
import queue
import socket
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from urllib.parse import urlsplit

import httpcore
import httpx

from digest.core.errors import SourceError
from digest.core.urls import host_entry, private_host

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# Lookups run ahead of need at most this many at a time (each thread mostly waits on the resolver).
AHEAD_THREADS = 16


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


class HostLookups:
    """Each host name looked up once per fetcher, its addresses or its failure kept for the run.

    A resolver that drops a query costs glibc a 5 s timeout (its parallel A and AAAA queries
    lose one now and then behind NAT, as in many containers and CI runners). On the bench's
    real pages, whose image hosts do not resolve, up to one lookup in four did (it varies with
    the resolver's load), and the images of such hosts held the image workers meanwhile: up to
    16 s of a build spent idle. Requests
    asking for a name at once share its one lookup, and ``ahead`` starts lookups before the
    requests need them, so those waits overlap each other and the work before them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: dict[str, Future[list[Address]]] = {}
        self._started: set[str] = set()
        self._waiting: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._threads = 0

    def addresses(self, name: str, port: int) -> list[Address]:
        """The addresses ``name`` resolves to; raises what the lookup raised (OSError when it does not resolve)."""
        return self._look_up(name, port).result()

    def ahead(self, names: Iterable[str]) -> None:
        """Start looking up ``names`` in the background (daemon threads: a lookup hung in the
        resolver never holds up the end of the process)."""
        with self._lock:
            new = [name for name in dict.fromkeys(names) if name not in self._answers]
            for name in new:
                self._answers[name] = Future()
                self._waiting.put(name)
            starting = min(AHEAD_THREADS - self._threads, len(new))
            self._threads += starting
        for _ in range(starting):
            threading.Thread(target=self._work_ahead, name="lookups", daemon=True).start()

    def _work_ahead(self) -> None:
        while True:
            try:
                name = self._waiting.get_nowait()
            except queue.Empty:
                with self._lock:
                    if self._waiting.empty():
                        self._threads -= 1
                        return
                continue
            self._look_up(name, 0)

    def _look_up(self, name: str, port: int) -> Future[list[Address]]:
        """The lookup of ``name``, run here unless another thread has started it already."""
        with self._lock:
            answer = self._answers.setdefault(name, Future())
            mine = name not in self._started
            self._started.add(name)
        if mine:
            try:
                answer.set_result(_resolve(name, port))
            except Exception as exc:  # kept for every request of the run, as the lookup's answer
                answer.set_exception(exc)
        return answer


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's network backend with the address check between the lookup and the connect."""

    def __init__(self, allowed: Iterable[str] = (), lookups: HostLookups | None = None):
        self.allowed = frozenset(parsed for entry in allowed if (parsed := private_host(entry)))
        self.lookups = lookups or HostLookups()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options=None) -> httpcore.NetworkStream:
        name = host.lower().strip("[]")
        key = private_host(host_entry(name, None))
        if key and ({(key[0], None), (key[0], port)} & self.allowed):
            return super().connect_tcp(host, port, timeout, local_address, socket_options)
        try:
            addresses = self.lookups.addresses(name, port)
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
                      lookups: HostLookups | None = None) -> httpx.HTTPTransport:
    """An httpx transport whose every connection goes through ``GuardedBackend`` (inside ``wrap``'s)."""
    transport = httpx.HTTPTransport(limits=limits)
    # httpx takes no network backend of its own; its connection pool does.
    transport._pool._network_backend = wrap(GuardedBackend(allowed, lookups))
    return transport
