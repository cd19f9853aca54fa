"""E-mail a published issue to every active subscriber, once: recipients, messages, pacing.

The SMTP session and its retries are ``relay``'s, the record of each delivery is
``ledger``'s. Crash safety rests on where a delivery's row says ``sending``. The row is
committed as ``sending`` only after the whole message body has gone out and just before
the final ``.`` that ends the SMTP DATA phase; it becomes ``sent`` when the server
answers 250. A server never delivers a message whose DATA phase did not end, so:

- a run killed (or disconnected) before that point leaves the row ``pending``:
  nobody got a copy, and the next run sends one;
- a row still ``sending`` means the server had the complete message but we never saw
  its answer. It was most probably delivered, so it is never resent automatically
  (nobody gets a second copy); it is reported as unconfirmed, and
  ``digest send --to ADDRESS --resend`` sends it again with the same Message-ID.

A lock file beside the database keeps two sends from running at once, so a ``sending``
row seen by a run always belongs to a run that is gone.
"""

from __future__ import annotations

import fcntl
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.errors import MessageError
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path

from digest.core.config import Config
from digest.core.errors import ConfigError, DeliveryError
from digest.core.month import Month
from digest.core.store import Store
from digest.core.vocabulary import MEDIA_TYPES, SEND_TO_KINDLE_LIMIT_MB
from digest.deliver.ledger import ledger, open_delivery, record
from digest.deliver.readiness import require_delivery_ready
from digest.deliver.relay import Relay
from digest.deliver.subscribers import Subscriber, find_subscriber, list_subscribers
from digest.publish.staging import file_stem, month_dir

log = logging.getLogger(__name__)

MAX_ATTACHMENT_BYTES = SEND_TO_KINDLE_LIMIT_MB * 1_000_000  # read as decimal megabytes
# Unfolded headers: some mail systems mangle a Message-ID folded onto a second line.
MESSAGE_POLICY = SMTP_POLICY.clone(max_line_length=998)


@dataclass(frozen=True)
class Outcome:
    address: str
    format: str
    result: str
    """sent, failed, unconfirmed, already sent; would send or would fail in a dry run."""
    detail: str = ""


@dataclass(frozen=True)
class SendReport:
    month: Month
    outcomes: tuple[Outcome, ...]
    dry_run: bool

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.result in ("failed", "would fail"))


def send_issue(config: Config, store: Store, month: Month, *, to: str | None = None,
               dry_run: bool = False, resend: bool = False,
               sleep: Callable[[float], None] = time.sleep) -> SendReport:
    """Send the month's published file to each active subscriber not yet served.

    ``sleep`` waits between messages and between retries; tests pass one that does not.
    """
    if resend and not to:
        raise ConfigError("--resend needs --to: it is for one subscriber whose delivery is unconfirmed")
    with _send_lock(store):
        recipients = _recipients(store, to)
        files = _published_files(config, month, {s.format for s in recipients})
        recorded = {e.address.lower(): e for e in ledger(store, month)}
        outcomes: list[Outcome] = []
        todo: list[Subscriber] = []
        for subscriber in recipients:
            entry = recorded.get(subscriber.address.lower())
            if entry and entry.status == "sent" and not resend:
                outcomes.append(Outcome(subscriber.address, entry.format, "already sent", entry.updated_at))
            elif entry and entry.status == "sending" and not resend:
                outcomes.append(Outcome(subscriber.address, entry.format, "unconfirmed", _UNCONFIRMED))
            elif subscriber.format not in files:
                error = f"no {subscriber.format} published for {month}: add it to output.formats and rebuild"
                if not dry_run:
                    open_delivery(store, month, subscriber, _message_id(config, month))
                    record(store, month, subscriber.address, "failed", error=error)
                outcomes.append(Outcome(subscriber.address, subscriber.format,
                                        "would fail" if dry_run else "failed", error))
            else:
                todo.append(subscriber)
        if dry_run or todo:
            require_delivery_ready(config)
        if dry_run:
            outcomes += [Outcome(s.address, s.format, "would send", str(files[s.format])) for s in todo]
        elif todo:
            with Relay(config, sleep=sleep) as relay:
                for index, subscriber in enumerate(todo):
                    if index:
                        sleep(config.delivery.rate_limit_seconds)
                    outcomes.append(_deliver(config, store, relay, month, subscriber, files[subscriber.format]))
    return SendReport(month, tuple(sorted(outcomes, key=lambda o: o.address.lower())), dry_run)


_UNCONFIRMED = ("a previous run stopped after sending the message but before the server answered; "
                "probably delivered, so not resent (send --to ADDRESS --resend to force)")


def _recipients(store: Store, to: str | None) -> tuple[Subscriber, ...]:
    if to is None:
        return list_subscribers(store, active_only=True)
    subscriber = find_subscriber(store, to)
    if not subscriber.active:
        raise ConfigError(f"{to}: the subscriber is inactive")
    return (subscriber,)


def _published_files(config: Config, month: Month, formats: set[str]) -> dict[str, Path]:
    folder = month_dir(config, month)
    if not folder.is_dir():
        raise DeliveryError(f"{month} is not published ({folder} does not exist): run digest build first")
    files = {}
    for fmt in sorted(formats):
        path = folder / f"{file_stem(config, month)}.{fmt}"
        if not path.is_file():
            continue
        if (size := path.stat().st_size) > MAX_ATTACHMENT_BYTES:
            raise DeliveryError(f"{path}: {size / 1e6:.1f} MB is over the {MAX_ATTACHMENT_BYTES / 1e6:.0f} MB "
                                f"Send to Kindle limit; nothing was sent")
        files[fmt] = path
    return files


def _deliver(config: Config, store: Store, relay: Relay, month: Month, subscriber: Subscriber,
             path: Path) -> Outcome:
    """One subscriber: the relay's attempts, each step recorded in the ledger."""
    address = subscriber.address
    message_id = open_delivery(store, month, subscriber, _message_id(config, month))
    try:
        message = _message(config, month, subscriber, path, message_id)
    except (ValueError, MessageError) as exc:
        # One row the mail library refuses (a name stored before it was checked) fails alone.
        error = f"cannot write the message: {exc}"
        record(store, month, address, "failed", error=error)
        return Outcome(address, subscriber.format, "failed", error)
    sent = relay.send(address, message,
                      on_attempt=lambda: record(store, month, address, "pending", attempts=True),
                      before_end_of_data=lambda: record(store, month, address, "sending"),
                      on_temporary_failure=lambda error: record(store, month, address, "pending", error=error))
    if sent.result != "sent":
        record(store, month, address, "sending" if sent.result == "unconfirmed" else "failed", error=sent.detail)
        return Outcome(address, subscriber.format, sent.result, sent.detail)
    record(store, month, address, "sent", error="")
    log.info("sent %s to %s (%s)", path.name, address, sent.detail)
    return Outcome(address, subscriber.format, "sent", message_id)


def _message_id(config: Config, month: Month) -> str:
    return make_msgid(f"digest.{month}", domain=config.delivery.from_address.rpartition("@")[2] or "localhost")


def _message(config: Config, month: Month, subscriber: Subscriber, path: Path, message_id: str) -> bytes:
    title = config.publication.title
    msg = EmailMessage(policy=MESSAGE_POLICY)
    msg["From"] = formataddr((title, config.delivery.from_address))
    msg["To"] = formataddr((subscriber.name, subscriber.address))
    msg["Subject"] = f"{title}, {month.label}"
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = message_id
    msg.set_content(f"{title}, {month.label}, is attached as {path.name}.\n\n"
                    f"You receive it because {subscriber.address} is on the subscriber list "
                    f"of {config.publication.publisher}.\n")
    maintype, subtype = MEDIA_TYPES[subscriber.format].split("/")
    msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    return msg.as_bytes()


@contextmanager
def _send_lock(store: Store) -> Iterator[None]:
    """One send per database at a time; the kernel drops the lock when a process dies."""
    if store.path == ":memory:":
        yield
        return
    with open(f"{store.path}.send-lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DeliveryError(f"{store.path}: another digest send is running") from None
        yield
