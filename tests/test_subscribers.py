"""The subscriber list: validation, Kindle warnings, CSV import, and the CLI over it."""

from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner

from digest.cli import cli
from digest.core.errors import ConfigError
from digest.core.store import open_store
from digest.core.stores import PRIVATE_MIGRATIONS
from digest.deliver.subscribers import add_subscriber, import_subscribers, list_subscribers, remove_subscriber


@pytest.fixture
def store():
    with open_store(":memory:", migrations=PRIVATE_MIGRATIONS) as store:
        yield store


def test_add_list_remove(store):
    add_subscriber(store, "ada@kindle.com", format="epub", name="Ada")
    add_subscriber(store, "bob@free.kindle.com", format="epub")
    [ada, bob] = list_subscribers(store)
    assert (ada.address, ada.name, ada.format, ada.active) == ("ada@kindle.com", "Ada", "epub", True)
    assert ada.added_at[:2] == "20" and bob.address == "bob@free.kindle.com"
    remove_subscriber(store, "ADA@Kindle.com")
    assert [s.address for s in list_subscribers(store)] == ["bob@free.kindle.com"]
    with pytest.raises(ConfigError, match="not a subscriber"):
        remove_subscriber(store, "ada@kindle.com")


def test_addresses_are_unique_whatever_the_case(store):
    add_subscriber(store, "ada@kindle.com", format="epub")
    with pytest.raises(ConfigError, match="already a subscriber"):
        add_subscriber(store, "Ada@KINDLE.com", format="epub")


@pytest.mark.parametrize("address", ["", "ada", "ada@", "@kindle.com", "ada@kindle", "Ada <ada@kindle.com>",
                                     "ada smith@kindle.com", "ada..x@kindle.com", "ada@-kindle.com",
                                     "ada@kindle.com, bob@kindle.com"])
def test_invalid_addresses_are_refused(store, address):
    with pytest.raises(ConfigError, match="address"):
        add_subscriber(store, address, format="epub")
    assert list_subscribers(store) == ()


def test_warns_when_the_address_does_not_fit_the_format(store, caplog):
    with caplog.at_level(logging.WARNING, logger="digest.deliver.subscribers"):
        add_subscriber(store, "ada@kindle.com", format="epub")
        assert caplog.messages == []
        add_subscriber(store, "ada@example.org", format="epub")
        add_subscriber(store, "bob@kindle.com", format="mobi")
    assert "ada@example.org is not a Send to Kindle address" in caplog.messages[0]
    assert "no longer accepts MOBI" in caplog.messages[1]
    assert len(list_subscribers(store)) == 3  # warnings, not errors


def test_import_takes_good_rows_and_names_bad_ones_by_line(store, tmp_path):
    add_subscriber(store, "old@kindle.com", format="epub")
    csv_file = tmp_path / "readers.csv"
    csv_file.write_text(
        "address,format,name,active\n"
        "ada@kindle.com,epub,Ada,yes\n"
        "not-an-address,epub,,\n"
        "bob@kindle.com,pdf,Bob,\n"
        "\n"
        "cy@example.org,azw3,\"Cy, the reader\",0\n"
        "OLD@kindle.com,,Old Timer,no\n"
        "ada@kindle.com,epub,Ada again,\n"
        "dee@kindle.com,epub,Dee,maybe\n", encoding="utf-8")
    result = import_subscribers(store, csv_file, default_format="epub")
    assert (result.added, result.updated) == (2, 1)
    assert result.problems == (
        f"{csv_file}:3: not a valid e-mail address: 'not-an-address'",
        f"{csv_file}:4: unknown format 'pdf' (expected one of: epub, azw3, mobi)",
        f"{csv_file}:8: ada@kindle.com appears twice in the file",
        f"{csv_file}:9: active: expected yes/no, true/false or 1/0, got 'maybe'",
    )
    rows = {s.address: (s.format, s.name, s.active) for s in list_subscribers(store)}
    assert rows == {"ada@kindle.com": ("epub", "Ada", True), "cy@example.org": ("azw3", "Cy, the reader", False),
                    "old@kindle.com": ("epub", "Old Timer", False)}


def test_import_without_header_uses_column_order_and_default_format(store, tmp_path):
    csv_file = tmp_path / "readers.csv"
    csv_file.write_text("ada@kindle.com\nbob@example.org,mobi,Bob\n", encoding="utf-8")
    import_subscribers(store, csv_file, default_format="epub")
    assert [(s.address, s.format, s.name) for s in list_subscribers(store)] == [
        ("ada@kindle.com", "epub", ""), ("bob@example.org", "mobi", "Bob")]


def test_import_is_one_transaction(store, tmp_path):
    csv_file = tmp_path / "readers.csv"
    csv_file.write_text("ada@kindle.com\nbob@kindle.com\n", encoding="utf-8")
    store.execute("CREATE TRIGGER no_bob BEFORE INSERT ON subscribers WHEN new.address LIKE 'bob@%' "
                  "BEGIN SELECT RAISE(ABORT, 'bob is banned'); END")
    with pytest.raises(Exception, match="bob is banned"):
        import_subscribers(store, csv_file, default_format="epub")
    assert list_subscribers(store) == ()


def test_cli_manages_subscribers_in_the_configured_store(project_copy):
    config = str(project_copy / "digest.toml")
    runner = CliRunner()
    added = runner.invoke(cli, ["subscribers", "add", "ada@kindle.com", "--name", "Ada", "--config", config])
    assert added.exit_code == 0, added.output
    assert "added ada@kindle.com (epub)" in added.output
    runner.invoke(cli, ["subscribers", "add", "bob@example.org", "--format", "azw3", "--config", config])
    listed = runner.invoke(cli, ["subscribers", "list", "--config", config])
    assert listed.exit_code == 0
    assert listed.output.splitlines()[0].split()[:3] == ["ada@kindle.com", "epub", "active"]
    assert listed.output.splitlines()[-1] == "2 subscribers, 2 active"
    assert (project_copy / "digest-private.sqlite3").is_file()  # [store] private, relative to the config file

    bad = runner.invoke(cli, ["subscribers", "add", "nobody", "--config", config])
    assert bad.exit_code == 2 and "error: not a valid e-mail address: 'nobody'" in bad.output

    (project_copy / "more.csv").write_text("cy@kindle.com\nbroken\n", encoding="utf-8")
    imported = runner.invoke(cli, ["subscribers", "import", str(project_copy / "more.csv"), "--config", config])
    assert imported.exit_code == 2
    assert "1 added, 0 updated" in imported.output
    assert "more.csv:2: not a valid e-mail address: 'broken'" in imported.output

    removed = runner.invoke(cli, ["subscribers", "remove", "bob@example.org", "--config", config])
    assert removed.exit_code == 0
    listed = runner.invoke(cli, ["subscribers", "list", "--config", config])
    assert "bob@example.org" not in listed.output and "cy@kindle.com" in listed.output
