"""What the CLI tells an editor who got something wrong: 'did you mean', a send that cannot work,
and the machine-readable build report's contract."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import ROOT
from test_workflow import run_actionlint

from digest.cli import cli
from digest.core.configdoc import config_reference
from digest.core.store import open_store
from digest.core.stores import PRIVATE_MIGRATIONS
from digest.deliver.subscribers import add_subscriber
from digest.editor.scaffold import workflow_text


def run(*args: str, code: int):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(("args", "hint"), [
    (["biuld"], "No such command 'biuld'. Did you mean 'build'?"),
    (["subscribers", "lst"], "No such command 'lst'. Did you mean 'list'?"),
    (["link", "ad"], "No such command 'ad'. Did you mean 'add'?"),
])
def test_a_mistyped_command_gets_the_nearest_one(args, hint):
    assert hint in run(*args, code=2)


def test_an_unknown_command_far_from_any_gets_no_guess():
    out = run("frobnicate", code=2)
    assert "No such command 'frobnicate'" in out and "Did you mean" not in out


def test_config_typos_get_suggestions(project_copy):
    config = project_copy / "digest.toml"
    edit(config, 'timezone = "America/Los_Angeles"', 'timezone = "America/Los_Angeles"\ntitel = "x"')
    edit(config, 'section = "architecture"', 'section = "architectur"')
    edit(config, "[store]", "[stor]")
    out = run("sources", "--config", str(config), code=2)
    assert "publication.titel: unknown key (did you mean 'title'?)" in out
    assert "sources[0].section: unknown section 'architectur' (did you mean 'architecture'?)" in out
    assert "stor: unknown key (did you mean 'store'?)" in out


def test_link_kind_typos_get_suggestions(project_copy):
    config = project_copy / "digest.toml"
    out = run("link", "add", "https://example.org/x", "--config", str(config), "--month", "2018-01",
              "--kind", "whitepapers", code=2)
    assert "--kind: unknown kind 'whitepapers' (did you mean 'whitepaper'?)" in out
    edit(project_copy / "issues" / "2018-01.toml", 'kind = "sample-code"', 'kind = "sample_code"')
    out = run("build", "--config", str(config), "--month", "2018-01", code=2)
    assert "links[4].kind: unknown kind 'sample_code' (did you mean 'sample-code'?)" in out


@pytest.fixture
def published(project_copy):
    """The sample publication with a (stand-in) published 2018-01 EPUB and one subscriber."""
    folder = project_copy / "dist" / "architecture-monthly" / "2018-01"
    folder.mkdir(parents=True)
    (folder / "architecture-monthly-2018-01.epub").write_bytes(b"PK\x03\x04 stand-in")
    with open_store(project_copy / "digest-private.sqlite3", migrations=PRIVATE_MIGRATIONS) as store:
        add_subscriber(store, "reader@kindle.com", format="epub")
    return project_copy / "digest.toml"


def test_dry_run_without_delivery_says_there_is_nowhere_to_send(published):
    out = run("send", "--config", str(published), "--month", "2018-01", "--dry-run", code=1)
    assert "e-mail delivery is not ready, nothing was sent" in out
    assert "delivery.host: not set" in out and "would send" not in out
    assert "docs/" not in out and 'guide "Getting issues onto a Kindle"' in out  # a wheel has no docs/ folder


def test_dry_run_names_every_setting_a_send_would_trip_on(published, monkeypatch):
    monkeypatch.delenv("DIGEST_SMTP_PASSWORD", raising=False)
    published.write_text(published.read_text(encoding="utf-8") + (
        '\n[delivery]\nhost = "smtp.example.org"\nport = 465\nsecurity = "starttls"\n'
        'username = "digest@example.org"\nfrom_address = "digest@example.org"\n'), encoding="utf-8")
    out = run("send", "--config", str(published), "--month", "2018-01", "--dry-run", code=1)
    assert "delivery.security: 'starttls' on port 465, which serves 'ssl'" in out
    assert "the SMTP password for digest@example.org is not set: export DIGEST_SMTP_PASSWORD" in out
    # A real send stops at the same place, before any connection.
    assert "export DIGEST_SMTP_PASSWORD" in run("send", "--config", str(published), "--month", "2018-01", code=1)

    monkeypatch.setenv("DIGEST_SMTP_PASSWORD", "secret")
    edit(published, "port = 465", "port = 587")
    out = run("send", "--config", str(published), "--month", "2018-01", "--dry-run", code=0)
    assert "reader@kindle.com" in out and "would send" in out


def test_the_build_report_schema_rejects_a_report_missing_its_files():
    """Guards the schema test in test_editor_flow: the schema really constrains the report."""
    schema = json.loads((ROOT / "schemas" / "build-report.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    report = {"title": "T", "month": "2018-01", "number": 1, "volume": 1, "articles": 0, "curated_links": 0,
              "sections": [], "files": [{"path": "x.epub", "bytes": 10}],
              "check": {"kindle_ready": True, "verdict": "Kindle-ready (EPUBCheck and 17 Kindle rules passed)",
                        "complete": True, "warnings": [], "notes": []},
              "site": None, "store": {"record_bytes": 1, "cache_bytes": 2, "pruned_bytes": 0}, "notes": [],
              "skipped": [], "problems": [], "elapsed_seconds": 1.5}
    jsonschema.validate(report, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**report, "files": []}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({key: value for key, value in report.items() if key != "check"}, schema)


def test_sources_lists_the_titles_it_would_select_and_why_others_are_skipped():
    out = run("sources", "--config", str(ROOT / "digest.toml"), "--month", "2018-01", code=0)
    assert "  + Managing AWS Lambda Function Concurrency" in out
    assert "  - skipped: Три билборда извън града – по Маклуън: language 'bg' (accepted: en)" in out


def test_the_config_reference_is_up_to_date():
    assert (ROOT / "docs" / "config.md").read_text(encoding="utf-8") == config_reference(), (
        "docs/config.md is stale: python -m digest.core.configdoc docs/config.md")


def test_the_config_reference_covers_every_option():
    text = config_reference()
    for key in ("`title`", "`summary_only`", "`templates`", "`budget_mb`", "`password_env`", "`max_height`"):
        assert key in text
    assert "|  |" not in text, "every option has a docstring"


def test_the_workflow_init_writes_is_valid_and_needs_no_checkout(tmp_path):
    workflow = tmp_path / ".github" / "workflows" / "publish.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(workflow_text(), encoding="utf-8")
    result = run_actionlint(workflow)
    assert result.returncode == 0, result.stdout + result.stderr
    text = workflow.read_text(encoding="utf-8")
    assert "make " not in text and "scripts/" not in text
    assert '.venv/bin/pip install --quiet "${DIGEST_PACKAGE:?' in text
    assert '.venv/bin/digest bundle --config "$CONFIG" --year "${MONTH%%-*}"' in text


def test_make_takes_the_latest_issue_file_or_names_the_variable(tmp_path):
    for name in ("Makefile", "pyproject.toml", "requirements.lock", "requirements-test.lock", "requirements-pip.lock"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "issues").mkdir()
    missing = subprocess.run(["make", "-n", "issue"], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert missing.returncode != 0 and "MONTH is not set" in missing.stderr and "MONTH=YYYY-MM" in missing.stderr
    for month in ("2025-12", "2026-02", "2026-01"):
        (tmp_path / "issues" / f"{month}.toml").write_text("", encoding="utf-8")
    found = subprocess.run(["make", "-n", "issue"], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert "--month 2026-02" in found.stdout
    given = subprocess.run(["make", "-n", "issue", "MONTH=2018-01"], capture_output=True, text=True,
                           cwd=tmp_path, timeout=60)
    assert "--month 2018-01" in given.stdout


def test_a_missing_config_says_how_to_start_one(tmp_path):
    out = run("build", "--config", str(tmp_path / "digest.toml"), "--month", "2018-01", code=2)
    assert "config file not found" in out and "digest init" in out


def test_shell_completion_as_documented():
    """docs/completion.md: the bash script, and completion of commands and link kinds."""
    def complete(env: dict[str, str]) -> str:
        done = subprocess.run([sys.executable, "-m", "digest"], capture_output=True, text=True, timeout=60,
                              env={**os.environ, **env})
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "_digest_completion" in complete({"_DIGEST_COMPLETE": "bash_source"})
    assert complete({"_DIGEST_COMPLETE": "bash_complete", "COMP_WORDS": "digest new",
                     "COMP_CWORD": "1"}).split() == ["plain,new-issue"]
    assert complete({"_DIGEST_COMPLETE": "bash_complete", "COMP_WORDS": "digest link add URL --kind sa",
                     "COMP_CWORD": "5"}).split() == ["plain,sample-code"]


def test_extraction_libraries_warnings_show_only_with_verbose(tmp_path):
    missing = str(tmp_path / "missing.epub")
    CliRunner().invoke(cli, ["check", missing])
    assert logging.getLogger("trafilatura").level == logging.ERROR
    CliRunner().invoke(cli, ["-v", "check", missing])
    assert logging.getLogger("trafilatura").level == logging.NOTSET  # as verbose as digest itself


def test_without_month_commands_take_the_latest_issue_file(project_copy):
    config = str(project_copy / "digest.toml")
    assert run("deliveries", "--config", config, code=0) == "2018-02: no deliveries\n"
    assert "error: 2018-02 is not published" in run("send", "--config", config, "--dry-run", code=1)
    for path in (project_copy / "issues").glob("*.toml"):
        path.unlink()
    refused = run("build", "--config", config, code=2)
    assert "no issue file yet: give --month YYYY-MM, or start one with `digest new-issue`" in refused
    assert "Traceback" not in refused


def test_new_issue_without_month_starts_the_month_after_the_latest(project_copy):
    config = str(project_copy / "digest.toml")
    (project_copy / "issues" / "2018-02.toml").unlink()
    out = run("new-issue", "--config", config, code=0)
    assert out.startswith(f"wrote {project_copy / 'issues' / '2018-02.toml'}: No. 2, Vol. 1")


def test_quiet_prints_only_errors(project_copy):
    config = str(project_copy / "digest.toml")
    assert run("-q", "subscribers", "add", "a@kindle.com", "--config", config, code=0) == ""
    assert run("subscribers", "add", "b@kindle.com", "--config", config, code=0) == "added b@kindle.com (epub)\n"
    (project_copy / "readers.csv").write_text("c@kindle.com\nnot-an-address\n", encoding="utf-8")
    imported = run("-q", "subscribers", "import", str(project_copy / "readers.csv"), "--config", config, code=2)
    assert imported.startswith("error: 1 row rejected (the others were imported):"), imported
    assert run("subscribers", "list", "--config", config, code=0).splitlines()[-1] == "3 subscribers, 3 active"


def test_sources_lists_the_listings_with_what_they_yield_this_month(project_copy):
    from factory import write_publication
    from loopback import LoopbackServer, Reply

    listings = ROOT / "tests" / "data" / "pages" / "listings"
    with LoopbackServer() as server:
        server.routes["/whitepapers/"] = Reply(body=(listings / "whitepapers.html").read_bytes(),
                                               headers={"Content-Type": "text/html; charset=utf-8"})
        config = write_publication(project_copy, sample=True, fetch={"allow_private_hosts": [server.host]},
                                   listings=[{"name": "Whitepapers", "url": server.url("/whitepapers/"),
                                              "kind": "whitepaper", "item": "div.wp-card", "title": ".wp-title",
                                              "date": ".wp-meta"}])
        out = run("sources", "--config", str(config), "--month", "2018-01", code=0)
    assert f"Whitepapers [listing: whitepaper] {server.url('/whitepapers/')}\n" in out
    assert "  4 items; this month: 2; 1 without a date (left out)\n" in out
    assert "  + Serverless Application Lens\n  + Security Pillar" in out
    assert "1 entry," not in out and "1 entries" not in out


def test_link_add_says_a_refused_host_once(project_copy, caplog):
    refused = CliRunner().invoke(cli, ["link", "add", "http://127.0.0.1:9/paper", "--config",
                                       str(project_copy / "digest.toml")])
    assert refused.exit_code == 0, refused.output
    said = refused.output + caplog.text
    assert said.count("loopback address") == 1, said


def test_counts_of_one_read_in_the_singular(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run("init", code=0)  # its sample feed holds one entry
    fetched = run("fetch", code=0)
    assert "Welcome: 1 entry, " in fetched and "1 entries" not in fetched, fetched
