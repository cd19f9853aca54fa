"""Ace by DAISY, the reference accessibility checker, run on a built book.

``digest check --accessibility`` and the test suite run it; the build does not (about 15 s
for the sample, 100 s for a 130-article book): its own rules (digest.ebook.a11y_rules)
catch the same faults in milliseconds. Ace is the npm package pinned in ``tools/ace``
(``make ace``), driven by the system's Chromium. A crash or timeout of Ace is a note in
the report, never a lost issue.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from digest.core.errors import MissingToolError
from digest.core.external import run_external
from digest.ebook.check_rules import Finding

ACE_TIMEOUT = 600
PROJECT_ACE = Path(__file__).resolve().parents[2] / "tools" / "ace" / "node_modules" / ".bin" / "ace-puppeteer"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def ace_command() -> tuple[str, str]:
    """The Ace executable and the Chromium it drives; MissingToolError names what is missing."""
    if shutil.which("node") is None:
        raise MissingToolError("Ace by DAISY needs Node.js, which is not installed "
                               "(install with: sudo apt-get install nodejs npm, then make ace)")
    browser = os.environ.get("PUPPETEER_EXECUTABLE_PATH") or next(filter(None, map(shutil.which, BROWSERS)), None)
    if browser is None:
        raise MissingToolError("Ace by DAISY needs Chromium, which is not installed "
                               "(install with: sudo apt-get install chromium)")
    ace = str(PROJECT_ACE) if PROJECT_ACE.is_file() else shutil.which("ace-puppeteer")
    if ace is None:
        raise MissingToolError("Ace by DAISY is not installed (run: make ace)")
    return ace, browser


def run_ace(path: Path) -> tuple[tuple[Finding, ...], tuple[str, ...]]:
    """Ace's violations on ``path`` as findings (rule ``ace:<its rule>``), or a note saying why it failed."""
    ace, browser = ace_command()
    with tempfile.TemporaryDirectory(prefix="digest-ace-") as folder:
        env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": browser}
        try:
            done = run_external([ace, "--force", "--outdir", folder, str(path)], timeout=ACE_TIMEOUT, env=env)
        except subprocess.TimeoutExpired:
            return (), (f"Ace by DAISY did not finish within {ACE_TIMEOUT} s",)
        except OSError as exc:
            return (), (f"Ace by DAISY could not start ({ace}: {exc.strerror})",)
        try:
            report = json.loads((Path(folder) / "report.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            return (), (f"Ace by DAISY failed (exit {done.returncode}: {tail[0]})",)
    return ace_findings(report), ()


def ace_findings(report: dict) -> tuple[Finding, ...]:
    """One finding per failed Ace assertion: the rule, the file, the impact and Ace's own words."""
    findings = []
    for subject in report.get("assertions", []):
        where = subject.get("earl:testSubject", {}).get("url", "book")
        for assertion in subject.get("assertions", []):
            if assertion.get("earl:result", {}).get("earl:outcome") != "fail":
                continue
            test = assertion.get("earl:test", {})
            text = " ".join(str(assertion["earl:result"].get("dct:description") or test.get("dct:title")).split())
            findings.append(Finding(f"ace:{test.get('dct:title', '?')}", where,
                                    f"{test.get('earl:impact', '?')}: {text[:300]}"))
    return tuple(findings)
