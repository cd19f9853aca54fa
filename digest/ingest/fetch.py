"""The only module that touches the network.

One ``Fetcher`` per run: real timeouts (feedparser has none) and one deadline per URL over
connect, headers, body and retries (``deadline``; SIGTERM and Ctrl-C stop every fetch within
a fraction of a second), retries with backoff on connection errors, 5xx and 429 (honouring
Retry-After), bounded redirects followed here (so no redirect body is ever decoded), a size
cap on the body decoded step by step (``bodyread``: a gzip or brotli bomb stops at the cap,
not after a whole network read), a per-host limit on concurrent requests, no connection to
a non-public address unless the config allows the host (``netguard``: checked after name
resolution and on every redirect), and conditional GET against the store's validators so
an unchanged feed costs one 304. Every URL, redirects included, passes ``url_problem``
before httpx sees it. Failures are remembered (digest.ingest.failures): a dead link is not
asked again for a while, an unreachable host not retried, and a host that keeps failing is
skipped for the rest of the run. Every request passes ``_admit`` first.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol, TypeVar
from urllib.parse import urlsplit

import httpx

from digest.core.errors import SourceError
from digest.core.progress import progress
from digest.core.vocabulary import size_text
from digest.ingest.bodyread import read_body
from digest.ingest.deadline import Clock, DeadlineBackend, stop_on_signals
from digest.ingest.failures import (
    GONE_STATUSES,
    HOST_KEY,
    DeadLink,
    FailureMemory,
    RunFailures,
    host_of,
    unreachable_reason,
)
from digest.ingest.fetchpolicy import FetchPolicy
from digest.ingest.netguard import HostLookups, guarded_transport
from digest.ingest.wire import BadRedirect, check_redirect, conditional_headers, retry_after, url_problem

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
T = TypeVar("T")


@dataclass(frozen=True)
class Response:
    url: str
    """The URL asked for."""
    final_url: str
    """Where redirects led (the base for relative links)."""
    status: int
    body: bytes
    headers: dict[str, str]
    """Lower-case header names."""
    not_modified: bool = False
    """True when the server answered 304 and ``body`` came from the store."""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass(frozen=True)
class StoredBody:
    sha256: str
    size: int
    final_url: str
    """Where the body came from, after redirects."""


class ValidatorCache(Protocol):
    """Remembers responses with their ETag/Last-Modified (implemented by digest.ingest.httpcache)."""

    def lookup(self, url: str) -> Response | None: ...

    def save(self, response: Response) -> None: ...

    def digest(self, url: str) -> StoredBody | None: ...


class Fetcher:
    def __init__(self, policy: FetchPolicy = FetchPolicy(), cache: ValidatorCache | None = None,
                 sleep: Callable[[float], None] = time.sleep, memory: FailureMemory | None = None):
        self.policy = policy
        self.cache = cache
        self.memory = memory
        self.run = RunFailures(policy.breaker)
        self._sleep = sleep
        self._hosts: dict[str, threading.Semaphore] = {}
        self._hosts_lock = threading.Lock()
        self.clock = Clock()
        self._lookups = HostLookups()
        self._client = httpx.Client(
            timeout=httpx.Timeout(policy.read_timeout, connect=policy.connect_timeout),
            headers={"User-Agent": policy.user_agent, "Accept-Encoding": "gzip, deflate, br"},
            event_hooks={"response": [check_redirect]},
            transport=guarded_transport(policy.allow_private_hosts, httpx.Limits(
                max_connections=policy.workers, max_keepalive_connections=policy.workers),
                wrap=lambda backend: DeadlineBackend(backend, self.clock), lookups=self._lookups),
        )
        self._unhook = stop_on_signals(self.clock.stop)

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._unhook()
        self._client.close()

    def stop(self) -> None:
        """End every fetch in flight within a fraction of a second, and refuse new ones."""
        self.clock.stop()

    def get(self, url: str, *, max_bytes: int | None = None, conditional: bool = True,
            revalidate: bool = True) -> Response:
        """GET ``url`` with retries; raise SourceError naming the URL and the reason.

        ``revalidate=False`` is for resources that do not change once published (article
        pages, images): a stored copy is returned without asking the server at all.
        """
        if problem := url_problem(url):
            raise SourceError(url, problem)
        limit = max_bytes or self.policy.max_bytes
        cached = self.cache.lookup(url) if (self.cache and conditional) else None
        if cached is not None and len(cached.body) > limit:
            cached = None  # kept under a larger cap: asked for afresh, within this one, even on a 304
        if cached is not None and not revalidate:
            log.debug("stored copy, not revalidated: %s", url)
            return cached
        headers = conditional_headers(cached.headers) if cached else {}
        host = host_of(url)
        with self._host_slot(host):
            self._admit(url, host)
            deadline = time.monotonic() + self.policy.total_timeout
            with self.clock.until(deadline):
                response = self._exchange(url, host, headers, limit, deadline)
        if response.status == 304 and cached is not None:
            log.debug("not modified: %s", url)
            return Response(url, cached.final_url, 304, cached.body, cached.headers, not_modified=True)
        if response.status >= 400 or response.status == 304:
            raise SourceError(url, f"HTTP {response.status}")
        if self.cache is not None:
            self.cache.save(response)
        return response

    def stored(self, url: str, *, max_bytes: int | None = None) -> StoredBody | None:
        """The hash and size of the copy ``get(url, revalidate=False)`` would return from the store
        without asking the server, found without reading it; None when get would not."""
        found = self.cache.digest(url) if self.cache is not None and url_problem(url) is None else None
        return found if found is not None and found.size <= (max_bytes or self.policy.max_bytes) else None

    def look_up_ahead(self, urls: Iterable[str]) -> None:
        """Start resolving the host names of those ``urls`` that ``get`` would ask for, in the
        background, so the requests find them resolved (see netguard.HostLookups)."""
        names = []
        for url in urls:
            if url_problem(url) or self.stored(url) is not None:
                continue
            host = host_of(url)
            if self.run.blocked(host) is None and (self.memory is None or self.memory.recall(url, host) is None):
                names.append(urlsplit(url).hostname or "")
        self._lookups.ahead(name for name in names if name)

    def get_all(self, urls: Iterable[str], *, label: str = "fetching", **kwargs) -> dict[str, Response | SourceError]:
        """Fetch many URLs concurrently (within the per-host limit); failures are returned, not raised."""
        unique = list(dict.fromkeys(urls))
        outcomes = dict(self.get_each(unique, label=label, **kwargs))
        return {url: outcomes[url] for url in unique}

    def get_each(self, urls: Iterable[str], *, label: str = "fetching",
                 **kwargs) -> Iterator[tuple[str, Response | SourceError]]:
        """As get_all, each URL with its outcome as soon as it is known (in the order they finish),
        so a caller works on one while the others download. Only the caller holds an outcome once
        it is given: 181 real pages' bodies (31 MB) were all held until the last one came."""
        unique = list(dict.fromkeys(urls))
        with progress(label, len(unique)) as advance, \
                self._in_background(unique, lambda url: self._outcome(url, kwargs)) as futures:
            urls_of = {future: url for url, future in futures.items()}
            futures.clear()
            for done in as_completed(urls_of):
                advance()
                yield urls_of.pop(done), done.result()

    @contextmanager
    def ahead(self, urls: Iterable[str], **kwargs) -> Iterator[dict[str, Future[SourceError | None]]]:
        """Download ``urls`` into the cache in the background while the block runs, as ``get`` with
        ``kwargs`` would; by URL, a future of its failure (or None). No body is held: the cache
        keeps them. Without a cache nothing is downloaded ahead (no futures), so nothing twice."""
        if self.cache is None:
            yield {}
            return

        def store(url: str) -> SourceError | None:
            outcome = self._outcome(url, kwargs)
            return outcome if isinstance(outcome, SourceError) else None

        with self._in_background(urls, store) as futures:
            yield futures

    @contextmanager
    def _in_background(self, urls: Iterable[str], call: Callable[[str], T]) -> Iterator[dict[str, Future[T]]]:
        """``call`` on each URL on the fetcher's threads, in order; when the block ends those in
        flight finish and the rest never start (a caller may stop early)."""
        pool = ThreadPoolExecutor(max_workers=self.policy.workers)
        try:
            yield {url: pool.submit(call, url) for url in dict.fromkeys(urls)}
        finally:
            pool.shutdown(cancel_futures=True)

    def _outcome(self, url: str, kwargs: dict) -> Response | SourceError:
        try:
            return self.get(url, **kwargs)
        except SourceError as exc:
            return exc

    def _host_slot(self, host: str) -> threading.Semaphore:
        with self._hosts_lock:
            return self._hosts.setdefault(host, threading.Semaphore(self.policy.per_host))

    def _admit(self, url: str, host: str) -> None:
        """Every check a request must pass before it is sent; raise DeadLink to refuse it."""
        if self.clock.stopped.is_set():
            raise SourceError(url, "stopped")
        blocked = self.run.blocked(host)
        if blocked is not None:
            raise DeadLink(url, blocked, note="not asked again in this run")
        remembered = self.memory.recall(url, host) if self.memory is not None else None
        if remembered is not None:
            log.debug("not asked, %s: %s", remembered.reason, url)
            raise remembered

    def _exchange(self, url: str, host: str, headers: dict[str, str], max_bytes: int, deadline: float) -> Response:
        """One request with its retries, and what its outcome teaches about the URL and its host."""
        try:
            response = self._with_retries(url, headers, max_bytes, deadline)
        except _Unreachable as exc:
            if self.run.unreachable(host, exc.cause):
                self._remember(HOST_KEY + host, exc.cause, self.policy.unreachable_days)
                # Info, not a warning: each URL it costs is a problem of the report, grouped by host.
                log.info("%s: %s; its other URLs are not asked in this run", host, exc.cause)
            raise DeadLink(url, exc.cause) from None
        except _GaveUp as exc:
            if not self.clock.stopped.is_set():  # a stop says nothing about the host
                self._failed(host, exc.reason)
            raise SourceError(url, exc.reason) from None
        if response.status in RETRY_STATUSES:
            self._failed(host, f"HTTP {response.status}")
        else:
            self.run.succeeded(host)
        if response.status in GONE_STATUSES:
            self._remember(url, f"HTTP {response.status}", self.policy.dead_link_days)
            raise DeadLink(url, f"HTTP {response.status}")
        return response

    def _failed(self, host: str, reason: str) -> None:
        if self.run.failed(host, reason):
            log.info("%s: %d failures in a row (the last: %s); its other URLs are skipped in this run",
                     host, self.policy.breaker, reason)

    def _remember(self, key: str, reason: str, days: float) -> None:
        if self.memory is not None and days > 0:
            self.memory.remember(key, reason, days)

    def _with_retries(self, url: str, headers: dict[str, str], max_bytes: int, deadline: float) -> Response:
        delay, attempt = self.policy.backoff, 0
        while True:
            attempt += 1
            out_of_tries = attempt > self.policy.retries
            try:
                response = self._attempt(url, headers, max_bytes)
            except httpx.TransportError as exc:
                if self.clock.stopped.is_set():
                    raise _GaveUp("stopped") from None
                if time.monotonic() >= deadline:
                    raise _GaveUp(f"took longer than {self.policy.total_timeout:g}s") from None
                cause = unreachable_reason(exc)
                if cause is not None:  # retrying cannot make a name resolve or a closed port open
                    raise _Unreachable(cause) from None
                if out_of_tries or time.monotonic() + delay >= deadline:
                    raise _GaveUp(_describe(exc)) from None
                log.info("retrying %s after %s", url, _describe(exc))
                wait = delay
            else:
                if response.status not in RETRY_STATUSES or out_of_tries:
                    return response
                wait = retry_after(response.headers.get("retry-after"), delay)
                if wait > self.policy.max_retry_after:
                    raise SourceError(url, f"HTTP {response.status}, Retry-After {wait:.0f}s is too long")
                if time.monotonic() + wait >= deadline:  # no time left for another try
                    return response
                log.info("retrying %s after HTTP %d (waiting %.1fs)", url, response.status, wait)
            self._sleep(wait)
            delay *= 2

    def _attempt(self, url: str, headers: dict[str, str], max_bytes: int) -> Response:
        """One GET and the redirects it leads to, each hop's URL checked; only the last body is read."""
        target = url
        for _ in range(self.policy.max_redirects + 1):
            try:
                with self._client.stream("GET", target, headers=headers) as response:
                    if response.next_request is None:
                        return self._read(url, response, max_bytes)
                    target = str(response.next_request.url)
            except BadRedirect as exc:
                raise SourceError(url, str(exc)) from None
        raise SourceError(url, f"more than {self.policy.max_redirects} redirects")

    def _read(self, url: str, response: httpx.Response, max_bytes: int) -> Response:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes and response.status_code < 300:
            raise SourceError(url, f"body of {size_text(int(declared))} is over the {size_text(max_bytes)} cap")
        body = read_body(url, response.iter_raw(), response.headers.get("content-encoding", ""), max_bytes)
        return Response(url, str(response.url), response.status_code, body,
                        {k.lower(): v for k, v in response.headers.items()})


class _Unreachable(Exception):
    def __init__(self, cause: str):
        super().__init__(cause)
        self.cause = cause


class _GaveUp(Exception):
    """A connection error or timeout on every attempt."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _describe(exc: Exception) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__

