"""The SQLite store: numbered, transactional, idempotent migrations."""

from __future__ import annotations

import sqlite3

import pytest

from digest.core.errors import StoreError
from digest.core.store import CACHE_PAGE_SIZE, MIGRATIONS, open_store

TWO = [
    (1, "people", "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"),
    (2, "pets", """
        CREATE TABLE pets (id INTEGER PRIMARY KEY, owner INTEGER REFERENCES people(id), name TEXT);
        CREATE TRIGGER pets_named AFTER INSERT ON pets BEGIN
            UPDATE pets SET name = 'unnamed; really' WHERE id = new.id AND name IS NULL;
        END;
    """),
]


def migrations_of(store):
    return [tuple(r) for r in store.query("SELECT number, name FROM schema_migrations ORDER BY number")]


def test_in_memory_store_has_every_migration_in_order():
    with open_store(":memory:") as store:
        assert migrations_of(store) == [(n, name) for n, name, _ in MIGRATIONS]
        assert store.query_one("PRAGMA foreign_keys")[0] == 1


def test_file_store_creates_folders_uses_wal_and_reopens_without_reapplying(tmp_path):
    path = tmp_path / "state" / "nested" / "digest.sqlite3"
    with open_store(path, migrations=TWO) as store:
        assert store.query_one("PRAGMA journal_mode")[0] == "wal"
        assert store.query_one("PRAGMA busy_timeout")[0] > 0
        applied_at = store.query("SELECT applied_at FROM schema_migrations")
        with store.transaction() as conn:
            conn.execute("INSERT INTO people (name) VALUES ('Ada')")
            conn.execute("INSERT INTO pets (owner) VALUES (1)")
    with open_store(path, migrations=TWO) as store:
        assert store.query("SELECT applied_at FROM schema_migrations") == applied_at
        # The trigger body holds a ';' inside BEGIN...END and a string: split correctly.
        assert store.query_one("SELECT name FROM pets")[0] == "unnamed; really"
        with pytest.raises(sqlite3.IntegrityError):  # foreign keys are enforced
            with store.transaction() as conn:
                conn.execute("INSERT INTO pets (owner) VALUES (99)")


def test_later_migrations_apply_to_an_older_database(tmp_path):
    path = tmp_path / "digest.sqlite3"
    open_store(path, migrations=TWO[:1]).close()
    with open_store(path, migrations=TWO) as store:
        assert migrations_of(store) == [(1, "people"), (2, "pets")]


def test_a_failing_migration_leaves_no_trace_and_earlier_ones_stay(tmp_path):
    path = tmp_path / "digest.sqlite3"
    broken = [*TWO, (3, "broken", "CREATE TABLE toys (id INTEGER); INSERT INTO nowhere VALUES (1);")]
    with pytest.raises(StoreError, match="nowhere"):
        open_store(path, migrations=broken)
    with open_store(path, migrations=TWO) as store:
        assert migrations_of(store) == [(1, "people"), (2, "pets")]
        tables = {r[0] for r in store.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "toys" not in tables


def test_refuses_a_database_newer_than_the_code(tmp_path):
    path = tmp_path / "digest.sqlite3"
    open_store(path, migrations=TWO).close()
    with pytest.raises(StoreError, match=r"schema migration 2, newer than this version of digest knows \(up to 1\)"):
        open_store(path, migrations=TWO[:1])


def test_transaction_rolls_back_on_error():
    with open_store(":memory:", migrations=TWO) as store:
        with pytest.raises(RuntimeError):
            with store.transaction() as conn:
                conn.execute("INSERT INTO people (name) VALUES ('Ada')")
                raise RuntimeError("boom")
        assert store.query_one("SELECT count(*) FROM people")[0] == 0


def test_a_locked_database_is_a_store_error(tmp_path):
    path = tmp_path / "digest.sqlite3"
    with open_store(path, migrations=TWO) as holder, open_store(path, migrations=TWO) as waiter:
        waiter.query("PRAGMA busy_timeout = 0")
        with holder.transaction():
            with pytest.raises(StoreError, match="locked"):
                with waiter.transaction():
                    pass


def test_a_build_store_does_not_wait_for_the_disk_and_the_default_store_does(tmp_path):
    with open_store(tmp_path / "durable.sqlite3") as durable, \
            open_store(tmp_path / "build.sqlite3", durable=False) as build:
        assert durable.query_one("PRAGMA synchronous")[0] == 2  # FULL
        assert build.query_one("PRAGMA synchronous")[0] == 1  # NORMAL
        assert build.query_one("PRAGMA journal_mode")[0] == "wal"


def test_a_new_cache_file_has_large_pages_and_an_existing_one_keeps_its_own(tmp_path):
    """The cache holds bodies of hundreds of kilobytes: 16 KiB pages store them in fewer pieces."""
    with open_store(tmp_path / "record.sqlite3") as record, \
            open_store(tmp_path / "cache.sqlite3", durable=False) as cache:
        assert record.query_one("PRAGMA page_size")[0] == 4096
        assert cache.query_one("PRAGMA page_size")[0] == CACHE_PAGE_SIZE
        assert cache.query_one("PRAGMA auto_vacuum")[0] == 2  # INCREMENTAL, so pruning gives pages back
    old = sqlite3.connect(tmp_path / "old-cache.sqlite3")
    old.execute("CREATE TABLE earlier (x)")
    old.commit()
    old.close()
    with open_store(tmp_path / "old-cache.sqlite3", durable=False) as reopened:
        assert reopened.query_one("PRAGMA page_size")[0] == 4096  # not rewritten: it works as it is
