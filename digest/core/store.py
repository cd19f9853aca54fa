"""The only module that opens SQLite: numbered transactional migrations for each database file.

digest keeps three files (digest.core.stores): the record (``MIGRATIONS``), the private file
of subscribers and deliveries, and the disposable cache.

Each migration runs in its own transaction together with its row in ``schema_migrations``, so a
database is always at a whole version. Queries live in the modules that own the tables
(``digest.deliver.subscribers``, ``digest.deliver.ledger``, ...); they receive a :class:`Store` and go
through its locked ``query``/``query_one``/``execute``/``transaction``: nothing else touches the connection.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from digest.core.errors import StoreError, UnusableStore

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
CACHE_PAGE_SIZE = 16384  # the cache's page and image bodies take 40% less CPU to write than in 4096

SUBSCRIBERS = """
        CREATE TABLE subscribers (
            id INTEGER PRIMARY KEY,
            address TEXT NOT NULL UNIQUE COLLATE NOCASE,
            name TEXT NOT NULL DEFAULT '',
            format TEXT NOT NULL CHECK (format IN ('epub', 'azw3', 'mobi')),
            active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
            added_at TEXT NOT NULL
        );
    """

# Keyed by address, not subscriber id, so removing and re-adding someone can never
# earn them a second copy of a month; the row outlives the subscriber.
DELIVERIES = """
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            subscriber_id INTEGER REFERENCES subscribers(id) ON DELETE SET NULL,
            address TEXT NOT NULL COLLATE NOCASE,
            issue_month TEXT NOT NULL CHECK (issue_month GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]'),
            format TEXT NOT NULL CHECK (format IN ('epub', 'azw3', 'mobi')),
            status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
            message_id TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL,
            error TEXT NOT NULL DEFAULT '',
            UNIQUE (issue_month, address)
        );
        CREATE INDEX deliveries_by_status ON deliveries (issue_month, status);
    """

# (number, name, SQL script). Append only: never edit or renumber a migration that
# has shipped, because databases in the field recorded it as applied.
MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "subscribers", SUBSCRIBERS),
    (2, "deliveries", DELIVERIES),
    # Conditional GET: the last good response of every URL with its validators.
    (3, "http_cache", """
        CREATE TABLE http_cache (
            url TEXT PRIMARY KEY,
            final_url TEXT NOT NULL,
            status INTEGER NOT NULL,
            headers TEXT NOT NULL,
            body BLOB NOT NULL,
            fetched_at TEXT NOT NULL
        );
    """),
    # Every entry ever seen in a feed, so an issue holds the whole month even when a
    # feed only shows its last ten items on the day the issue is built.
    (4, "entries", """
        CREATE TABLE entries (
            key TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            guid TEXT NOT NULL,
            link TEXT NOT NULL,
            published TEXT NOT NULL,
            data TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL
        );
        CREATE INDEX entries_by_published ON entries (published);
    """),
    # What each issue carried, so a later issue does not repeat it.
    (5, "published_articles", """
        CREATE TABLE published_articles (
            issue_month TEXT NOT NULL,
            key TEXT NOT NULL,
            guid TEXT NOT NULL,
            title TEXT NOT NULL,
            published_at TEXT NOT NULL,
            PRIMARY KEY (issue_month, key)
        );
        CREATE INDEX published_by_guid ON published_articles (guid);
    """),
    # Work a rebuild of unchanged inputs need not redo (digest.content.images.cache, digest.ebook.memo): fitted images
    # by original bytes and profile, and outcomes keyed by a book's SHA-256.
    (6, "build_caches", """
        CREATE TABLE processed_images (
            original_sha256 TEXT NOT NULL,
            profile TEXT NOT NULL,
            data BLOB NOT NULL,
            media_type TEXT NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (original_sha256, profile)
        );
        CREATE TABLE build_memo (
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            PRIMARY KEY (kind, key)
        );
    """),
    # Failed fetches not to repeat before retry_after (digest.ingest.failures): a URL that
    # answered 404/410, or "host:" + host:port for a name that did not resolve or a refused connection.
    (7, "fetch_failures", """
        CREATE TABLE fetch_failures (
            key TEXT PRIMARY KEY,
            reason TEXT NOT NULL,
            failed_at TEXT NOT NULL,
            retry_after TEXT NOT NULL
        );
    """),
    # The SHA-256 and size of each stored body, so a rebuild finds an image's fitted copy
    # (digest.content.images.cache) without reading the original; NULL in a row saved before
    # this migration until the row is next read (digest.ingest.httpcache). The index covers
    # the lookup: columns stored after a large body are reached only through its overflow pages.
    (8, "http_cache_body_sha256", """
        ALTER TABLE http_cache ADD COLUMN body_sha256 TEXT;
        ALTER TABLE http_cache ADD COLUMN body_size INTEGER;
        CREATE INDEX http_cache_digests ON http_cache (url, body_sha256, body_size);
    """),
    # The one file split in three (digest.core.stores moves these tables' rows out first):
    # the cache may be lost at any time, and subscribers' addresses must never be published.
    (9, "split_cache_and_private", """
        DROP TABLE http_cache;
        DROP TABLE processed_images;
        DROP TABLE build_memo;
        DROP TABLE deliveries;
        DROP TABLE subscribers;
    """),
    # Entry bodies kept deflated: the record holds every post ever seen, for years.
    (10, "compressed_entries", """
        UPDATE entries SET data = digest_deflate(data);
    """),
]


class Transaction:
    """The statements of one open transaction (see :meth:`Store.transaction`)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Cursor:
        return self._connection.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> sqlite3.Cursor:
        return self._connection.executemany(sql, rows)


@dataclass
class Store:
    """An open database. Every read and write goes through a method that holds ``lock``."""

    path: str
    _connection: sqlite3.Connection
    lock: threading.RLock = field(default_factory=threading.RLock)
    """Held by every call: fetch and image threads share the one connection."""

    def query(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        """All rows of a read."""
        with self.lock, self._errors():
            return self._connection.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Row | None:
        """The first row of a read, or None."""
        with self.lock, self._errors():
            row: sqlite3.Row | None = self._connection.execute(sql, params).fetchone()
            return row

    def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        """One statement in a transaction of its own; the number of rows it changed."""
        with self.transaction() as tx:
            return tx.execute(sql, params).rowcount

    def reclaim(self) -> None:
        """Give free pages back to the file system (sqlite3_exec steps the pragma to its end; execute does once)."""
        with self.lock, self._errors():
            self._connection.executescript("PRAGMA incremental_vacuum;")

    def dump(self) -> Iterator[str]:
        """The database as SQL text (sqlite3's iterdump)."""
        with self.lock:
            yield from self._connection.iterdump()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception; SQLite trouble becomes StoreError."""
        with self.lock, self._errors():
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(self._connection)
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as exc:  # locked, read-only, disk full: not the caller's bug
            raise StoreError(f"{self.path}: {exc}") from None
        except sqlite3.DatabaseError as exc:  # "malformed": damaged since it was opened
            if type(exc) is not sqlite3.DatabaseError:  # IntegrityError and the like: the caller's to handle
                raise
            raise StoreError(f"{self.path}: {exc}") from None

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def now(ago: timedelta = timedelta(0)) -> str:
    """The time stamp stored in every table: UTC, ISO 8601, whole seconds (``ago`` earlier)."""
    return (datetime.now(timezone.utc) - ago).replace(microsecond=0).isoformat()


def open_store(path: Path | str, *, migrations: Sequence[tuple[int, str, str]] = MIGRATIONS,
               durable: bool = True, prepare: Callable[[Store], None] | None = None) -> Store:
    """Open (creating if needed) the database at ``path`` (or ``":memory:"``) and migrate it.

    ``durable=False`` for the cache: its writes are work a rebuild does again, so a commit need
    not wait for the disk (WAL with synchronous=NORMAL: an operating-system crash may undo the
    last commits, never corrupt the file). On the bench's cold build, where the image workers
    commit about a thousand times, waiting for the disk each time cost 1.3 s. A file that is
    not a whole SQLite database, or has migrations newer than ``migrations``, raises UnusableStore.
    ``prepare`` sees the database before it is migrated (digest.core.stores moves rows out)."""
    name = str(path)
    if name != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        if damage := _damage(Path(path)):
            raise UnusableStore(f"{name}: {damage}", damaged=True)
    try:
        # isolation_level=None: transactions are explicit, never opened behind our back.
        # check_same_thread=False: fetch threads write the HTTP cache; callers serialise access.
        connection = sqlite3.connect(name, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                     check_same_thread=False)
        connection.row_factory = sqlite3.Row
        connection.create_function("digest_deflate", 1, deflate, deterministic=True)
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        connection.execute("PRAGMA foreign_keys = ON")
        # In a new file only (page_size first): the cache's bodies in fewer pages; pruning gives pages back.
        connection.execute(f"PRAGMA page_size = {4096 if durable else CACHE_PAGE_SIZE}")
        connection.execute("PRAGMA auto_vacuum = INCREMENTAL")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
        store = Store(name, connection)
        if prepare is not None:
            prepare(store)
        _migrate(store, migrations)
    except sqlite3.OperationalError as exc:  # locked, read-only, disk full
        raise StoreError(f"{name}: {exc}") from None
    except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed"
        raise UnusableStore(f"{name}: {exc}", damaged=True) from None
    return store


def deflate(value: str | bytes) -> bytes:
    """``value`` compressed (text as UTF-8); inflate reads it back."""
    return zlib.compress(value.encode("utf-8") if isinstance(value, str) else value, 9)


def inflate(value: bytes) -> str:
    return zlib.decompress(value).decode("utf-8")


def _damage(path: Path) -> str:
    """Why the file at ``path`` cannot be a whole SQLite database, or '' (also when there is none)."""
    if not path.exists() or not path.is_file():
        return ""
    with path.open("rb") as handle:
        header = handle.read(100)
    if not header.startswith(b"SQLite format 3\0") or len(header) < 100:
        return "not a SQLite database (truncated or overwritten)"
    page_size = int.from_bytes(header[16:18], "big")
    pages = int.from_bytes(header[28:32], "big")
    # The page count is valid when its change counter matches; with no WAL pending the file holds them all.
    wal = path.with_name(path.name + "-wal")
    if header[92:96] == header[24:28] and not (wal.exists() and wal.stat().st_size):
        expected = pages * (65536 if page_size == 1 else page_size)
        if path.stat().st_size < expected:
            return f"truncated ({path.stat().st_size} of {expected} bytes)"
    return ""


def _migrate(store: Store, migrations: Sequence[tuple[int, str, str]]) -> None:
    store.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                  "number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
    known = {number: name for number, name, _ in migrations}
    unknown = sorted(set(_applied(store)) - set(known))
    if unknown:
        store.close()
        raise UnusableStore(f"{store.path}: the database has schema migration {unknown[-1]}, newer than this "
                            f"version of digest knows (up to {max(known, default=0)}); upgrade digest")
    for number, name, script in sorted(migrations):
        if number in _applied(store):
            continue
        with store.transaction() as tx:
            # Re-checked under the write lock: another process may have just applied it.
            if number in _applied(store):
                continue
            for statement in _statements(script):
                tx.execute(statement)
            tx.execute("INSERT INTO schema_migrations (number, name, applied_at) VALUES (?,?,?)", (number, name, now()))
        log.info("%s: applied schema migration %d %s", store.path, number, name)


def _applied(store: Store) -> dict[int, str]:
    return {row[0]: row[1] for row in store.query("SELECT number, name FROM schema_migrations")}


def _statements(script: str) -> Iterator[str]:
    """Split a script into statements; executescript() would COMMIT the open transaction."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \t\r\n;"):
                yield pending
            pending = ""
    if pending.strip(" \t\r\n;"):
        raise StoreError(f"incomplete SQL statement in migration: {pending.strip()[:60]!r}")
