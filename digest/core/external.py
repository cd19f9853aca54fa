"""Run an external program (calibre, java) with a time limit that really holds.

The program gets its own process group so that a timeout or an interrupt also stops
the helpers it spawned; otherwise a hung calibre worker would outlive the build. Parsers of
hostile input (SVG drawing, PDF reading) run as Python children the same way (run_python),
each capping its own memory first (limit_memory).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

# Programs running now, in any thread: an interrupted build stops them all (see stop_all).
_running: set[subprocess.Popen] = set()
_lock = threading.Lock()


def run_external(args: Sequence[str], *, timeout: float,
                 env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run to completion and capture stdout and stderr; raise TimeoutExpired after ``timeout`` s."""
    with _lock:  # started and listed at once: an interrupt's sweep (_stop_all) sees it or comes before it
        process = subprocess.Popen(list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=dict(env) if env is not None else None,
                                   start_new_session=True)
        _running.add(process)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except BaseException:
        _kill_group(process)
        raise
    finally:
        with _lock:
            _running.discard(process)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def run_python(module: str, *args: str, timeout: float) -> subprocess.CompletedProcess[bytes]:
    """``python -m module args`` with this process's interpreter, as run_external runs a program."""
    return run_external([sys.executable, "-m", module, *args], timeout=timeout)


def child_failure(done: subprocess.CompletedProcess[bytes]) -> str:
    """Why a child failed: the last line it wrote on stderr, else its exit status or signal."""
    lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    if lines:
        return lines[-1]
    return f"stopped by signal {-done.returncode}" if done.returncode < 0 else f"exit {done.returncode}"


def limit_memory(limit: int) -> None:
    """Cap this process's address space at ``limit`` bytes (a child's first step: run_python)."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def start_external(args: Sequence[str]) -> subprocess.Popen[bytes]:
    """Start a long-lived helper with pipes to its stdin and stdout; stop it with stop_external.

    Its stderr is discarded: a helper that talks on stdout must not block on a full stderr pipe.
    """
    with _lock:  # as in run_external
        process = subprocess.Popen(list(args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        _running.add(process)
    return process


def stop_external(process: subprocess.Popen[bytes]) -> None:
    """Stop a helper of start_external (and whatever it spawned) and reap it."""
    with _lock:
        _running.discard(process)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            try:
                stream.close()
            except OSError:  # a request still buffered for the dead helper
                pass
    process.wait()


@contextmanager
def stopped_on_interrupt() -> Iterator[None]:
    """On SIGTERM or Ctrl-C inside the block, kill every external program still running.

    For the main thread while worker threads wait on calibre or java: they would otherwise
    keep the build, and its exit, waiting.
    """
    try:
        yield
    except (KeyboardInterrupt, SystemExit):
        _stop_all()
        raise


def _stop_all() -> None:
    with _lock:
        running = list(_running)
    for process in running:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.communicate()
