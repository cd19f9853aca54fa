"""E-mail a published issue to every active subscriber, once, with a ledger in the store.

Crash safety rests on where a delivery's row says ``sending``. The row is committed as
``sending`` only after the whole message body has gone out and just before the final
``.`` that ends the SMTP DATA phase; it becomes ``sent`` when the server answers 250.
A server never delivers a message whose DATA phase did not end, so:

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
import itertools
import logging
import os
import re
import smtplib
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path

from digest.core.config import Config
from digest.core.errors import ConfigError, DeliveryError
from digest.core.month import Month
from digest.core.store import Store, now
from digest.deliver.readiness import require_delivery_ready
from digest.deliver.subscribers import Subscriber, find_subscriber, list_subscribers
from digest.publish.bundle import MEDIA_TYPES
from digest.publish.staging import file_stem, month_dir

log = logging.getLogger(__name__)

MAX_ATTACHMENT_BYTES = 50_000_000  # Send to Kindle's e-mail limit, read as decimal megabytes
SMTP_TIMEOUT_SECONDS = 120
# Unfolded headers: some mail systems mangle a Message-ID folded onto a second line.
MESSAGE_POLICY = SMTP_POLICY.clone(max_line_length=998)


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


class _Ambiguous(Exception):
    """The message was complete on the server but no answer came back."""


def send_issue(config: Config, store: Store, month: Month, *, to: str | None = None,
               dry_run: bool = False, resend: bool = False) -> SendReport:
    """Send the month's published file to each active subscriber not yet served."""
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
                    _ledger_row(config, store, month, subscriber)
                    _update(store, month, subscriber, "failed", error=error)
                outcomes.append(Outcome(subscriber.address, subscriber.format,
                                        "would fail" if dry_run else "failed", error))
            else:
                todo.append(subscriber)
        if dry_run or todo:
            require_delivery_ready(config)
        if dry_run:
            outcomes += [Outcome(s.address, s.format, "would send", str(files[s.format])) for s in todo]
        elif todo:
            with _Relay(config) as relay:
                for index, subscriber in enumerate(todo):
                    if index:
                        time.sleep(config.delivery.rate_limit_seconds)
                    outcomes.append(_deliver(config, store, relay, month, subscriber, files[subscriber.format]))
    return SendReport(month, tuple(sorted(outcomes, key=lambda o: o.address.lower())), dry_run)


_UNCONFIRMED = ("a previous run stopped after sending the message but before the server answered; "
                "probably delivered, so not resent (send --to ADDRESS --resend to force)")


def ledger(store: Store, month: Month) -> tuple[LedgerEntry, ...]:
    rows = store.query(
        "SELECT address, format, status, message_id, attempts, updated_at, error FROM deliveries "
        "WHERE issue_month = ? ORDER BY address", (str(month),))
    return tuple(LedgerEntry(**dict(row)) for row in rows)


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


def _deliver(config: Config, store: Store, relay: _Relay, month: Month, subscriber: Subscriber,
             path: Path) -> Outcome:
    """One subscriber: retry temporary failures with backoff, record the end result."""
    settings = config.delivery
    message_id = _ledger_row(config, store, month, subscriber)
    message = _message(config, month, subscriber, path, message_id)
    for attempt in itertools.count():
        if attempt:
            time.sleep(settings.retry_backoff_seconds * 2 ** (attempt - 1))
        _update(store, month, subscriber, "pending", attempts=True)
        try:
            reply = relay.transmit(subscriber.address, message,
                                   lambda: _update(store, month, subscriber, "sending"))
        except _Ambiguous as exc:
            _update(store, month, subscriber, "sending", error=str(exc))
            log.warning("%s: no answer after the message was sent: %s (left unconfirmed)", subscriber.address, exc)
            return Outcome(subscriber.address, subscriber.format, "unconfirmed", str(exc))
        except smtplib.SMTPResponseException as exc:
            error = f"{exc.smtp_code} {_text(exc.smtp_error)}"
            if exc.smtp_code >= 500 or attempt == settings.max_retries:
                _update(store, month, subscriber, "failed", error=error)
                log.warning("%s: refused: %s", subscriber.address, error)
                return Outcome(subscriber.address, subscriber.format, "failed", error)
            _update(store, month, subscriber, "pending", error=error)
            log.info("%s: temporary failure %s; retrying", subscriber.address, error)
            continue
        except (smtplib.SMTPException, OSError) as exc:
            _update(store, month, subscriber, "pending", error=str(exc))
            if attempt == settings.max_retries:
                raise DeliveryError(f"{settings.host}:{settings.smtp_port}: {exc} (gave up after "
                                    f"{attempt + 1} attempts; the run can be repeated safely)") from None
            log.info("%s: %s; retrying", subscriber.address, exc)
            continue
        _update(store, month, subscriber, "sent", error="")
        log.info("sent %s to %s (%s)", path.name, subscriber.address, reply)
        return Outcome(subscriber.address, subscriber.format, "sent", message_id)


def _ledger_row(config: Config, store: Store, month: Month, subscriber: Subscriber) -> str:
    """Create the delivery row once; its Message-ID is kept across retries and resends."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO deliveries (subscriber_id, address, issue_month, format, status, message_id, updated_at) "
            "VALUES (?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (issue_month, address) DO UPDATE SET "
            "subscriber_id = excluded.subscriber_id, format = excluded.format",
            (subscriber.id, subscriber.address, str(month), subscriber.format,
             make_msgid(f"digest.{month}", domain=config.delivery.from_address.rpartition("@")[2] or "localhost"),
             now()))
        row = conn.execute("SELECT message_id FROM deliveries WHERE issue_month = ? AND address = ?",
                           (str(month), subscriber.address)).fetchone()
    return row[0]


def _update(store: Store, month: Month, subscriber: Subscriber, status: str, *,
            error: str | None = None, attempts: bool = False) -> None:
    with store.transaction() as conn:
        conn.execute("UPDATE deliveries SET status = ?, updated_at = ?, attempts = attempts + ?, "
                     "error = coalesce(?, error) WHERE issue_month = ? AND address = ?",
                     (status, now(), int(attempts), error, str(month), subscriber.address))


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


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


class _Relay:
    """One SMTP session for the run, reopened after the server drops it."""

    def __init__(self, config: Config):
        settings = config.delivery
        if not settings.host:
            raise DeliveryError(f"{config.path}: delivery.host is not set: nowhere to send")
        self.settings = settings
        self.password = ""
        if settings.username:
            self.password = os.environ.get(settings.password_env, "")
            if not self.password:
                raise DeliveryError(f"the SMTP password for {settings.username} is not set: "
                                    f"export {settings.password_env}")
        self.client: smtplib.SMTP | None = None

    def __enter__(self) -> _Relay:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        # After an error the session may be mid-DATA: just close, so the server drops the message.
        self._drop(quit=exc_type is None)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        log.debug("connecting to %s:%d (%s)", s.host, s.smtp_port, s.security)
        try:
            return self._open()
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"{s.host}: login as {s.username} refused: "
                                f"{exc.smtp_code} {_text(exc.smtp_error)}") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(f"{s.host}: {exc}") from None
        except smtplib.SMTPResponseException as exc:
            reason = f"{s.host}:{s.smtp_port} answered {exc.smtp_code} {_text(exc.smtp_error)}"
            if exc.smtp_code >= 500:
                raise DeliveryError(reason) from None
            raise ConnectionError(reason) from None  # temporary: retried like a refused connection

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        if s.security == "ssl":
            client = smtplib.SMTP_SSL(s.host, s.smtp_port, timeout=SMTP_TIMEOUT_SECONDS, context=context)
        else:
            client = smtplib.SMTP(s.host, s.smtp_port, timeout=SMTP_TIMEOUT_SECONDS)
        try:
            client.ehlo()
            if s.security == "starttls":
                client.starttls(context=context)
                client.ehlo()
            log.debug("server offers: %s", ", ".join(sorted(client.esmtp_features)))
            if s.username:
                client.login(s.username, self.password)
                log.debug("logged in as %s", s.username)
        except BaseException:
            client.close()
            raise
        return client

    def _drop(self, *, quit: bool = False) -> None:
        if self.client is not None:
            try:
                if quit:
                    self.client.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.client.close()
            self.client = None

    def transmit(self, recipient: str, message: bytes, before_end_of_data: Callable[[], None]) -> str:
        """One SMTP transaction. Calls ``before_end_of_data`` just before the final '.'."""
        if self.client is None:
            self.client = self._connect()
        smtp = self.client
        ended = False
        try:
            options = [f"SIZE={len(message)}"] if smtp.has_extn("size") else []
            code, text = smtp.mail(self.settings.from_address, options)
            if code >= 500:
                raise DeliveryError(f"{self.settings.host}: sender {self.settings.from_address} refused: "
                                    f"{code} {_text(text)}")
            self._expect((code, text), (250,), "MAIL FROM")
            self._expect(smtp.rcpt(recipient), (250, 251), f"RCPT TO:<{recipient}>")
            self._expect(smtp.docmd("DATA"), (354,), "DATA")
            smtp.send(_dot_stuffed(message))
            before_end_of_data()
            ended = True
            smtp.send(b".\r\n")
            return self._expect(smtp.getreply(), (250,), "end of data")
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 421:
                self._drop()
            else:
                self._reset()
            raise
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            if ended:
                raise _Ambiguous(str(exc) or type(exc).__name__) from None
            raise

    @staticmethod
    def _expect(reply: tuple[int, bytes], codes: tuple[int, ...], what: str) -> str:
        code, text = reply
        log.debug("%s -> %d %s", what, code, _text(text))
        if code not in codes:
            raise smtplib.SMTPResponseException(code, text)
        return f"{code} {_text(text)}"

    def _reset(self) -> None:
        try:
            self.client.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()


def _dot_stuffed(message: bytes) -> bytes:
    """The DATA payload without its terminator (RFC 5321 4.5.2 transparency)."""
    body = re.sub(rb"(?m)^\.", b"..", message)
    return body if body.endswith(b"\r\n") else body + b"\r\n"


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


def format_send_report(report: SendReport) -> str:
    counts: dict[str, int] = {}
    for outcome in report.outcomes:
        counts[outcome.result] = counts.get(outcome.result, 0) + 1
    head = f"{report.month}: " + (", ".join(f"{n} {result}" for result, n in sorted(counts.items()))
                                  or "no active subscribers")
    lines = [head]
    for o in report.outcomes:
        if o.result != "already sent":
            lines.append(f"  {o.result:<11} {o.address} ({o.format})" + (f": {o.detail}" if o.detail else ""))
    return "\n".join(lines)


def format_deliveries(month: Month, entries: tuple[LedgerEntry, ...]) -> str:
    if not entries:
        return f"{month}: no deliveries"
    width = max(len(e.address) for e in entries)
    lines = [f"{e.address:<{width}}  {e.format:<4}  {_STATUS_LABEL.get(e.status, e.status):<11}  "
             f"{e.attempts} attempt{'s' * (e.attempts != 1)}  {e.updated_at}  {e.message_id}  {e.error}".rstrip() for e in entries]
    return "\n".join([f"{month}: {len(entries)} deliveries", *lines])


_STATUS_LABEL = {"sending": "unconfirmed"}
