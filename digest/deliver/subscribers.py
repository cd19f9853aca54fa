"""The subscriber list in the store: add, remove, list, and import from CSV."""

from __future__ import annotations

import csv
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from digest.core.addresses import address_problem, header_text_problem, is_kindle_address
from digest.core.errors import ConfigError
from digest.core.store import Store, now
from digest.core.vocabulary import FORMATS, SEND_TO_KINDLE_FORMATS

log = logging.getLogger(__name__)

CSV_COLUMNS = ("address", "format", "name", "active")
_TRUE = {"1", "true", "yes", "y", "active", ""}
_FALSE = {"0", "false", "no", "n", "inactive"}


@dataclass(frozen=True)
class Subscriber:
    id: int
    address: str
    name: str
    format: str
    active: bool
    added_at: str


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    problems: tuple[str, ...]
    """One per rejected row: ``file:line: reason``."""


def add_subscriber(store: Store, address: str, *, format: str, name: str = "") -> Subscriber:
    address = address.strip()
    _check(address, format, name)
    try:
        with store.transaction() as conn:
            conn.execute("INSERT INTO subscribers (address, name, format, active, added_at) VALUES (?, ?, ?, 1, ?)",
                         (address, name, format, now()))
    except sqlite3.IntegrityError:
        raise ConfigError(f"{address}: already a subscriber") from None
    _warn_about_format(address, format)
    log.info("added subscriber %s (%s)", address, format)
    return find_subscriber(store, address)


def remove_subscriber(store: Store, address: str) -> None:
    """Forget a subscriber. Their delivery history stays: the ledger is keyed by address."""
    with store.transaction() as conn:
        removed = conn.execute("DELETE FROM subscribers WHERE address = ?", (address.strip(),)).rowcount
    if not removed:
        raise ConfigError(f"{address}: not a subscriber")
    log.info("removed subscriber %s", address)


def list_subscribers(store: Store, *, active_only: bool = False) -> tuple[Subscriber, ...]:
    sql = "SELECT * FROM subscribers" + (" WHERE active" if active_only else "") + " ORDER BY address"
    return tuple(_subscriber(row) for row in store.query(sql))


def find_subscriber(store: Store, address: str) -> Subscriber:
    row = store.query_one("SELECT * FROM subscribers WHERE address = ?", (address.strip(),))
    if row is None:
        raise ConfigError(f"{address}: not a subscriber")
    return _subscriber(row)


def import_subscribers(store: Store, path: Path, *, default_format: str) -> ImportResult:
    """Add or update every good row of a CSV file in one transaction; list the bad rows by line.

    Columns: ``address[,format,name,active]``, with or without a header row naming them.
    """
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            rows = [(reader.line_num, row) for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    columns: tuple[str, ...] = CSV_COLUMNS
    if rows and rows[0][1] and rows[0][1][0].strip().lower() == "address":
        columns = tuple(cell.strip().lower() for cell in rows.pop(0)[1])
        if unknown := [c for c in columns if c not in CSV_COLUMNS]:
            raise ConfigError(f"{path}:1: unknown column(s) {', '.join(unknown)} "
                              f"(expected: {', '.join(CSV_COLUMNS)})")

    good: dict[str, tuple[str, str, str, int]] = {}
    problems: list[str] = []
    for line, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        try:
            address, format, name, active = _parse_row(cells, columns, default_format)
            if address.lower() in good:
                raise ConfigError(f"{address} appears twice in the file")
        except ConfigError as exc:
            problems.append(f"{path}:{line}: {exc}")
            continue
        good[address.lower()] = (address, format, name, active)

    added = updated = 0
    with store.transaction() as conn:
        for address, format, name, active in good.values():
            changed = conn.execute("UPDATE subscribers SET format = ?, name = ?, active = ? WHERE address = ?",
                                   (format, name, active, address)).rowcount
            if not changed:
                conn.execute("INSERT INTO subscribers (address, name, format, active, added_at) "
                             "VALUES (?, ?, ?, ?, ?)", (address, name, format, active, now()))
            added += not changed
            updated += changed
    for address, format, _, _ in good.values():
        _warn_about_format(address, format)
    log.info("%s: %d subscribers added, %d updated, %d rows rejected", path, added, updated, len(problems))
    return ImportResult(added, updated, tuple(problems))


def _parse_row(cells: list[str], columns: tuple[str, ...], default_format: str) -> tuple[str, str, str, int]:
    if len(cells) > len(columns):
        raise ConfigError(f"{len(cells)} columns, expected at most {len(columns)} ({', '.join(columns)})")
    values = {column: cell.strip() for column, cell in zip(columns, cells)}
    address = values.get("address", "")
    format = values.get("format") or default_format
    name = values.get("name", "")
    _check(address, format, name)
    active = values.get("active", "").lower()
    if active not in _TRUE | _FALSE:
        raise ConfigError(f"active: expected yes/no, true/false or 1/0, got {active!r}")
    return address, format, name, int(active in _TRUE)


def _check(address: str, format: str, name: str) -> None:
    if problem := address_problem(address):
        raise ConfigError(problem)
    if problem := header_text_problem(name):
        raise ConfigError(f"name: {problem}")
    if format not in FORMATS:
        raise ConfigError(f"unknown format {format!r} (expected one of: {', '.join(FORMATS)})")


def _warn_about_format(address: str, format: str) -> None:
    kindle = is_kindle_address(address)
    if format in SEND_TO_KINDLE_FORMATS and not kindle:
        log.warning("%s is not a Send to Kindle address (@kindle.com, @free.kindle.com): "
                    "the %s will arrive as an ordinary attachment", address, format.upper())
    elif format not in SEND_TO_KINDLE_FORMATS and kindle:
        log.warning("%s is a Send to Kindle address, but Send to Kindle no longer accepts %s: "
                    "Amazon will reject it (use epub)", address, format.upper())


def _subscriber(row: sqlite3.Row) -> Subscriber:
    return Subscriber(row["id"], row["address"], row["name"], row["format"], bool(row["active"]), row["added_at"])
