"""Live rebuilds for the preview: watch the inputs, build into a fresh folder, swap it in whole.

Readers (the preview's request threads) never see a half-written site: a build writes to
a new temporary folder, and only a complete one replaces the current folder. A failed
build keeps the last good folder and records the error for the browser to show.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import watchfiles

from digest.core.config import Config, Source
from digest.core.configfile import load_config
from digest.core.errors import DigestError, SourceError
from digest.core.models import ImageData, data_bytes
from digest.core.month import Month
from digest.core.stores import build_stores
from digest.core.theme import DEFAULT_CSS, DEFAULT_TEMPLATES
from digest.ebook.epub import cover_href
from digest.ebook.render import STYLESHEET
from digest.ingest.feeds import FeedResult, read_source
from digest.ingest.gather import SourceReader
from digest.pipeline import Composition, compose_issue, make_fetcher, recompose

log = logging.getLogger(__name__)

DEBOUNCE_MS = 300
"""Editors often write a file in several steps; one rebuild per burst of saves."""
THEME_FILES = (".xhtml", ".ncx", ".css")
"""What the theme's templates and stylesheet are named (digest.ebook.render reads no others)."""
READY_TIMEOUT_MS = 300
"""How often the watcher reports it is alive (its first report means it is watching)."""


@dataclass(frozen=True)
class PreviewState:
    generation: int
    """How many builds succeeded; the browser reloads when this grows."""
    error: str | None
    """The last build's error, while it is not fixed."""
    pages: tuple[tuple[str, str], ...]
    """(file name, title) of the good build's pages, in reading order."""
    version: int
    """Grows on every change of the above, so listeners can wait for news."""


class RemoteFeedMemo:
    """A source reader that reads each remote feed once per preview session.

    Local feed files are re-read on every build, since the editor may be editing them.
    Failures are remembered too, so a dead feed does not cost a timeout on every save.
    It wraps any ``(config, source) -> FeedResult`` reader, and compose_issue takes any
    such reader, so a store-backed one can replace it without touching the server.
    """

    def __init__(self, reader: SourceReader):
        self._reader = reader
        self._results: dict[Source, FeedResult | SourceError] = {}

    def __call__(self, config: Config, source: Source) -> FeedResult:
        # gather() reads sources in parallel, but each source once per build: no two
        # threads ever fill the same key.
        if not source.is_remote:
            return self._reader(config, source)
        if source not in self._results:
            try:
                self._results[source] = self._reader(config, source)
            except SourceError as exc:
                self._results[source] = exc
        result = self._results[source]
        if isinstance(result, SourceError):
            raise result
        return result


def laid_out(composition: Composition) -> dict[str, str | ImageData]:
    """The pages, stylesheet, cover and images by their names as in the EPUB, so relative links work."""
    issue = composition.issue
    return {**{page.file_name: page.xhtml for page in composition.pages}, STYLESHEET: composition.theme.css,
            cover_href(issue): issue.cover.data, **{image.href: image.data for image in issue.images}}


def write_pages(composition: Composition, folder: Path, last: tuple[Composition, Path] | None = None) -> None:
    """Write the files of ``composition`` into ``folder``. A file the last build (its composition
    and folder) had the same is linked from there: a save changes a few files of hundreds."""
    before = laid_out(last[0]) if last else {}
    for name, data in laid_out(composition).items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if last and before.get(name) == data:
            try:
                # A link to the file itself, never to where a symlink in its place would lead.
                os.link(last[1] / name, target, follow_symlinks=False)
                continue
            except OSError:  # no hard links on this file system: write it
                pass
        if isinstance(data, Path):
            shutil.copyfile(data, target)
        elif isinstance(data, str):
            target.write_text(data, encoding="utf-8")
        else:
            target.write_bytes(data_bytes(data))


class OncePerSession(logging.Filter):
    """Lets each warning through once per preview session, so a save prints only what is new
    or changed, not every missing image of the month again."""

    def __init__(self) -> None:
        super().__init__()
        self._seen: dict[str, logging.LogRecord] = {}
        """The first record of each warning text: every handler lets that one through (a
        problem logged where it happened and again in the summary counts once)."""
        self._repeated: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING:
            return True
        text = record.getMessage()
        first = self._seen.setdefault(text, record)
        if first is not record:
            self._repeated.add(text)
        return first is record

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Filter what the terminal's handlers print while the block runs (one build)."""
        handlers = list(logging.getLogger().handlers)
        for handler in handlers:
            handler.addFilter(self)
        try:
            yield
        finally:
            for handler in handlers:
                handler.removeFilter(self)
            if self._repeated:
                count = len(self._repeated)
                log.info("%d warning%s as printed before, not repeated", count, "" if count == 1 else "s")
            self._repeated = set()


class PreviewBuild:
    """The current good build of one month and the outcome of the latest build."""

    def __init__(self, config_path: Path, month: Month):
        self.config_path = config_path
        self.month = month
        self.config = load_config(config_path)
        """The config of the last good build (a broken config keeps the previous one)."""
        self.root: Path | None = None
        self._fetcher = make_fetcher(self.config, None)
        self._reader = RemoteFeedMemo(functools.partial(read_source, fetcher=self._fetcher))
        self._state = PreviewState(0, None, (), 0)
        self._composed: Composition | None = None
        """The last good build's composition, while its sources and config are what they were."""
        self._building = False
        self._closed = False
        self._cond = threading.Condition()
        self._one_build_at_a_time = threading.Lock()
        self._once = OncePerSession()

    def rebuild(self, *, pages_only: bool = False) -> PreviewState:
        """Build again; ``pages_only``: only the note or the theme changed since the last build,
        so the last good build's issue is rendered again instead of being composed again."""
        with self._one_build_at_a_time, self._once.installed():
            return self._rebuild(pages_only)

    def _rebuild(self, pages_only: bool) -> PreviewState:
        with self._cond:
            self._building = True
        stage = Path(tempfile.mkdtemp(prefix="digest-preview-"))
        last, self._composed = self._composed, None
        root = self.root
        try:
            config = self.config if pages_only and last is not None else load_config(self.config_path)
            # The record makes the selection the real build's (archived entries, articles
            # already published); it is opened per build so a concurrent `digest build` can work.
            # Pages and images come through the cache, so a save does not download them again.
            with build_stores(config, exclusive=False) as stores:
                if pages_only and last is not None:
                    # A save of the note or a template: a fraction of a second instead of a whole composition.
                    composition = recompose(config, self.month, last, stores.cache)
                else:
                    with make_fetcher(config, stores) as fetcher:
                        composition = compose_issue(config, self.month, allow_empty=True, record=stores.record,
                                                    cache=stores.cache, fetcher=fetcher, reader=self._reader)
            write_pages(composition, stage, (last, root) if last is not None and root is not None else None)
        except Exception as exc:  # whatever broke, the last good build must stay served
            shutil.rmtree(stage, ignore_errors=True)
            if pages_only:  # the sources are as the last good build read them
                self._composed = last
            if isinstance(exc, DigestError):
                message = str(exc)
                log.error("build failed: %s", message)
            else:
                message = f"{type(exc).__name__}: {exc}"
                log.exception("build failed")
            return self._finish(error=message)
        except BaseException:  # interrupted: nothing to show, but leave no folder behind
            shutil.rmtree(stage, ignore_errors=True)
            raise
        for problem in composition.problems:
            log.warning("%s: %s", problem.where, problem.reason)
        pages = tuple((page.file_name, page.title) for page in composition.pages)
        self._composed = composition
        return self._finish(root=stage, config=config, pages=pages)

    def _finish(self, *, error: str | None = None, root: Path | None = None,
                config: Config | None = None, pages: tuple[tuple[str, str], ...] = ()) -> PreviewState:
        retired = None
        with self._cond:
            state = self._state
            if root is None:
                self._state = PreviewState(state.generation, error, state.pages, state.version + 1)
            elif self._closed:  # stopped while building: nobody will serve or remove it
                retired = root
            else:
                assert config is not None  # a finished build always comes with its config
                retired, self.root, self.config = self.root, root, config
                self._state = PreviewState(state.generation + 1, None, pages, state.version + 1)
            self._building = False
            self._cond.notify_all()
            new_state = self._state
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)
        log.info("build %d ready%s", new_state.generation, " (with an error)" if error else "")
        return new_state

    @contextmanager
    def current(self) -> Iterator[tuple[Path | None, PreviewState]]:
        """The good build's folder, after any build in progress, held until the block ends."""
        with self._cond:
            self._cond.wait_for(lambda: not self._building or self._closed)
            yield self.root, self._state

    def wait_for_change(self, seen_version: int, timeout: float) -> PreviewState | None:
        """The state once its version differs from ``seen_version`` or after ``timeout``;
        None once the site is closed."""
        with self._cond:
            self._cond.wait_for(lambda: self._state.version != seen_version or self._closed, timeout)
            return None if self._closed else self._state

    def close(self) -> None:
        with self._cond:
            self._closed = True
            root, self.root = self.root, None
            self._cond.notify_all()
        self._fetcher.close()
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)


@dataclass(frozen=True)
class WatchTargets:
    folders: frozenset[Path]
    """Any change in these counts (theme and issue folders)."""
    files: frozenset[Path]
    """Single files that count (the config, local feed files)."""
    theme: frozenset[Path]
    """The theme's folders (the issue folder excepted)."""
    note: Path
    """The month's editor's note."""

    @classmethod
    def of(cls, config: Config, month: Month) -> WatchTargets:
        theme = {DEFAULT_TEMPLATES, DEFAULT_CSS.parent} | ({config.output.templates_dir}
                                                           if config.output.templates_dir else set())
        issues = config.output.issues_dir.resolve()
        files = {config.path} | {Path(config.resolve(s.url)) for s in config.sources if not s.is_remote}
        return cls(frozenset({issues} | {f.resolve() for f in theme}), frozenset(f.resolve() for f in files),
                   frozenset(f.resolve() for f in theme) - {issues}, (issues / f"{month}.md").resolve())

    def watched_folders(self) -> list[Path]:
        return sorted(f for f in self.folders | {f.parent for f in self.files} if f.is_dir())

    def matches(self, path: Path) -> bool:
        return path in self.files or path.parent in self.folders

    def only_look(self, paths: set[Path]) -> bool:
        """Whether every one of ``paths`` is the note or a template or stylesheet of the theme: what
        changes only the pages' look or the note, not what the issue holds (a cover image in the
        theme's folder, a feed file or the config do). Vim's probe (a file named 4913, made and
        deleted beside the file it saves) is no change at all."""
        return all(path not in self.files and (
            path == self.note or (path.parent in self.theme and path.suffix in THEME_FILES)
            or (path.name.isdigit() and not path.exists())) for path in paths)


class _InputFilter(watchfiles.DefaultFilter):
    """watchfiles' default filter (editor swap and backup files) narrowed to the inputs."""

    def __init__(self, targets: WatchTargets):
        super().__init__()
        self._targets = targets

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        return super().__call__(change, path) and self._targets.matches(Path(path))


class Watcher(threading.Thread):
    """Rebuilds the site whenever one of its inputs changes, until stopped."""

    def __init__(self, site: PreviewBuild):
        super().__init__(name="digest-preview-watcher", daemon=True)
        self.site = site
        self.ready = threading.Event()
        """Set once the file system is being watched (changes from then on trigger builds)."""
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            targets = WatchTargets.of(self.site.config, self.site.month)
            for changes in watchfiles.watch(
                    *targets.watched_folders(), watch_filter=_InputFilter(targets), recursive=False,
                    debounce=DEBOUNCE_MS, step=50, rust_timeout=READY_TIMEOUT_MS,
                    yield_on_timeout=True, stop_event=self._stop_event, raise_interrupt=False):
                self.ready.set()
                if not changes:
                    continue
                paths = {Path(p) for _, p in changes}
                log.info("changed: %s", ", ".join(sorted(path.name for path in paths)))
                self.site.rebuild(pages_only=targets.only_look(paths))
                if WatchTargets.of(self.site.config, self.site.month) != targets:
                    log.info("watching a new set of files")
                    break

    def stop(self) -> None:
        self._stop_event.set()
