"""Hostile input to the commands: numbers out of range, control characters, risky folders and files.

Each case is one clear error (exit 2, no traceback) at the door, never a crash later on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import cli
from digest.core.configfile import load_config
from digest.core.errors import ConfigError
from digest.core.store import open_store
from digest.core.stores import PRIVATE_MIGRATIONS
from digest.deliver.subscribers import add_subscriber, import_subscribers, list_subscribers
from test_delivery import MONTH, READERS, project, published_epub, recorded, send, smtp, tls  # noqa: F401


def edit(project: Path, old: str, new: str) -> None:
    path = project / "digest.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def append(project: Path, table: str) -> None:
    with (project / "digest.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n" + table + "\n")


def build(project: Path, *args: str):
    return CliRunner().invoke(cli, ["build", "--config", str(project / "digest.toml"), *args])


def assert_refused(result, *expected: str) -> None:
    """Exit 2 with an ``error:`` line naming the problem; never a traceback."""
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    for text in expected:
        assert text in result.output, result.output


@pytest.mark.parametrize("table, key", [
    ("[fetch]\nmax_mb = inf", "fetch.max_mb"),
    ("[fetch]\ntimeout = nan", "fetch.timeout"),
    ("[fetch]\ntimeout = 1e9", "fetch.timeout"),
    ("[images]\nbudget_mb = nan", "images.budget_mb"),
    ("[images]\nbudget_mb = -inf", "images.budget_mb"),
    ("[delivery]\nretry_backoff_seconds = 9223372036854775807", "delivery.retry_backoff_seconds"),
])
def test_numbers_must_be_finite_and_in_range(project_copy, table, key):
    append(project_copy, table)
    lines = (project_copy / "digest.toml").read_text(encoding="utf-8").splitlines()
    line = 1 + max(n for n, text in enumerate(lines) if text.startswith(key.split(".")[1] + " ="))
    result = build(project_copy, "--month", "2018-01")
    assert_refused(result, f"error: {project_copy / 'digest.toml'}:{line}: {key}: must be")


def test_output_dir_naming_a_file_is_refused(project_copy):
    (project_copy / "a-file").write_text("not a folder")
    edit(project_copy, 'dir = "dist"', 'dir = "a-file"')
    assert_refused(build(project_copy, "--month", "2018-01"), "output.dir: not a folder")


@pytest.mark.parametrize("month", ["9999-12", "9999-01", "10000-01", "1969-12"])
def test_months_outside_the_calendar_are_refused(project_copy, month):
    result = build(project_copy, "--month", month)
    assert_refused(result, "Invalid value for '--month'", "9998-12")


def test_a_year_outside_the_calendar_is_refused(project_copy):
    result = CliRunner().invoke(cli, ["bundle", "--config", str(project_copy / "digest.toml"), "--year", "9999"])
    assert_refused(result, "Invalid value for '--year'")


@pytest.mark.parametrize("folder, reason", [("/", "filesystem root"), (".", "folder holding the config")])
def test_output_dir_must_not_be_the_root_or_the_project(project_copy, folder, reason):
    edit(project_copy, 'dir = "dist"', f'dir = "{folder}"')
    with pytest.raises(ConfigError, match=f"output.dir: .*{reason}"):
        load_config(project_copy / "digest.toml")


@pytest.mark.parametrize("folder", ["/", "."])
def test_out_option_must_not_be_the_root_or_the_project(project_copy, folder):
    result = build(project_copy, "--month", "2018-01", "--out", str(project_copy / folder))
    assert_refused(result, "error: --out")
    assert not (project_copy / "architecture-monthly").exists()


def test_store_path_on_a_device_is_refused(project_copy):
    edit(project_copy, 'path = "digest.sqlite3"', 'path = "/dev/null"')
    with pytest.raises(ConfigError, match="store.path: not a regular file: /dev/null"):
        load_config(project_copy / "digest.toml")


def test_unknown_kindle_profile_is_refused_when_the_config_is_read(project_copy):
    edit(project_copy, 'kindle_profile = "kindle_pw3"', 'kindle_profile = "kindle_pw9"')
    with pytest.raises(ConfigError, match="output.kindle_profile: unknown calibre output profile 'kindle_pw9'"):
        load_config(project_copy / "digest.toml")


@pytest.mark.parametrize("name", ["Ann\r\nBcc: everyone@example.org", "Ann\nB", "Ann\x00", "Ann\u2028B"])
def test_subscriber_names_with_control_characters_are_refused(project_copy, name):
    result = CliRunner().invoke(cli, ["subscribers", "add", "ann@kindle.com", "--name", name,
                                      "--config", str(project_copy / "digest.toml")])
    assert_refused(result, "name: control characters are not allowed")
    with open_store(project_copy / "digest-private.sqlite3", migrations=PRIVATE_MIGRATIONS) as store:
        assert list_subscribers(store) == ()


def test_csv_rows_with_control_characters_in_the_name_are_rejected_alone(tmp_path):
    csv_file = tmp_path / "readers.csv"
    csv_file.write_text('address,name\nann@kindle.com,Ann\nben@kindle.com,"Ben\r\nBcc: x@example.org"\n'
                        "cat@kindle.com,Cat\n", encoding="utf-8")
    with open_store(tmp_path / "store.sqlite3", migrations=PRIVATE_MIGRATIONS) as store:
        result = import_subscribers(store, csv_file, default_format="epub")
        assert [s.address for s in list_subscribers(store)] == ["ann@kindle.com", "cat@kindle.com"]
    assert result.added == 2
    [problem] = result.problems
    assert problem.startswith(f"{csv_file}:") and ": name: control characters are not allowed" in problem


@pytest.mark.parametrize("key", ["title", "publisher"])
def test_publication_title_with_a_line_break_is_refused(project_copy, key):
    text = (project_copy / "digest.toml").read_text(encoding="utf-8")
    value = text.split(f"\n{key} = ", 1)[1].split("\n", 1)[0]
    edit(project_copy, f"{key} = {value}", f'{key} = "Monthly\\r\\nBcc: everyone@example.org"')
    with pytest.raises(ConfigError, match=f"publication.{key}: control characters are not allowed"):
        load_config(project_copy / "digest.toml")


def test_one_unsendable_row_fails_alone(project, smtp):
    # A name stored before names were checked: the mail library refuses it in a header.
    with open_store(project / "digest-private.sqlite3", migrations=PRIVATE_MIGRATIONS) as store:
        add_subscriber(store, "zoe@kindle.com", format="epub")
        store.execute("UPDATE subscribers SET name = ? WHERE address = ?", ("Zoe\r\nBcc: x@example.org",
                                                                            "zoe@kindle.com"))
    report = send(project)

    assert smtp.copies() == {address: 1 for address in READERS}
    [failed] = report.failed
    assert failed.address == "zoe@kindle.com" and "cannot write the message" in failed.detail
    ledger = recorded(project)
    assert ledger["zoe@kindle.com"][0] == "failed"
    assert {ledger[address][0] for address in READERS} == {"sent"}


FAKE_CALIBRE = """#!/bin/sh
# Stands in for calibre: a converter that starts a helper and never finishes.
sleep 300 &
echo "$$ $!" > "$DIGEST_TEST_PIDS"
wait
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return not status.exists() or status.read_text().split(") ", 1)[1][0] != "Z"


def test_sigterm_stops_the_converter_and_its_helpers(project_copy, tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "ebook-convert").write_text(FAKE_CALIBRE)
    (fake / "ebook-convert").chmod(0o755)
    pids = tmp_path / "pids"
    edit(project_copy, 'formats = ["epub"]', 'formats = ["epub", "azw3"]')
    env = {**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}", "DIGEST_TEST_PIDS": str(pids)}
    digest = subprocess.Popen([sys.executable, "-m", "digest", "build", "--month", "2018-01",
                               "--config", str(project_copy / "digest.toml")],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        while not (pids.exists() and len(pids.read_text().split()) == 2):
            assert digest.poll() is None, digest.stdout.read().decode()
            assert time.monotonic() < deadline, "the converter never started"
            time.sleep(0.2)
        converter, helper = map(int, pids.read_text().split())
        assert alive(converter) and alive(helper)

        digest.send_signal(signal.SIGTERM)
        output = digest.communicate(timeout=60)[0].decode()
    finally:
        if digest.poll() is None:
            digest.kill()
    assert digest.returncode == 128 + signal.SIGTERM
    assert "Traceback" not in output
    deadline = time.monotonic() + 10
    while (alive(converter) or alive(helper)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(converter) and not alive(helper)


STUCK_AFTER_SIGTERM = """
import signal, sys, threading
from digest import clikit
clikit.EXIT_GRACE = 1.0
signal.signal(signal.SIGTERM, clikit.terminated)
threading.Thread(target=threading.Event().wait).start()  # never ends, and exit waits for it
print("ready", flush=True)
threading.Event().wait()
"""


def test_a_thread_stuck_after_sigterm_does_not_keep_the_process_alive():
    process = subprocess.Popen([sys.executable, "-c", STUCK_AFTER_SIGTERM], stdout=subprocess.PIPE)
    try:
        assert process.stdout.readline() == b"ready\n"
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)  # without the grace period's end it would wait for the thread forever
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 128 + signal.SIGTERM
