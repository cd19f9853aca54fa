"""The cache: work a rebuild need not redo, in a SQLite file of its own that may be lost at any time.

HTTP bodies (digest.ingest.httpcache), fitted images (digest.content.images.cache) and the
memos (parsed feeds, extractions, languages, valid bodies, Kindle checks) live here, never in
the record. Every row carries when a build last used it, so the cache stays under
``[cache] max_mb`` by dropping the least recently used rows first (``prune``). Reads only
note what they used; the note is written once, when the cache closes, so a warm build costs
one transaction, not one per row.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import ModuleType

from digest.core.store import Store, now, open_store

log = logging.getLogger(__name__)

# How old a used row's stamp must be before it is written again (see the module docstring).
STAMP_GRAIN = timedelta(days=1)

# Append only, as the record's MIGRATIONS (digest.core.store).
CACHE_MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "cache", """
        CREATE TABLE http_cache (
            url TEXT PRIMARY KEY,
            final_url TEXT NOT NULL,
            status INTEGER NOT NULL,
            headers TEXT NOT NULL,
            body BLOB NOT NULL,
            fetched_at TEXT NOT NULL,
            body_sha256 TEXT,
            body_size INTEGER,
            used_at TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX http_cache_digests ON http_cache (url, body_sha256, body_size);
        CREATE TABLE processed_images (
            original_sha256 TEXT NOT NULL,
            profile TEXT NOT NULL,
            data BLOB NOT NULL,
            media_type TEXT NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            used_at TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (original_sha256, profile)
        );
        CREATE TABLE build_memo (
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            used_at TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (kind, key)
        );
    """),
    # A fitted image's own hash and size, so a rebuild names it without reading it (a NULL hash:
    # not known yet); the index answers a rebuild's look-up alone, every column of the row being
    # stored after the image (reading one walks the whole image).
    (2, "fitted images described", """
        ALTER TABLE processed_images ADD COLUMN sha256 TEXT;
        ALTER TABLE processed_images ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
        UPDATE processed_images SET size = length(data);
        CREATE INDEX processed_images_fitted ON processed_images
            (original_sha256, profile, sha256, size, media_type, width, height);
    """),
    # A row's stamp is stored after its body: reading it walks the body's overflow pages (a
    # rebuild's flush of a 1.3 GB cache: 0.8-1.6 s). These indexes hold each key's stamp, and a
    # stored page's final URL joins its hash and size (the extraction memo's key).
    (3, "stamps indexed", """
        CREATE INDEX http_cache_used ON http_cache (url, used_at);
        CREATE INDEX processed_images_used ON processed_images (original_sha256, profile, used_at);
        CREATE INDEX build_memo_used ON build_memo (kind, key, used_at);
        DROP INDEX http_cache_digests;
        CREATE INDEX http_cache_digests ON http_cache (url, body_sha256, body_size, final_url);
    """),
]

# Each table's key columns, what one row weighs (its payload; SQLite's overhead is small) and
# the index holding each key's stamp (SQLite would rather take the primary key's and read the row).
TABLES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "http_cache": (("url",), "length(body) + length(headers) + length(url)", "http_cache_used"),
    "processed_images": (("original_sha256", "profile"), "length(data) + length(profile)", "processed_images_used"),
    "build_memo": (("kind", "key"), "length(value) + length(key)", "build_memo_used"),
}


@dataclass(frozen=True)
class Pruned:
    rows: int
    """Rows removed (or that would be, in a dry run)."""
    freed: int
    """Their payload in bytes."""
    kept: int
    """Payload bytes left."""
    in_use: int
    """Payload bytes the running build used, never pruned even above the bound (counted only
    when the cache is over its bound)."""


class Cache:
    """An open cache file (or an in-memory one, see ``memory_cache``)."""

    def __init__(self, store: Store):
        self.store = store
        self.opened = now()
        """Rows stamped since then, and those noted as used, belong to the build in progress: ``prune`` keeps them."""
        self._used: dict[str, set[tuple[str, ...]]] = {table: set() for table in TABLES}
        self._lock = threading.Lock()

    def used(self, table: str, *key: str) -> None:
        """Note that this build used a row (written when the cache closes)."""
        with self._lock:
            self._used[table].add(key)

    def recall(self, kind: str, key: str) -> str | None:
        """A value remembered under ``kind`` and ``key`` (see remember), or None."""
        row = self.store.query_one("SELECT value FROM build_memo WHERE kind = ? AND key = ?", (kind, key))
        if row is None:
            return None
        self.used("build_memo", kind, key)
        return str(row["value"])

    def remember(self, kind: str, key: str, value: str) -> None:
        """Keep ``value`` for a later build: work a rebuild of unchanged inputs need not redo."""
        stamp = now()
        self.store.execute("INSERT OR REPLACE INTO build_memo (kind, key, value, recorded_at, used_at) "
                           "VALUES (?, ?, ?, ?, ?)", (kind, key, value, stamp, stamp))

    def _used_rows(self) -> dict[str, set[tuple[str, ...]]]:
        with self._lock:
            return {table: set(keys) for table, keys in self._used.items()}

    def flush(self) -> None:
        """Write when this build used the rows it read, where the stamp is older than STAMP_GRAIN."""
        stamp, stale = now(), now(STAMP_GRAIN)
        with self.store.transaction() as tx:
            for table, keys in self._used_rows().items():
                tx.executemany(stamping(table), [(stamp, stale, *key) for key in keys])

    def prune(self, max_bytes: int, *, dry_run: bool = False) -> Pruned:
        """Drop the least recently used rows until the payload is at most ``max_bytes``.

        Rows used or stamped since the cache was opened are kept whatever their weight: the
        build in progress needs them (and two digest runs on one record never prune at once,
        see digest.core.stores)."""
        self.flush()
        # The sizes alone come from the rows' headers; under the bound nothing needs the stamps.
        total = sum(self.store.query(f"SELECT COALESCE(SUM({size}), 0) AS total FROM {table}")[0]["total"]
                    for table, (_, size, _) in TABLES.items())
        if total <= max_bytes:
            return Pruned(0, 0, total, 0)
        used = self._used_rows()
        rows = sorted((row["used_at"], table, tuple(row[c] for c in TABLES[table][0]), int(row["size"]))
                      for table, (columns, size, stamps) in TABLES.items()
                      for row in self.store.query(f"SELECT {', '.join(columns)}, used_at, {size} AS size "
                                                  f"FROM {table} INDEXED BY {stamps}"))
        total = sum(row[3] for row in rows)
        needed = [row[0] >= self.opened or row[2] in used[row[1]] for row in rows]
        in_use = sum(row[3] for row, need in zip(rows, needed) if need)
        doomed: list[tuple[str, tuple[str, ...], int]] = []
        for (_, table, key, size), need in zip(rows, needed):
            if total <= max_bytes:
                break
            if need:
                continue
            doomed.append((table, key, size))
            total -= size
        freed = sum(size for _, _, size in doomed)
        if doomed and not dry_run:
            with self.store.transaction() as tx:
                for table, key, _ in doomed:
                    tx.execute(f"DELETE FROM {table} WHERE " + " AND ".join(f"{c} = ?" for c in TABLES[table][0]), key)
            self.store.reclaim()
        return Pruned(len(doomed), freed, total, in_use)

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.store.close()

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def stamping(table: str) -> str:
    """The statement that stamps a used row of ``table`` whose stamp is older than a bound."""
    columns, _, stamps = TABLES[table]
    return (f"UPDATE {table} INDEXED BY {stamps} SET used_at = ? WHERE used_at < ? AND "
            + " AND ".join(f"{column} = ?" for column in columns))


def memo_key(parts: list) -> str:
    """A memo's key from the JSON-able ``parts`` it depends on (the same parts, the same key)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()


def code_fingerprint(modules: Iterable[ModuleType], salt: str) -> str:
    """A short hash of the source of these modules and of every digest module they use (what
    their names come from, followed to the end), and ``salt`` (digest's version, a library's):
    a memo keyed by it is redone when the code that made it changes."""
    source = b"".join(Path(str(module.__file__)).read_bytes() for module in _digest_modules(modules))
    return hashlib.sha256(salt.encode() + source).hexdigest()[:16]


def _digest_modules(modules: Iterable[ModuleType]) -> list[ModuleType]:
    """``modules`` and the digest modules they import at load time, by name (sorted)."""
    found: dict[str, ModuleType] = {}
    pending = list(modules)
    while pending:
        module = pending.pop()
        if module.__name__ in found:
            continue
        found[module.__name__] = module
        for value in vars(module).values():
            used = value if isinstance(value, ModuleType) else sys.modules.get(getattr(value, "__module__", None) or "")
            # Not a package: its attributes are whichever submodules happen to be loaded.
            if used is not None and used.__name__.startswith("digest.") and not hasattr(used, "__path__"):
                pending.append(used)
    return [found[name] for name in sorted(found)]


def memory_cache() -> Cache:
    """A cache for one run that keeps nothing afterwards (a build or preview without files)."""
    return Cache(open_store(":memory:", migrations=CACHE_MIGRATIONS, durable=False))


def file_size(path: Path) -> int:
    """Bytes a SQLite file takes on disk, its write-ahead log included."""
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())
