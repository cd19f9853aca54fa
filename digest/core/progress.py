"""Progress on a terminal, silence in CI logs.

A build shows one spinner line per stage (feeds, full text, pages and images, check,
conversions)
and leaves a line with its time when the stage ends; counted work inside a stage (pages
fetched, images fitted) updates that line. Outside a stage, counted work draws a bar.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.status import Status

# The spinner of the stage running now, and its label: rich draws one live display at a time.
_stages: list[tuple[Status, str]] = []


def interactive() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


@functools.cache
def console() -> Console:
    """The terminal's stderr, shared by log lines and progress so neither garbles the other."""
    return Console(stderr=True)


@contextmanager
def stage(label: str) -> Iterator[None]:
    """Show ``label`` with a spinner while the block runs, then how long it took."""
    if not interactive() or _stages:
        yield
        return
    start = time.monotonic()
    with console().status(label) as status:
        _stages.append((status, label))
        try:
            yield
        finally:
            _stages.pop()
    console().print(f"[green]✓[/green] {label} [dim]{time.monotonic() - start:.1f} s[/dim]", highlight=False)


@contextmanager
def progress(label: str, total: int) -> Iterator[Callable[[], None]]:
    """Yield a function to call once per finished item (from any thread); shown only on a terminal."""
    if total < 2 or not interactive():
        yield lambda: None
        return
    if _stages:
        status, stage_label = _stages[-1]
        done, lock = 0, threading.Lock()

        def advance() -> None:
            nonlocal done
            with lock:
                done += 1
                status.update(f"{stage_label}: {label} {done}/{total}")

        yield advance
        status.update(stage_label)
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=True, console=console()) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)
