"""A stranger's first hour (issue 23): a clean first build, private feeds opted in by the
entry a refusal names, honest verdicts without java, a workflow that installs this digest.

Every `digest` here is a real subprocess or the real CLI, the feeds are files or a loopback
server, and the book is checked by the real EPUBCheck (or, without java on PATH, not).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from factory import ROOT, write_publication
from loopback import LoopbackServer, Reply
from test_editor_flow import atom_feed
from test_workflow import run_actionlint

from digest.core.configfile import load_config
from digest.core.errors import ConfigError, SourceError
from digest.ebook.check_rules import RULES
from digest.editor.installsource import DISTRIBUTION, checkout_source, recorded_source
from digest.editor.scaffold import NewPublication, create_publication, workflow_text
from digest.ingest.fetch import Fetcher, FetchPolicy

TIMEOUT = 600
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def digest(*args: str, cwd: Path, path: str | None = None) -> subprocess.CompletedProcess:
    """`digest ARGS` as a user runs it; ``path``: the PATH it sees (java and calibre found there or not)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if path is not None:
        env["PATH"] = path
    return subprocess.run([sys.executable, "-m", "digest", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT)


def first_month(out: str) -> str:
    """The month of the issue file init says it created (its next steps need no --month)."""
    found = re.search(r"^created .*issues/(\d{4}-\d{2})\.toml$", out, re.MULTILINE)
    assert found, out
    return found.group(1)


# Finding 3: the sample feed gives a first build with nothing to report.

@pytest.mark.slow
def test_a_fresh_scaffold_builds_strict_with_no_problem(tmp_path):
    started = digest("init", "pub", cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    built = digest("build", "--month", first_month(started.stdout), "--strict", "--json", cwd=tmp_path / "pub")
    assert built.returncode == 0, built.stdout + built.stderr
    report = json.loads(built.stdout)
    assert report["problems"] == [] and report["articles"] == 1
    assert report["check"]["kindle_ready"], report["check"]  # java is installed here: EPUBCheck ran


# Finding 5: without java, no verdict says Kindle-ready, in check, build and --json alike.

@pytest.mark.slow
def test_without_java_no_verdict_says_kindle_ready(tmp_path):
    started = digest("init", "pub", cwd=tmp_path)
    month = first_month(started.stdout)
    publication = tmp_path / "pub"
    empty = tmp_path / "bin"  # a PATH with neither java nor calibre
    empty.mkdir()
    assert shutil.which("java", path=str(empty)) is None
    expected = f"{len(RULES)} Kindle rules passed; EPUBCheck not run: java is not installed"

    built = digest("build", "--month", month, cwd=publication, path=str(empty))
    assert built.returncode == 0, built.stdout + built.stderr
    [check_line] = [line for line in built.stdout.splitlines() if line.startswith("check: ")]
    assert check_line.startswith(f"check: {expected}") and "Kindle-ready" not in check_line, check_line

    again = json.loads(digest("build", "--month", month, "--json", cwd=publication, path=str(empty)).stdout)
    assert again["check"]["kindle_ready"] is False and again["check"]["verdict"].startswith(expected)

    [epub] = (publication / "dist").rglob("*.epub")
    checked = digest("check", str(epub), cwd=publication, path=str(empty))
    assert checked.returncode == 0, checked.stdout  # nothing failed; the verdict says what did not run
    assert "Kindle-ready" not in checked.stdout and expected in checked.stdout, checked.stdout
    assert checked.stdout.count("java is not installed") == 1, checked.stdout

    as_json = json.loads(digest("check", "--json", str(epub), cwd=publication, path=str(empty)).stdout)
    [book] = as_json["books"]
    assert as_json["kindle_ready"] is False and book["kindle_ready"] is False and book["ok"] is True
    assert book["verdict"].startswith(expected)


# Finding 4: private hosts, opted in by host, host:port or URL; localhost is its loopback addresses.

def feed_server() -> LoopbackServer:
    server = LoopbackServer()
    server.routes["/feed.xml"] = Reply(200, atom_feed([]).encode(), {"Content-Type": "application/atom+xml"})
    return server


def test_a_refusal_names_the_exact_entry_to_add():
    with feed_server() as server, Fetcher(FetchPolicy(retries=0)) as fetcher:
        with pytest.raises(SourceError) as refused:
            fetcher.get(server.url("/feed.xml"))
        assert f'add "{server.host}" to [fetch] allow_private_hosts' in str(refused.value)
        port = server.host.split(":")[1]
        with pytest.raises(SourceError) as by_name:
            fetcher.get(f"http://localhost:{port}/feed.xml")
        assert f'add "localhost:{port}" to [fetch] allow_private_hosts' in str(by_name.value)
        assert server.requests == []


@pytest.mark.parametrize(("entry", "host"), [
    ("localhost:{port}", "127.0.0.1"),
    ("127.0.0.1:{port}", "localhost"),
    ("http://localhost:{port}/feed.xml", "127.0.0.1"),
    ("HTTP://127.0.0.1:{port}", "localhost"),
    ("[::1]:{port}", "127.0.0.1"),
    ("localhost", "127.0.0.1"),
])
def test_localhost_and_its_loopback_addresses_are_one_host(entry, host):
    with feed_server() as server:
        port = server.host.split(":")[1]
        with Fetcher(FetchPolicy(retries=0, allow_private_hosts=(entry.format(port=port),))) as fetcher:
            assert b"Systems Blog" in fetcher.get(f"http://{host}:{port}/feed.xml").body
        assert [path for path, _ in server.requests] == ["/feed.xml"]


def test_the_config_takes_a_host_host_port_or_url_and_shows_the_forms(tmp_path):
    entries = ["intranet.example", "127.0.0.1:8901", "http://localhost:8901/feed.xml", "[::1]:8080"]
    config = load_config(write_publication(tmp_path, sample=True, fetch={"allow_private_hosts": entries}))
    assert config.fetching.allow_private_hosts == tuple(entries)
    for bad in ("ftp://intranet.example", "intranet.example/feed.xml", "user@intranet.example", "a b"):
        with pytest.raises(ConfigError) as error:
            load_config(write_publication(tmp_path, sample=True, fetch={"allow_private_hosts": [bad]}))
        assert (f"fetch.allow_private_hosts: invalid value {bad!r}: give a host" in str(error.value)
                and '"127.0.0.1:8080"' in str(error.value)), str(error.value)


@pytest.mark.slow
def test_init_on_a_private_feed_writes_the_opt_in_commented_and_the_build_says_what_to_do(tmp_path):
    with feed_server() as server:
        # One entry of this month, so the first issue has an article.
        entry = ("Queues Before Databases", "https://blog.example.org/queues", datetime.now(timezone.utc), "en")
        server.routes["/feed.xml"] = Reply(200, atom_feed([entry]).encode(), {"Content-Type": "application/atom+xml"})
        started = digest("init", "pub", "--feed", server.url("/feed.xml"), cwd=tmp_path)
        assert started.returncode == 0, started.stderr
        assert f'uncomment allow_private_hosts = ["{server.host}"] under [fetch]' in started.stdout
        config = tmp_path / "pub" / "digest.toml"
        text = config.read_text(encoding="utf-8")
        assert f'# [fetch]\n# allow_private_hosts = ["{server.host}"]\n' in text
        assert "allow_private_hosts" not in tomllib.loads(text).get("fetch", {}), "an opt-in, not a default"

        month = first_month(started.stdout)
        refused = digest("build", "--month", month, cwd=tmp_path / "pub")
        assert refused.returncode == 1
        assert f'add "{server.host}" to [fetch] allow_private_hosts' in refused.stderr + refused.stdout
        assert server.requests == []

        text = text.replace("# [fetch]\n# allow_private_hosts", "[fetch]\nallow_private_hosts")
        config.write_text(text.replace('formats = ["epub", "azw3", "mobi"]', 'formats = ["epub"]'), encoding="utf-8")
        built = digest("build", "--month", month, "--json", cwd=tmp_path / "pub")
        assert built.returncode == 0, built.stdout + built.stderr
        assert json.loads(built.stdout)["articles"] == 1


# Finding 2: the workflow installs this digest, pinned, never a bare name.

def test_a_checkout_pins_its_commit_at_its_https_origin(tmp_path):
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True, text=True,
                              timeout=60).stdout.strip()

    git("init", "-q")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'digest-publisher'\n", encoding="utf-8")
    git("add", "pyproject.toml")
    git("-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-q", "-m", "one")
    assert checkout_source(tmp_path) == "", "no origin: nothing to install from"
    git("remote", "add", "origin", "git@github.com:example/digest.git")
    head = git("rev-parse", "HEAD")
    pinned = f"{DISTRIBUTION} @ git+https://github.com/example/digest.git@{head}"
    assert checkout_source(tmp_path) == pinned
    # `pip install path/to/checkout` (or pipx, or -e) records the folder: its commit is pinned the same way.
    assert recorded_source({"url": tmp_path.as_uri(), "dir_info": {"editable": True}}) == pinned


def test_an_install_record_gives_a_pinned_source_or_none():
    """PEP 610 direct_url.json as pip writes it for a git install, a downloaded file, a local file."""
    assert recorded_source({"url": "https://github.com/example/digest.git",
                            "vcs_info": {"vcs": "git", "commit_id": COMMIT, "requested_revision": "v0.1.0"}}) \
        == f"{DISTRIBUTION} @ git+https://github.com/example/digest.git@{COMMIT}"
    sha = "ab" * 32
    assert recorded_source({"url": "https://example.org/digest_publisher-0.1.0-py3-none-any.whl",
                            "archive_info": {"hashes": {"sha256": sha}}}) \
        == f"{DISTRIBUTION} @ https://example.org/digest_publisher-0.1.0-py3-none-any.whl#sha256={sha}"
    assert recorded_source({"url": "file:///home/me/digest_publisher-0.1.0-py3-none-any.whl",
                            "archive_info": {"hash": f"sha256={sha}"}}) == ""
    plain_http = {"url": "http://example.org/digest.git", "vcs_info": {"vcs": "git", "commit_id": COMMIT}}
    assert recorded_source(plain_http) == ""


def workflow_env(text: str) -> dict:
    return yaml.safe_load(text)["env"]


def test_the_generated_workflow_installs_the_pinned_digest_it_is_given(tmp_path):
    package = f"{DISTRIBUTION} @ git+https://github.com/example/digest.git@{COMMIT}"
    workflow = tmp_path / ".github" / "workflows" / "publish.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(workflow_text(package), encoding="utf-8")
    linted = run_actionlint(workflow)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    text = workflow.read_text(encoding="utf-8")
    assert workflow_env(text)["DIGEST_PACKAGE"] == package
    assert "digest==" not in text and f"{DISTRIBUTION}==" not in text


def test_without_a_known_source_init_says_so_and_the_workflow_stops(tmp_path):
    scaffold = create_publication(tmp_path / "pub", NewPublication())
    assert any("set DIGEST_PACKAGE" in note for note in scaffold.notes), scaffold.notes
    text = (tmp_path / "pub" / ".github" / "workflows" / "publish.yml").read_text(encoding="utf-8")
    assert workflow_env(text)["DIGEST_PACKAGE"] == ""
    [install] = [step["run"] for step in yaml.safe_load(text)["jobs"]["fetch"]["steps"]
                 if step.get("name") == "Install digest"]
    # The step as the runner runs it: the empty variable stops it before pip asks any index.
    shims = tmp_path / "shims"
    shims.mkdir()
    (shims / "python").symlink_to(sys.executable)
    done = subprocess.run(["bash", "-e", "-c", install], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "DIGEST_PACKAGE": "", "PATH": f"{shims}:{os.environ['PATH']}"})
    assert done.returncode != 0 and "set DIGEST_PACKAGE at the top of this workflow" in done.stderr


def test_the_docs_install_the_distribution_by_its_name_and_with_pipx():
    name = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]
    assert name == DISTRIBUTION
    for doc in ("README.md", "docs/getting-started.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        assert "pipx install" in text and DISTRIBUTION in text, doc
        assert "pip install digest\n" not in text and "digest==" not in text, doc
