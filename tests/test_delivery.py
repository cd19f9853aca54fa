"""digest send against a real SMTP server on loopback (aiosmtpd), with TLS, login and failures."""

from __future__ import annotations

import asyncio
import base64
import email
import logging
import os
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import replace
from email.policy import default as default_policy
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from click.testing import CliRunner

from digest.cli import cli
from digest.core.configfile import load_config
from digest.core.errors import ConfigError, DeliveryError
from digest.core.month import Month
from digest.core.store import open_store
from digest.core.stores import PRIVATE_MIGRATIONS
from digest.deliver.ledger import ledger
from digest.deliver.send import MAX_ATTACHMENT_BYTES, send_issue
from digest.deliver.subscribers import add_subscriber
from digest.pipeline import build_issue
from factory import write_publication

MONTH = Month(2018, 1)
USER = "digest@example.org"
PASSWORD = "pa55-W0rd!only-in-the-environment"
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # implicit TLS

READERS = ["ann@kindle.com", "ben@kindle.com", "cat@kindle.com", "dan@kindle.com", "eve@kindle.com"]


class Inbox:
    """An aiosmtpd handler that keeps every accepted message and misbehaves on request."""

    def __init__(self):
        self.messages: list[tuple[str, bytes]] = []
        self.reject: set[str] = set()        # 550 at RCPT TO
        self.fail_once: set[str] = set()     # 451 after the end of DATA, the first time only
        self.hang_at: tuple[str, int] | None = None  # ("rcpt" | "data", after this many messages)
        self.hanging = threading.Event()
        self.passwords: list[bytes] = []

    def copies(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for rcpt, _ in self.messages:
            counts[rcpt] = counts.get(rcpt, 0) + 1
        return counts

    async def _hang(self):
        self.hanging.set()
        await asyncio.Event().wait()  # until the client dies and the server shuts down

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.reject:
            return "550 5.1.1 No such mailbox"
        if self.hang_at == ("rcpt", len(self.messages)):
            await self._hang()
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        [rcpt] = envelope.rcpt_tos
        if rcpt in self.fail_once:
            self.fail_once.discard(rcpt)
            return "451 4.3.0 Try again later"
        self.messages.append((rcpt, envelope.original_content))
        if self.hang_at == ("data", len(self.messages) - 1):
            await self._hang()  # the message is here, but the client never hears so
        return "250 2.0.0 Queued"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.passwords.append(auth_data.password)
        ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


class _EphemeralController(Controller):
    """aiosmtpd's Controller on port 0: learn the real port before its readiness probe."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return server, ca_file


@pytest.fixture(params=["starttls"])
def smtp(request, tls, monkeypatch):
    """A running server and the [delivery] table that reaches it; params: security mode."""
    server_ctx, ca_file = tls
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # the client trusts our test CA, nothing else changes
    monkeypatch.setenv("DIGEST_SMTP_PASSWORD", PASSWORD)
    inbox = Inbox()
    security = request.param
    options = dict(hostname="127.0.0.1", port=0, authenticator=inbox.authenticate, auth_required=True)
    if security == "ssl":
        controller = _EphemeralController(inbox, ssl_context=server_ctx, auth_require_tls=False, **options)
    else:
        controller = _EphemeralController(inbox, tls_context=server_ctx, require_starttls=True, **options)
    controller.start()
    inbox.delivery = {"host": "127.0.0.1", "port": controller.port, "security": security, "username": USER,
                      "from_address": USER, "rate_limit_seconds": 0, "max_retries": 2, "retry_backoff_seconds": 0}
    yield inbox
    controller.stop()


@pytest.fixture(scope="session")
def published_epub(sample_config, tmp_path_factory) -> Path:
    """The sample 2018-01 issue built once, EPUB only: delivery needs no calibre output."""
    out = tmp_path_factory.mktemp("published")
    config = replace(sample_config, output=replace(sample_config.output, formats=("epub",)),
                     store=replace(sample_config.store, path=out / "build.sqlite3"))
    return build_issue(config.with_output_dir(out), MONTH).epub


@pytest.fixture
def project(project_copy, published_epub, smtp):
    """The sample publication with 2018-01 published, five subscribers and the SMTP server configured."""
    shutil.copytree(published_epub.parent, project_copy / "dist" / "architecture-monthly" / "2018-01")
    set_delivery(project_copy, smtp.delivery)
    with open_store(project_copy / "digest-private.sqlite3", migrations=PRIVATE_MIGRATIONS) as store:
        for address in READERS:
            add_subscriber(store, address, format="epub")
    return project_copy


def set_delivery(project: Path, table: dict) -> None:
    write_publication(project, sample=True, delivery=table)


def send(project: Path, **options):
    config = load_config(project / "digest.toml")
    with open_store(config.store.private, migrations=PRIVATE_MIGRATIONS) as store:
        return send_issue(config, store, MONTH, **options)


def recorded(project: Path) -> dict[str, tuple[str, int, str]]:
    with open_store(project / "digest-private.sqlite3", migrations=PRIVATE_MIGRATIONS) as store:
        return {e.address: (e.status, e.attempts, e.error) for e in ledger(store, MONTH)}


def run_digest(project: Path, *args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "digest", *args, "--config", str(project / "digest.toml")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **popen)


def test_every_active_subscriber_gets_one_copy_of_the_published_epub(project, smtp, published_epub):
    with open_store(project / "digest-private.sqlite3", migrations=PRIVATE_MIGRATIONS) as store:
        add_subscriber(store, "zed-inactive@kindle.com", format="epub")
        store.execute("UPDATE subscribers SET active = 0 WHERE address LIKE 'zed%'")

    result = CliRunner().invoke(cli, ["send", "--month", "2018-01", "--config", str(project / "digest.toml")])

    assert result.exit_code == 0, result.output
    assert smtp.copies() == {address: 1 for address in READERS}
    epub = published_epub
    with open_store(project / "digest-private.sqlite3", migrations=PRIVATE_MIGRATIONS) as store:
        ledger_ids = {e.address: e.message_id for e in ledger(store, MONTH)}
    for rcpt, raw in smtp.messages:
        message = email.message_from_bytes(raw, policy=default_policy)
        assert message["To"] == rcpt and message["From"].addresses[0].addr_spec == USER
        assert message["Message-ID"] == ledger_ids[rcpt]
        assert "January 2018" in message.get_body(("plain",)).get_content()
        [attachment] = message.iter_attachments()
        assert attachment.get_content_type() == "application/epub+zip"
        assert attachment.get_filename() == epub.name
        assert attachment.get_content() == epub.read_bytes()
    assert {status for status, _, _ in recorded(project).values()} == {"sent"}
    assert smtp.passwords == [PASSWORD.encode()]  # logged in once, over STARTTLS, for the whole run

    again = CliRunner().invoke(cli, ["send", "--month", "2018-01", "--config", str(project / "digest.toml")])
    assert again.exit_code == 0 and again.output.startswith("2018-01: 5 already sent")
    assert len(smtp.messages) == 5

    shown = CliRunner().invoke(cli, ["deliveries", "--month", "2018-01", "--config", str(project / "digest.toml")])
    assert shown.output.splitlines()[0] == "2018-01: 5 deliveries"
    assert all(" sent " in line and " 1 attempt " in line for line in shown.output.splitlines()[1:])


def test_a_refused_recipient_is_recorded_and_the_others_still_get_theirs(project, smtp, caplog):
    caplog.set_level(logging.WARNING)
    smtp.reject.add("ben@kindle.com")
    result = CliRunner().invoke(cli, ["send", "--month", "2018-01", "--config", str(project / "digest.toml")])
    assert result.exit_code == 1
    assert "failed      ben@kindle.com (epub): 550 5.1.1 No such mailbox" in result.output
    assert not [r for r in caplog.records if "ben@kindle.com" in r.getMessage()]  # the report's line alone
    assert smtp.copies() == {address: 1 for address in READERS if address != "ben@kindle.com"}
    assert recorded(project)["ben@kindle.com"] == ("failed", 1, "550 5.1.1 No such mailbox")


def test_a_temporary_failure_is_retried(project, smtp):
    smtp.fail_once.add("cat@kindle.com")
    report = send(project)
    assert not report.failed
    assert smtp.copies() == {address: 1 for address in READERS}
    assert recorded(project)["cat@kindle.com"] == ("sent", 2, "")


def test_a_temporary_failure_that_persists_is_recorded_after_the_retries(project, smtp):
    smtp.fail_once.add("cat@kindle.com")
    set_delivery(project, {**smtp.delivery, "max_retries": 0})
    report = send(project)
    assert [o.address for o in report.failed] == ["cat@kindle.com"]
    assert recorded(project)["cat@kindle.com"] == ("failed", 1, "451 4.3.0 Try again later")
    send(project)  # a later run serves whoever is not served yet
    assert smtp.copies() == {address: 1 for address in READERS}


def test_pauses_between_messages_and_backs_off_before_a_retry(project, smtp):
    smtp.fail_once.add("cat@kindle.com")
    set_delivery(project, {**smtp.delivery, "rate_limit_seconds": 3600, "retry_backoff_seconds": 600})
    waits: list[float] = []
    report = send(project, sleep=waits.append)
    assert not report.failed and smtp.copies() == {address: 1 for address in READERS}
    assert waits == [3600, 3600, 600, 3600, 3600]  # ann, ben, cat (retried once), dan, eve


def test_an_unreachable_server_is_retried_with_doubling_waits_then_the_run_stops(project, smtp):
    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    set_delivery(project, {**smtp.delivery, "port": closed_port, "retry_backoff_seconds": 600})
    waits: list[float] = []
    with pytest.raises(DeliveryError, match="gave up after 3 attempts; the run can be repeated safely"):
        send(project, sleep=waits.append)
    assert waits == [600, 1200]
    status, attempts, error = recorded(project)["ann@kindle.com"]
    assert (status, attempts) == ("pending", 3) and "refused" in error.lower()
    assert smtp.messages == []


@pytest.mark.parametrize("hang_at", ["rcpt", "data"])
def test_a_run_killed_halfway_then_rerun_serves_everyone_once(project, smtp, hang_at):
    smtp.hang_at = (hang_at, 2)  # the third message: before the server has it, or after
    process = run_digest(project, "send", "--month", "2018-01")
    try:
        assert smtp.hanging.wait(60), process.communicate(timeout=5)[0]
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    smtp.hang_at = None

    report = send(project)

    assert smtp.copies() == {address: 1 for address in READERS}
    statuses = {address: status for address, (status, _, _) in recorded(project).items()}
    if hang_at == "rcpt":  # the server never had cat's message: it is sent now
        assert statuses == {address: "sent" for address in READERS}
    else:  # the server had it but never said so: not sent twice, reported as unconfirmed
        assert statuses == {**{address: "sent" for address in READERS}, "cat@kindle.com": "sending"}
        assert [(o.address, o.result) for o in report.outcomes if o.result != "already sent"] == [
            ("cat@kindle.com", "unconfirmed"), ("dan@kindle.com", "sent"), ("eve@kindle.com", "sent")]
        send(project, to="cat@kindle.com", resend=True)  # the editor's explicit choice
        [first, second] = [raw for rcpt, raw in smtp.messages if rcpt == "cat@kindle.com"]
        ids = {email.message_from_bytes(raw)["Message-ID"] for raw in (first, second)}
        assert len(ids) == 1  # same Message-ID, so the receiving side can tell it is a duplicate


def test_a_run_killed_while_pausing_between_messages(project, smtp):
    set_delivery(project, {**smtp.delivery, "rate_limit_seconds": 3600})
    process = run_digest(project, "send", "--month", "2018-01")
    try:
        _wait_for_sent(project / "digest-private.sqlite3", "ann@kindle.com", process)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert smtp.copies() == {"ann@kindle.com": 1}

    set_delivery(project, smtp.delivery)
    send(project)
    assert smtp.copies() == {address: 1 for address in READERS}


def _wait_for_sent(database: Path, address: str, process: subprocess.Popen) -> None:
    connection = sqlite3.connect(database)
    try:
        for _ in range(600):
            row = connection.execute("SELECT status FROM deliveries WHERE address = ?", (address,)).fetchone()
            if row and row[0] == "sent":
                return
            assert process.poll() is None, process.communicate()[0]
            time.sleep(0.1)
        pytest.fail(f"{address} was never marked sent")
    finally:
        connection.close()


@pytest.mark.parametrize("smtp", ["ssl", "starttls"], indirect=True)
def test_the_password_never_appears_in_the_output(project, smtp):
    process = run_digest(project, "-vv", "send", "--month", "2018-01")
    output = process.communicate(timeout=120)[0]
    assert process.returncode == 0, output.decode()
    assert smtp.passwords == [PASSWORD.encode()]  # the password did reach the server
    assert b"connecting to 127.0.0.1" in output and b"end of data -> 250" in output  # debug output is on
    secrets = [PASSWORD.encode(), base64.b64encode(PASSWORD.encode()),
               base64.b64encode(f"\0{USER}\0{PASSWORD}".encode())]
    assert not [secret for secret in secrets if secret in output]
    with open_store(project / "digest-private.sqlite3", migrations=PRIVATE_MIGRATIONS) as store:
        dump = "\n".join(store.dump()).encode()
    assert PASSWORD.encode() not in dump


def test_a_wrong_password_stops_the_run_with_a_clear_message(project, smtp, monkeypatch):
    monkeypatch.setenv("DIGEST_SMTP_PASSWORD", "wrong")
    with pytest.raises(DeliveryError, match=f"login as {USER} refused: 535"):
        send(project)
    monkeypatch.delenv("DIGEST_SMTP_PASSWORD")
    with pytest.raises(DeliveryError, match="export DIGEST_SMTP_PASSWORD"):
        send(project)
    assert smtp.messages == []


def test_an_attachment_over_the_send_to_kindle_limit_is_refused(project, smtp):
    epub = next((project / "dist" / "architecture-monthly" / "2018-01").glob("*.epub"))
    with epub.open("r+b") as handle:
        handle.truncate(MAX_ATTACHMENT_BYTES + 1)  # sparse: no 50 MB written
    with pytest.raises(DeliveryError, match=r"50.0 MB is over the 50 MB Send to Kindle limit; nothing was sent"):
        send(project)
    assert smtp.messages == [] and recorded(project) == {}


def test_dry_run_sends_and_records_nothing(project, smtp):
    report = send(project, dry_run=True)
    assert [(o.address, o.result) for o in report.outcomes] == [(a, "would send") for a in READERS]
    assert smtp.messages == [] and recorded(project) == {}


def test_other_formats_go_as_mobipocket_and_a_missing_format_is_recorded(project, smtp):
    folder = project / "dist" / "architecture-monthly" / "2018-01"
    (folder / "architecture-monthly-2018-01.azw3").unlink(missing_ok=True)
    (folder / "architecture-monthly-2018-01.mobi").write_bytes(b"BOOKMOBI" * 100)
    with open_store(project / "digest-private.sqlite3", migrations=PRIVATE_MIGRATIONS) as store:
        add_subscriber(store, "mo@example.org", format="mobi")
        add_subscriber(store, "az@example.org", format="azw3")

    report = send(project)

    assert [(o.address, o.detail) for o in report.failed] == [
        ("az@example.org", "no azw3 published for 2018-01: add it to output.formats and rebuild")]
    [raw] = [raw for rcpt, raw in smtp.messages if rcpt == "mo@example.org"]
    [attachment] = email.message_from_bytes(raw, policy=default_policy).iter_attachments()
    assert attachment.get_content_type() == "application/x-mobipocket-ebook"
    assert attachment.get_filename() == "architecture-monthly-2018-01.mobi"
    assert attachment.get_content() == b"BOOKMOBI" * 100
    assert recorded(project)["az@example.org"][0] == "failed"


def test_a_month_that_was_never_published(project, smtp):
    config = load_config(project / "digest.toml")
    with open_store(config.store.private, migrations=PRIVATE_MIGRATIONS) as store, pytest.raises(DeliveryError, match="run digest build first"):
        send_issue(config, store, Month(2019, 5))


def test_two_sends_cannot_run_at_once(project, smtp):
    smtp.hang_at = ("rcpt", 0)
    process = run_digest(project, "send", "--month", "2018-01")
    try:
        assert smtp.hanging.wait(60)
        with pytest.raises(DeliveryError, match="another digest send is running"):
            send(project)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert os.path.exists(project / "digest-private.sqlite3.send-lock")


def test_delivery_config_errors_name_their_key_and_a_password_is_refused(project_copy):
    set_delivery(project_copy, {"host": "smtp.example.org", "port": 70000, "security": "tls", "username": "me",
                                "password": "hunter2", "rate_limit_seconds": -1, "format": "pdf",
                                "password_env": "NOT A NAME"})
    with pytest.raises(ConfigError) as caught:
        load_config(project_copy / "digest.toml")
    label = str(project_copy / "digest.toml")
    # Each problem names the line of its key (or of its table, for a missing key).
    assert all(re.match(rf"{re.escape(label)}:\d+: delivery\.", p) for p in caught.value.problems)
    problems = [re.sub(rf"^{re.escape(label)}:\d+: ", f"{label}: ", p) for p in caught.value.problems]
    assert sorted(problems) == sorted([
        f"{label}: delivery.security: invalid value 'tls' (one of: ssl, starttls, none)",
        f"{label}: delivery.password_env: invalid value 'NOT A NAME' (an environment variable name)",
        f"{label}: delivery.rate_limit_seconds: must be at least 0, got -1",
        f"{label}: delivery.format: invalid value 'pdf' (one of: epub, azw3, mobi)",
        f"{label}: delivery.password: unknown key (did you mean 'password_env'?)",
        f"{label}: delivery.port: must be at most 65535, got 70000",
        f"{label}: delivery.from_address: required when host is set",
    ])
    assert "hunter2" not in str(caught.value)


def test_delivery_and_store_defaults(project_copy):
    set_delivery(project_copy, {"host": "smtp.example.org", "security": "ssl", "from_address": "digest@example.org"})
    config = load_config(project_copy / "digest.toml")
    assert config.store.path == project_copy / "digest.sqlite3"
    assert (config.delivery.smtp_port, config.delivery.password_env, config.delivery.format) == (
        465, "DIGEST_SMTP_PASSWORD", "epub")
