"""Where this digest came from, as a pip requirement no one else can change.

The workflow `digest init` writes installs digest on every run. A bare name would let
whoever owns that name on the index run code in the publishing job, so it gets this very
version pinned: the commit of a git checkout or of a ``git+`` install, or an archive URL
with its hash (PEP 610's ``direct_url.json`` records both). An install from an index by
name records neither; then there is no answer and the user is asked.
"""

from __future__ import annotations

import json
import re
import subprocess
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

DISTRIBUTION = "digest-publisher"
"""The project's name on package indexes (``digest`` there is another project's)."""
_COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")
_SCP_RE = re.compile(r"^git@([A-Za-z0-9.-]+):(.+)$")  # git@github.com:owner/repo.git


def package_source() -> str:
    """This digest as a pinned pip requirement, or '' when where it came from is unknown."""
    try:
        recorded = metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        recorded = None
    if recorded:
        return recorded_source(json.loads(recorded))
    # Not installed as a distribution: run from a checkout (PYTHONPATH, `python -m digest`).
    return checkout_source(Path(__file__).resolve().parents[2])


def recorded_source(direct_url: dict) -> str:
    """The pinned requirement a PEP 610 ``direct_url.json`` describes, or '' if it is local or unpinned."""
    url = str(direct_url.get("url", ""))
    vcs = direct_url.get("vcs_info") or {}
    if vcs.get("vcs") == "git" and _COMMIT_RE.match(str(vcs.get("commit_id", ""))):
        remote = _https(url.removeprefix("git+"))
        return f"{DISTRIBUTION} @ git+{remote}@{vcs['commit_id']}" if remote else ""
    archive = direct_url.get("archive_info") or {}
    sha256 = (archive.get("hashes") or {}).get("sha256") or str(archive.get("hash", "")).removeprefix("sha256=")
    if archive and urlsplit(url).scheme == "https" and re.fullmatch(r"[0-9a-f]{64}", sha256 or ""):
        return f"{DISTRIBUTION} @ {url.split('#')[0]}#sha256={sha256}"
    if "dir_info" in direct_url and urlsplit(url).scheme == "file":
        return checkout_source(Path(urlsplit(url).path))
    return ""


def checkout_source(folder: Path) -> str:
    """The commit checked out in ``folder`` at its ``origin`` (an https address), or ''."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=30)
        return done.stdout.strip() if done.returncode == 0 else ""

    if not (folder / "pyproject.toml").is_file():
        return ""
    try:
        commit, remote = git("rev-parse", "HEAD"), _https(git("remote", "get-url", "origin"))
    except (OSError, subprocess.TimeoutExpired):  # no git on this machine
        return ""
    return f"{DISTRIBUTION} @ git+{remote}@{commit}" if _COMMIT_RE.match(commit) and remote else ""


def _https(remote: str) -> str:
    """``remote`` as an https address pip can fetch in CI (an scp-style GitHub address turned into one)."""
    if scp := _SCP_RE.match(remote):
        remote = f"https://{scp[1]}/{scp[2]}"
    parts = urlsplit(remote)
    return remote if parts.scheme == "https" and parts.hostname and not parts.username else ""
