"""What the fetch layer remembers about failure, so a dead link costs one request, not one per build.

- A URL that answered 404 or 410 is *gone*: not asked again for ``dead_link_days``.
- A host whose name does not resolve, or that refused the connection, is *unreachable*:
  none of its URLs is asked again in this run, nor for ``unreachable_days`` after.
- A host that failed ``breaker`` times in a row in this run (timeouts, resets, 5xx after
  their retries) is skipped for the rest of the run: the *breaker* trips, once per host.

5xx and timeouts of one URL are not remembered across runs: they keep their retries.
Failures come back as :class:`DeadLink`, a SourceError, so every caller that reports a
failed source or page reports these too; ``problems_by_host`` folds many into one line per host.
"""

from __future__ import annotations

import errno
import socket
import threading
from collections import Counter
from collections.abc import Mapping
from typing import Protocol
from urllib.parse import urlsplit

from digest.core.errors import SourceError
from digest.core.models import Problem

GONE_STATUSES = frozenset({404, 410})
HOST_KEY = "host:"
"""Prefix of a remembered failure that concerns a whole host (``host:example.org:8080``)."""
UNREACHABLE_ERRNOS = frozenset({errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH})


class DeadLink(SourceError):
    """A URL not fetched because it, or its host, failed in a way that is remembered."""

    def __init__(self, url: str, cause: str, *, note: str = "", remembered: bool = False):
        super().__init__(url, f"{cause} ({note})" if note else cause)
        self.cause = cause
        """What failed ("HTTP 404", "host name does not resolve"...), the same for every URL it hit."""
        self.remembered = remembered
        """True when an earlier build's failure, not this run's, kept it from being asked."""


class FailureMemory(Protocol):
    """Failures remembered across runs (implemented by digest.ingest.httpcache.StoreFailures)."""

    def recall(self, url: str, host: str) -> DeadLink | None:
        """Why ``url`` (or its whole ``host``) is not to be asked now, or None."""

    def remember(self, key: str, reason: str, days: float) -> None:
        """Do not ask ``key`` (a URL, or HOST_KEY + host) again for ``days``."""


def host_of(url: str) -> str:
    """The host and port a URL connects to: what the breaker and the memory of unreachable hosts key on."""
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:  # "http://[::1/": refused by url_problem, still reported under its would-be host
        return url.partition("//")[2].partition("/")[0].lower()


def unreachable_reason(exc: BaseException) -> str | None:
    """"host name does not resolve" or "connection refused" when that is what ``exc`` came from."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, socket.gaierror):
            return "host name does not resolve"
        if isinstance(seen, OSError) and seen.errno in UNREACHABLE_ERRNOS:
            return "connection refused" if seen.errno == errno.ECONNREFUSED else "host unreachable"
        seen = seen.__cause__ or seen.__context__
    return None


class RunFailures:
    """One run's view of its hosts: which are unreachable, and how many failures each has in a row."""

    def __init__(self, breaker: int):
        self.breaker = breaker
        self._lock = threading.Lock()
        self._in_a_row: Counter[str] = Counter()
        self._down: dict[str, str] = {}

    def blocked(self, host: str) -> str | None:
        """Why this run asks ``host`` nothing more, or None."""
        with self._lock:
            return self._down.get(host)

    def unreachable(self, host: str, cause: str) -> bool:
        """Mark ``host`` down for the run; True the first time."""
        with self._lock:
            if host in self._down:
                return False
            self._down[host] = cause
            return True

    def failed(self, host: str, reason: str) -> bool:
        """Count a failure; True when it is the one that trips the breaker."""
        with self._lock:
            self._in_a_row[host] += 1
            if self._in_a_row[host] < self.breaker or host in self._down:
                return False
            self._down[host] = (f"host skipped for the rest of this run after {self._in_a_row[host]} "
                                f"failures in a row (the last: {reason})")
            return True

    def succeeded(self, host: str) -> None:
        with self._lock:
            self._in_a_row.pop(host, None)


def problems_by_host(failures: Mapping[str, SourceError], what: str, outcome: str = "") -> list[Problem]:
    """One Problem per host for many failed URLs: how many ``what``s failed, counted by cause, and ``outcome``."""
    by_host: dict[str, list[tuple[str, SourceError]]] = {}
    for url, error in failures.items():
        by_host.setdefault(host_of(url), []).append((url, error))
    problems = []
    for host, failed in by_host.items():
        first = failed[0][0]
        if len(failed) == 1:
            problems.append(Problem(first, f"{what} not downloaded: {failed[0][1].reason}"
                                            + (f"; {outcome}" if outcome else "")))
            continue
        causes = Counter(error.cause if isinstance(error, DeadLink) else error.reason for _, error in failed)
        summary = ", ".join(f"{count} × {cause}" for cause, count in causes.most_common())
        remembered = sum(1 for _, error in failed if isinstance(error, DeadLink) and error.remembered)
        if remembered:
            summary += f"; {remembered} of them remembered from an earlier build and not asked again"
        problems.append(Problem(host, f"{len(failed)} {what}s not downloaded: {summary} (e.g. {first})"
                                + (f"; {outcome}" if outcome else "")))
    return problems
