"""One deadline per fetch over connect, TLS, headers and body, and fetches a signal can stop.

httpx's timeouts bound each wait for the next bytes, not the whole exchange: a server that
sends one header line every few seconds holds a fetch, and the build, forever. So the
fetch layer's network backend looks at the fetch's deadline before every read and write
and never waits past it. Reads wait in slices of ``POLL`` seconds, so a stop request
(SIGTERM or Ctrl-C; ``Clock.stop``) ends every fetch within a slice and the build's thread
pools can wind down. Connecting (the name lookup has no timeout of its own) and the TLS
handshake (a timeout per read, not in all) run in a helper thread that the fetch stops
waiting for at its deadline or on a stop.
"""

from __future__ import annotations

import math
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import httpcore

POLL = 0.25
"""Longest single wait, in seconds: how soon a stop request is noticed."""
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

T = TypeVar("T")


class Stopped(httpcore.ReadError):
    """The fetch was stopped (SIGTERM, Ctrl-C)."""


class Clock:
    """The deadline of the fetch running in each thread, and the stop flag they all share."""

    def __init__(self) -> None:
        self._local = threading.local()
        self.stopped = threading.Event()

    def stop(self) -> None:
        self.stopped.set()

    @contextmanager
    def until(self, deadline: float) -> Iterator[None]:
        """Every network wait of this thread inside the block ends by ``deadline`` (time.monotonic)."""
        self._local.deadline = deadline
        try:
            yield
        finally:
            self._local.deadline = None

    def left(self, timeout: float | None = None) -> float:
        """How long the next wait may take: ``timeout`` cut to the deadline. Raises once stopped or past it."""
        if self.stopped.is_set():
            raise Stopped("stopped")
        deadline = getattr(self._local, "deadline", None)
        left = min(math.inf if deadline is None else deadline - time.monotonic(),
                   math.inf if timeout is None else timeout)
        if left <= 0:
            raise httpcore.ReadTimeout("out of time")
        return left

    def wait_for(self, call: Callable[[], T], timeout: float, *, abandon: Callable[[], None] = lambda: None,
                 late: Callable[[T], None] = lambda result: None) -> T:
        """``call()`` run in a helper thread and waited for at most ``timeout``, and only until a stop.

        If the wait ends first, ``abandon()`` runs at once, and ``late(result)`` when a result comes after all.
        """
        outcome: dict[str, Any] = {}
        lock, done = threading.Lock(), threading.Event()

        def run() -> None:
            try:
                outcome["value"] = call()
            except BaseException as exc:  # handed to the waiting thread
                outcome["error"] = exc
            with lock:
                done.set()
                given_up = outcome.get("abandoned", False)
            if given_up and "value" in outcome:
                late(outcome["value"])

        threading.Thread(target=run, daemon=True, name="digest-connect").start()
        limit = time.monotonic() + timeout
        while not done.wait(max(0.0, min(POLL, limit - time.monotonic()))):
            if self.stopped.is_set() or time.monotonic() >= limit:
                with lock:
                    if not done.is_set():
                        outcome["abandoned"] = True
                if outcome.get("abandoned"):
                    abandon()
                    raise Stopped("stopped") if self.stopped.is_set() else httpcore.ConnectTimeout("out of time")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]


class DeadlineBackend(httpcore.NetworkBackend):
    """Wraps a network backend so that its every wait keeps to the clock."""

    def __init__(self, inner: httpcore.NetworkBackend, clock: Clock):
        self.inner, self.clock = inner, clock

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options=None) -> httpcore.NetworkStream:
        wait = self.clock.left(timeout)
        stream = self.clock.wait_for(
            lambda: self.inner.connect_tcp(host, port, wait, local_address, socket_options), wait,
            late=lambda connected: connected.close())
        return DeadlineStream(stream, self.clock)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options=None) -> httpcore.NetworkStream:  # pragma: no cover (http(s) only)
        raise httpcore.ConnectError("unix sockets are not fetched from")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, clock: Clock):
        self.stream, self.clock = stream, clock

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        limit = time.monotonic() + self.clock.left(timeout)
        while True:
            step = min(POLL, self.clock.left(limit - time.monotonic()))
            try:
                return self.stream.read(max_bytes, step)
            except httpcore.ReadTimeout:
                if time.monotonic() >= limit:
                    raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.stream.write(buffer, self.clock.left(timeout))

    def close(self) -> None:
        self.stream.close()

    def start_tls(self, ssl_context, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        wait = self.clock.left(timeout)
        secured = self.clock.wait_for(lambda: self.stream.start_tls(ssl_context, server_hostname, wait), wait,
                                      abandon=self._shut, late=lambda tls: tls.close())
        return DeadlineStream(secured, self.clock)

    def get_extra_info(self, info: str) -> Any:
        return self.stream.get_extra_info(info)

    def _shut(self) -> None:
        """Wake the helper thread out of a handshake it was left in."""
        sock = self.stream.get_extra_info("socket")
        try:
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.stream.close()


def stop_on_signals(stop: Callable[[], None]) -> Callable[[], None]:
    """Call ``stop`` on SIGTERM or Ctrl-C, then the handler that was in place; return the undo.

    Only a Python handler is chained: SIGTERM's default ends the process anyway. Only the main
    thread may set handlers; a fetcher made elsewhere (the preview's build thread) hooks nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    hooked = {}
    for number in STOP_SIGNALS:
        previous = signal.getsignal(number)
        if not callable(previous):
            continue

        def handler(signum: int, frame: Any, previous: Callable[[int, Any], Any] = previous) -> None:
            stop()
            previous(signum, frame)

        signal.signal(number, handler)
        hooked[number] = (handler, previous)

    def undo() -> None:
        for number, (handler, previous) in hooked.items():
            if signal.getsignal(number) is handler:  # a later hook still chains to this one otherwise
                signal.signal(number, previous)

    return undo
