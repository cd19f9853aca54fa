"""digest's three SQLite files, each with its own lifetime, and the move out of the one file of old.

- the record (``[store] path``): every entry seen (bodies compressed, so any past month can be
  rebuilt), what each issue carried, failed fetches worth remembering. Small and precious:
  damaged, it stops the run with the way to recover, never starts again empty.
- the private file (``[store] private``): subscribers and the delivery ledger. Personal data,
  kept apart so that the record can be published or committed without them.
- the cache (``[cache] path``, digest.core.cache): disposable. Damaged or from a newer
  digest, it is started again empty with a warning.

Until version 9 of the record all three lived in one file; opening either of the first two
moves the other two's rows out of it first (the record's migration 9 then drops them).
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from digest.core.cache import CACHE_MIGRATIONS, Cache, Pruned, file_size
from digest.core.config import Config
from digest.core.errors import StoreError, UnusableStore
from digest.core.models import StoredSizes
from digest.core.store import DELIVERIES, SUBSCRIBERS, Store, open_store
from digest.core.vocabulary import MB

log = logging.getLogger(__name__)

PRIVATE_MIGRATIONS: list[tuple[int, str, str]] = [(1, "subscribers", SUBSCRIBERS), (2, "deliveries", DELIVERIES)]
RECOVERY = ("restore it from a backup, or move it aside and run `digest record rebuild` "
            "to rebuild it from the published issues")

# The old single file's tables that move out: table -> (the new file's columns, the
# expressions that fill them from the old table: when last used is when last written).
_TO_CACHE = {
    "http_cache": ("url, final_url, status, headers, body, fetched_at, body_sha256, body_size, used_at",
                   "url, final_url, status, headers, body, fetched_at, body_sha256, body_size, fetched_at"),
    "processed_images": ("original_sha256, profile, data, size, media_type, width, height, created_at, used_at",
                         "original_sha256, profile, data, length(data), media_type, width, height, created_at, "
                         "created_at"),
    "build_memo": ("kind, key, value, recorded_at, used_at", "kind, key, value, recorded_at, recorded_at"),
}
_COLUMNS_PRIVATE = {
    "subscribers": "id, address, name, format, active, added_at",
    "deliveries": "id, subscriber_id, address, issue_month, format, status, message_id, attempts, updated_at, error",
}
_TO_PRIVATE = {table: (columns, columns) for table, columns in _COLUMNS_PRIVATE.items()}


@dataclass(frozen=True)
class Stores:
    """What a build opens: the record and the cache."""

    record: Store
    cache: Cache


@contextmanager
def build_stores(config: Config, *, exclusive: bool = True) -> Iterator[Stores]:
    """The record and the cache, for a build or a fetch.

    ``exclusive``: no other exclusive run (build, fetch, prune) on this record at the same
    time; a second one stops with a clear message rather than interleave two builds' records
    or prune what a build uses. The preview and the editor's commands, which only add
    entries and may run beside a build, pass False."""
    with (_exclusive(config.store.path) if exclusive else nullcontext()):
        if config.store.path.is_file() and not config.cache.path.exists():
            log.warning("%s: no cache (deleted?); it starts again empty, and this run fetches and fits again "
                        "what it held", config.cache.path)
        with open_cache(config.cache.path) as cache, open_record(config) as record:
            yield Stores(record, cache)


def prune_cache(config: Config, *, dry_run: bool = False) -> Pruned:
    """`digest prune`: the cache brought under ``[cache] max_mb``; waits for no build, refuses during one."""
    with _exclusive(config.store.path), open_cache(config.cache.path) as cache:
        return cache.prune(config.cache.max_mb * MB, dry_run=dry_run)


def open_record(config: Config) -> Store:
    """The record, migrated; the rows of an old single file's other tables are moved out first."""
    moved: list[str] = []

    def move_out(record: Store) -> None:
        old = {row["name"] for row in record.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not old & {*_TO_CACHE, *_TO_PRIVATE}:
            return
        log.warning("%s: moving subscribers and deliveries to %s (keep it private), and what may be "
                    "lost to %s", record.path, config.store.private, config.cache.path)
        with open_store(config.store.private, migrations=PRIVATE_MIGRATIONS) as private:
            _copy(Path(record.path), private, _TO_PRIVATE)
        with open_store(config.cache.path, migrations=CACHE_MIGRATIONS, durable=False) as cache:
            _copy(Path(record.path), cache, _TO_CACHE)
        moved.append(record.path)  # the record's migration 9 then drops those tables

    try:
        record = open_store(config.store.path, prepare=move_out)
    except UnusableStore as exc:
        if exc.damaged:
            raise StoreError(f"{exc}: the record is damaged; {RECOVERY}") from None
        raise
    if moved:
        record.query("VACUUM")  # give the moved pages back
    return record


def open_private(config: Config) -> Store:
    """Subscribers and the delivery ledger (moved out of an old single-file record first)."""
    if config.store.path.is_file():
        open_record(config).close()
    return open_store(config.store.private, migrations=PRIVATE_MIGRATIONS)


def open_cache(path: Path) -> Cache:
    """The cache at ``path``; started again empty, with a warning, when the file is damaged or newer."""
    try:
        return Cache(open_store(path, migrations=CACHE_MIGRATIONS, durable=False))
    except UnusableStore as exc:
        log.warning("%s; the cache is started again empty (the next build fetches and fits everything anew)", exc)
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    return Cache(open_store(path, migrations=CACHE_MIGRATIONS, durable=False))


def stored_sizes(config: Config, pruned: Pruned | None = None) -> StoredSizes:
    """The sizes of the record and the cache on disk now."""
    return StoredSizes(file_size(config.store.path), file_size(config.cache.path), pruned.freed if pruned else 0)


def _copy(source: Path, target: Store, tables: dict[str, tuple[str, str]]) -> None:
    target.query("ATTACH DATABASE ? AS old", (str(source),))
    try:
        present = {row["name"] for row in target.query("SELECT name FROM old.sqlite_master WHERE type = 'table'")}
        with target.transaction() as tx:
            for table, (columns, expressions) in tables.items():
                if table in present:
                    tx.execute(f"INSERT OR IGNORE INTO main.{table} ({columns}) SELECT {expressions} FROM old.{table}")
    finally:
        target.query("DETACH DATABASE old")


@contextmanager
def _exclusive(record: Path) -> Iterator[None]:
    """One build, fetch or prune per record at a time; the kernel drops the lock when a process dies."""
    record.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{record}.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise StoreError(f"{record}: in use by another digest build, fetch or prune ({holder}); "
                             "run again when it has finished") from None
        handle.truncate(0)
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield
