"""The record, the private file and the cache: an old single file moved without loss, a cache
that may be lost or damaged, a record that may not, pruning least recently used first."""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
from datetime import timedelta

import pytest
from click.testing import CliRunner
from conftest import DATA

from digest.cli import cli
from digest.core.cache import CACHE_MIGRATIONS, TABLES, stamping
from digest.core.configfile import load_config
from digest.core.month import Month
from digest.core.store import inflate, now, open_store
from digest.core.stores import build_stores, open_cache, open_private, open_record
from digest.core.urls import canonical_url
from digest.core.vocabulary import MB
from digest.deliver.ledger import ledger
from digest.deliver.subscribers import list_subscribers

# Built from the sample (2018-01 and 2018-02) by digest before the split, with one
# subscriber and one delivery added: the single file every existing publication has.
OLD_STORE = DATA / "store-v8.sqlite3"
OLD_BODY = b"\x89PNG a page body kept in the old file"


def tables(store) -> set[str]:
    return {row["name"] for row in store.query("SELECT name FROM sqlite_master WHERE type = 'table'")}


def count(store, table: str) -> int:
    return store.query_one(f"SELECT count(*) FROM {table}")[0]


def test_an_old_single_file_is_split_without_losing_a_row(project_copy):
    path = project_copy / "digest.sqlite3"
    shutil.copyfile(OLD_STORE, path)
    with sqlite3.connect(path) as old:  # a page body, as the old digest kept them (no module writes that schema now)
        old.execute("INSERT INTO http_cache (url, final_url, status, headers, body, fetched_at, body_sha256, "
                    "body_size) VALUES ('https://example.org/a.png', 'https://example.org/a.png', 200, '{}', ?, "
                    "'2018-02-01T00:00:00+00:00', 'x', ?)", (OLD_BODY, len(OLD_BODY)))
        before = {table: old.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                  for table in ("entries", "published_articles", "build_memo", "subscribers", "deliveries")}
        entry_data = {row[0]: json.loads(row[1]) for row in old.execute("SELECT key, data FROM entries")}
    old.close()
    assert before["entries"] and before["published_articles"] and before["build_memo"]  # a real, used store
    config = load_config(project_copy / "digest.toml")

    # Subscribers asked for first: the split happens before the private file is read.
    with open_private(config) as private:
        assert [s.address for s in list_subscribers(private)] == ["reader@example.org"]
        assert [(e.address, e.status) for e in ledger(private, Month(2018, 1))] == [("reader@example.org", "sent")]
        assert count(private, "subscribers") == before["subscribers"]
    with open_record(config) as record:
        assert not tables(record) & {"subscribers", "deliveries", "http_cache", "processed_images", "build_memo"}
        assert count(record, "published_articles") == before["published_articles"]
        rows = record.query("SELECT key, data FROM entries")
        assert {row["key"]: json.loads(inflate(row["data"])) for row in rows} == entry_data  # compressed, intact
    with open_cache(config.cache.path) as cache:
        assert count(cache.store, "build_memo") == before["build_memo"]
        row = cache.store.query_one("SELECT body, used_at FROM http_cache")
        assert bytes(row["body"]) == OLD_BODY and row["used_at"] == "2018-02-01T00:00:00+00:00"
    # Opened again: nothing moves twice, nothing is lost.
    with open_private(config) as private, open_record(config) as record:
        assert count(private, "deliveries") == before["deliveries"]
        assert count(record, "entries") == before["entries"]
    assert b"reader@example.org" not in path.read_bytes()
    assert path.stat().st_size < OLD_STORE.stat().st_size / 2  # the moved pages were given back


def test_the_record_never_holds_a_subscriber_address(project_copy):
    runner = CliRunner()
    config = str(project_copy / "digest.toml")
    assert runner.invoke(cli, ["subscribers", "add", "ada@kindle.com", "--config", config]).exit_code == 0
    assert runner.invoke(cli, ["fetch", "--config", config]).exit_code == 0
    record = project_copy / "digest.sqlite3"
    with open_record(load_config(project_copy / "digest.toml")) as store:
        assert count(store, "entries") > 0
        assert not tables(store) & {"subscribers", "deliveries"}
    published = b"".join(path.read_bytes() for path in project_copy.glob("digest.sqlite3*"))
    assert record.is_file() and b"ada@kindle.com" not in published
    assert b"ada@kindle.com" in (project_copy / "digest-private.sqlite3").read_bytes()


@pytest.mark.parametrize("damage", ["truncated", "garbage", "newer"])
def test_a_damaged_or_newer_cache_starts_again_empty_with_a_warning(tmp_path, caplog, damage):
    path = tmp_path / "cache.sqlite3"
    with open_cache(path) as cache:
        for n in range(200):
            cache.remember("memo", str(n), "x" * 4000)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "garbage":
        path.write_bytes(b"not a database at all" * 100)
    else:
        open_store(path, migrations=[*CACHE_MIGRATIONS, (99, "future", "CREATE TABLE future (x)")]).close()
    with caplog.at_level(logging.WARNING), open_cache(path) as cache:
        assert cache.recall("memo", "1") is None
        cache.remember("memo", "1", "again")
        assert cache.recall("memo", "1") == "again"
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert str(path) in warning and "started again empty" in warning
    assert {"truncated": "truncated", "garbage": "not a SQLite database", "newer": "newer"}[damage] in warning


def test_a_deleted_cache_is_started_again_with_a_warning(project_copy, caplog):
    config = load_config(project_copy / "digest.toml")
    with build_stores(config) as stores:
        stores.cache.remember("memo", "key", "value")
    config.cache.path.unlink()
    with caplog.at_level(logging.WARNING), build_stores(config) as stores:
        assert stores.cache.recall("memo", "key") is None
    assert f"{config.cache.path}: no cache (deleted?)" in caplog.text


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_a_damaged_record_stops_the_build_with_the_way_to_recover(project_copy, damage):
    config = load_config(project_copy / "digest.toml")
    with open_record(config) as record, record.transaction() as tx:
        tx.executemany("INSERT INTO published_articles (issue_month, key, guid, title, published_at) "
                       "VALUES ('2017-12', ?, ?, 't', 'now')", [(f"k{n}" * 200, f"g{n}") for n in range(300)])
    path = config.store.path
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if damage == "truncated" else b"\0" * len(data))
    result = CliRunner().invoke(cli, ["build", "--month", "2018-01", "--config", str(project_copy / "digest.toml")])
    assert result.exit_code != 0
    [line] = result.output.splitlines()
    assert line.startswith(f"error: {path}: ") and "digest record rebuild" in line
    assert path.read_bytes() != b"" and not (project_copy / "dist").exists()  # nothing replaced, nothing built


def test_a_second_build_on_the_same_record_is_refused_clearly(project_copy):
    config = load_config(project_copy / "digest.toml")
    runner = CliRunner()
    with build_stores(config):
        for command in (["build", "--month", "2018-01"], ["fetch"], ["prune"]):
            result = runner.invoke(cli, [*command, "--config", str(project_copy / "digest.toml")])
            assert result.exit_code == 1, command
            assert result.output.startswith(f"error: {config.store.path}: in use by another digest build"), command
    assert runner.invoke(cli, ["prune", "--config", str(project_copy / "digest.toml")]).exit_code == 0


def test_prune_drops_the_least_recently_used_and_never_what_the_running_build_used(tmp_path):
    path = tmp_path / "cache.sqlite3"
    with open_cache(path) as cache:
        for n, used in enumerate(["2020-01-01", "2021-01-01", "2022-01-01", "2023-01-01"]):
            cache.remember("memo", str(n), str(n) * MB)
            cache.store.execute("UPDATE build_memo SET used_at = ? WHERE key = ?", (used, str(n)))
    full = path.stat().st_size
    with open_cache(path) as cache:
        assert cache.recall("memo", "0") == "0" * MB  # the oldest, but this build uses it
        dry = cache.prune(MB // 2, dry_run=True)
        assert (dry.rows, count(cache.store, "build_memo")) == (3, 4)  # a dry run removes nothing
        pruned = cache.prune(MB // 2)
        assert pruned == dry
        assert [row["key"] for row in cache.store.query("SELECT key FROM build_memo")] == ["0"]
        assert pruned.in_use >= MB and pruned.kept > MB // 2  # over the bound: the build needs it
    assert path.stat().st_size < full / 2  # the pages went back to the file system
    with open_cache(path) as cache:
        cache.store.execute("UPDATE build_memo SET used_at = '2020-01-01'")
    with open_cache(path) as cache:  # a later run: no longer in use, so pruned
        assert cache.prune(MB // 2).rows == 1 and count(cache.store, "build_memo") == 0


def test_a_row_used_again_within_a_day_keeps_its_stamp_and_is_still_kept_while_in_use(tmp_path):
    path = tmp_path / "cache.sqlite3"
    recent = now(timedelta(hours=1))
    with open_cache(path) as cache:
        for key, used in (("old", "2020-01-01"), ("recent", recent)):
            cache.remember("memo", key, key * MB)
            cache.store.execute("UPDATE build_memo SET used_at = ? WHERE key = ?", (used, key))
    with open_cache(path) as cache:
        assert cache.recall("memo", "recent") and cache.recall("memo", "old")
        cache.flush()
        stamps = {row["key"]: row["used_at"] for row in cache.store.query("SELECT key, used_at FROM build_memo")}
        assert stamps["recent"] == recent and stamps["old"] >= cache.opened  # rewritten once a day at most
        assert cache.prune(0).rows == 0  # both in use, whatever their stamps say
    with open_cache(path) as cache:  # a later run that uses neither: the older stamp goes first
        cache.opened = now(timedelta(seconds=-1))  # later than the last run's stamps, even within its second
        # 9 MB held ("recent" 6, "old" 3, a row weighs its value and key): dropping the row stamped first
        # is enough for a bound of what "old" weighs.
        assert cache.prune(3 * MB + len("old")).rows == 1
        assert [row["key"] for row in cache.store.query("SELECT key FROM build_memo")] == ["old"]  # stamped last


@pytest.mark.slow  # the sample issues, built once per session
def test_record_rebuild_takes_back_what_each_published_issue_carried(project_copy, sample_builds):
    out = next(iter(sample_builds.values())).epub.parent.parent.parent
    result = CliRunner().invoke(cli, ["record", "rebuild", "--config", str(project_copy / "digest.toml"),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("recorded the articles of 2 published issues")
    config = load_config(project_copy / "digest.toml")
    with open_record(config) as record:
        for month, built in sample_builds.items():
            rows = record.query("SELECT key FROM published_articles WHERE issue_month = ?", (month,))
            carried = [a.link for a in built.issue.articles] + [link.url for g in built.issue.curated for link in g.links]
            assert {row["key"] for row in rows} == {canonical_url(url) for url in carried}
    again = CliRunner().invoke(cli, ["record", "rebuild", "--config", str(project_copy / "digest.toml"),
                                     "--out", str(out)])
    assert again.output.strip().endswith("recorded the articles of 0 published issues")  # none unknown now


def test_a_used_rows_stamp_is_checked_in_its_index_not_read_past_its_body(tmp_path):
    # The stamp column comes after the body: reading it from the row walks the whole body.
    with open_cache(tmp_path / "cache.sqlite3") as cache:
        for table, (columns, _, stamps) in TABLES.items():
            plan = " ".join(row["detail"] for row in cache.store.query("EXPLAIN QUERY PLAN " + stamping(table),
                                                                       ["now", "then"] + ["key"] * len(columns)))
            assert f"USING INDEX {stamps}" in plan and "used_at<?" in plan, plan
