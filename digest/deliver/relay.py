"""The SMTP relay: one session for a run, and one message sent with retries.

The relay knows nothing of the ledger: the caller passes callbacks for the moments
that matter to it, above all ``before_end_of_data``, called when the whole message is
on the server and only the final ``.`` of the DATA phase is left to send. A server
never delivers a message whose DATA phase did not end, so a failure before that point
means nobody got a copy; a lost answer after it means the copy is probably delivered.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass

from digest.core.config import Config
from digest.core.errors import DeliveryError

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Transmission:
    result: str
    """sent, failed (refused for good) or unconfirmed (complete on the server, no answer)."""
    detail: str
    """The server's answer when sent, else the error."""


class _Ambiguous(Exception):
    """The message was complete on the server but no answer came back."""


class Relay:
    """One SMTP session for the run, reopened after the server drops it.

    ``sleep`` waits between retries; tests pass one that does not.
    """

    def __init__(self, config: Config, *, sleep: Callable[[float], None] = time.sleep):
        # digest.deliver.readiness has checked host and password before any relay is made.
        settings = config.delivery
        self.settings = settings
        self.password = os.environ.get(settings.password_env, "") if settings.username else ""
        self.client: smtplib.SMTP | None = None
        self._sleep = sleep

    def __enter__(self) -> Relay:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        # After an error the session may be mid-DATA: just close, so the server drops the message.
        self._drop(quit=exc_type is None)

    def send(self, recipient: str, message: bytes, *, on_attempt: Callable[[], None],
             before_end_of_data: Callable[[], None],
             on_temporary_failure: Callable[[str], None]) -> Transmission:
        """Send ``message`` to ``recipient``, retrying temporary failures with backoff.

        ``on_attempt`` is called before each try, ``on_temporary_failure`` with the error
        after each try that may be repeated. Raises ``DeliveryError`` when the server
        stays unreachable: the run cannot go on.
        """
        settings = self.settings
        attempt = 0
        while True:
            on_attempt()
            try:
                return Transmission("sent", self._transmit(recipient, message, before_end_of_data))
            except _Ambiguous as exc:
                # Info, as below: the send report lists every recipient not sent, with the reason.
                log.info("%s: no answer after the message was sent: %s (left unconfirmed)", recipient, exc)
                return Transmission("unconfirmed", str(exc))
            except smtplib.SMTPResponseException as exc:
                error = f"{exc.smtp_code} {reply_text(exc.smtp_error)}"
                if exc.smtp_code >= 500 or attempt == settings.max_retries:
                    log.info("%s: refused: %s", recipient, error)
                    return Transmission("failed", error)
                on_temporary_failure(error)
                log.info("%s: temporary failure %s; retrying", recipient, error)
            except (smtplib.SMTPException, OSError) as exc:
                on_temporary_failure(str(exc))
                if attempt == settings.max_retries:
                    raise DeliveryError(f"{settings.host}:{settings.smtp_port}: {exc} (gave up after "
                                        f"{attempt + 1} attempts; the run can be repeated safely)") from None
                log.info("%s: %s; retrying", recipient, exc)
            self._sleep(settings.retry_backoff_seconds * 2 ** attempt)
            attempt += 1

    def _transmit(self, recipient: str, message: bytes, before_end_of_data: Callable[[], None]) -> str:
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
                                    f"{code} {reply_text(text)}")
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
                self._reset(smtp)
            raise
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            if ended:
                raise _Ambiguous(str(exc) or type(exc).__name__) from None
            raise

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        log.debug("connecting to %s:%d (%s)", s.host, s.smtp_port, s.security)
        try:
            return self._open()
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"{s.host}: login as {s.username} refused: "
                                f"{exc.smtp_code} {reply_text(exc.smtp_error)}") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(f"{s.host}: {exc}") from None
        except smtplib.SMTPResponseException as exc:
            reason = f"{s.host}:{s.smtp_port} answered {exc.smtp_code} {reply_text(exc.smtp_error)}"
            if exc.smtp_code >= 500:
                raise DeliveryError(reason) from None
            raise ConnectionError(reason) from None  # temporary: retried like a refused connection

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        client: smtplib.SMTP
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

    @staticmethod
    def _expect(reply: tuple[int, bytes], codes: tuple[int, ...], what: str) -> str:
        code, text = reply
        log.debug("%s -> %d %s", what, code, reply_text(text))
        if code not in codes:
            raise smtplib.SMTPResponseException(code, text)
        return f"{code} {reply_text(text)}"

    def _reset(self, smtp: smtplib.SMTP) -> None:
        """Abandon the transaction but keep the session, unless even that fails."""
        try:
            smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()


def reply_text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _dot_stuffed(message: bytes) -> bytes:
    """The DATA payload without its terminator (RFC 5321 4.5.2 transparency)."""
    body = re.sub(rb"(?m)^\.", b"..", message)
    return body if body.endswith(b"\r\n") else body + b"\r\n"
