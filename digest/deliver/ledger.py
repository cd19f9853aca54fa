"""The delivery ledger: one row per issue month and address in the store's ``deliveries``.

A row's status says how far its delivery got:

- ``pending``: nobody has a copy yet (not tried, or every try failed before the message
  was complete on the server);
- ``sending``: the whole message was on the server and only its answer was missing. It
  was most probably delivered, so it is reported as unconfirmed and never resent
  without being asked;
- ``sent``: the server accepted the message;
- ``failed``: refused for good, or the subscriber's format is not published.
"""

from __future__ import annotations

from dataclasses import dataclass

from digest.core.month import Month
from digest.core.store import Store, now
from digest.deliver.subscribers import Subscriber


@dataclass(frozen=True)
class LedgerEntry:
    address: str
    format: str
    status: str
    """pending, sending (unconfirmed), sent or failed."""
    message_id: str
    attempts: int
    updated_at: str
    error: str


def ledger(store: Store, month: Month) -> tuple[LedgerEntry, ...]:
    """Every delivery of the month, by address."""
    rows = store.query(
        "SELECT address, format, status, message_id, attempts, updated_at, error FROM deliveries "
        "WHERE issue_month = ? ORDER BY address", (str(month),))
    return tuple(LedgerEntry(**dict(row)) for row in rows)


def open_delivery(store: Store, month: Month, subscriber: Subscriber, message_id: str) -> str:
    """Create the delivery row once; returns its Message-ID, kept across retries and resends.

    ``message_id`` is used only when the row is new.
    """
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO deliveries (subscriber_id, address, issue_month, format, status, message_id, updated_at) "
            "VALUES (?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (issue_month, address) DO UPDATE SET "
            "subscriber_id = excluded.subscriber_id, format = excluded.format",
            (subscriber.id, subscriber.address, str(month), subscriber.format, message_id, now()))
        row = tx.execute("SELECT message_id FROM deliveries WHERE issue_month = ? AND address = ?",
                         (str(month), subscriber.address)).fetchone()
    return str(row[0])


def record(store: Store, month: Month, address: str, status: str, *,
           error: str | None = None, attempts: bool = False) -> None:
    """Set a delivery's status; ``attempts`` counts one more try, ``error`` None keeps the last one."""
    store.execute("UPDATE deliveries SET status = ?, updated_at = ?, attempts = attempts + ?, "
                  "error = coalesce(?, error) WHERE issue_month = ? AND address = ?",
                  (status, now(), int(attempts), error, str(month), address))
