"""EPUBCheck started ahead of need, so the final check does not wait for java to warm up.

Before it reads a byte of the book, EPUBCheck spends about 4 s of CPU loading its classes and
compiling its schemas; a process that has already checked one book checks the next far
faster (the 26 MB bench book: 1.4 s instead of 4.8 s, the sample issue 0.14 s instead of
3.5 s). So a build starts one java process once the feeds are read, at low priority (``nice``),
which checks a tiny book while the pages are read and the images fitted; the final gate then
hands the real book to that warm process. The same process runs Jing on the article bodies
(digest.ebook.validate) before the book is written, saving that batch a java start-up too.

The process runs EpubCheckServer.java, beside this module, compiled once per machine into the
java kit of the user's cache, with an unsigned copy of Saxon (digest.ebook.javakit: 1.3 s less
CPU for the first book); without a kit, java compiles it at every start (its source-file
mode, java 11 or later). The kit is made when java is first wanted. When the process cannot
start or does not answer, a fresh java runs EPUBCheck instead: the same findings, only slower. On a
rebuild whose check and bodies are remembered in the store the process is never asked
anything: it would only take CPU. So a build whose inputs are those of the month's last build
starts it only if it is asked after all (digest.pipeline).
"""

from __future__ import annotations

import functools
import itertools
import logging
import shutil
import subprocess
import threading
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from digest.core.external import start_external, stop_external
from digest.core.leftovers import private_folder
from digest.ebook.check import (
    EPUBCHECK_TIMEOUT,
    EpubCheckRunner,
    Finding,
    epubcheck_findings,
    epubcheck_jar,
    run_epubcheck,
    timed_out,
)
from digest.ebook.javakit import JAVA_OPTIONS, MAIN_CLASS, SERVER, java_kit
from digest.ebook.validate import JingRunner

log = logging.getLogger(__name__)

PRIORITY = "10"  # nice: the warm-up only takes CPU the build leaves idle


@dataclass(frozen=True)
class Checkers:
    """How a build runs EPUBCheck, and Jing when a warm java can (else fragment_errors starts one)."""

    epubcheck: EpubCheckRunner
    jing: JingRunner | None = None
    java: WarmJava | None = None

    def start_ahead(self) -> None:
        """Start the warm java now (it warms up in the background) rather than when first asked."""
        if self.java is not None:
            self.java.start()


@contextmanager
def primed_checkers() -> Iterator[Checkers]:
    """EPUBCheck and Jing in one java, stopped when the block ends: started by Checkers.start_ahead,
    else when first asked (a rebuild whose checks are all remembered asks nothing)."""
    java, jar, nice = shutil.which("java"), epubcheck_jar(), shutil.which("nice")
    if java is None or jar is None or not SERVER.is_file():
        yield Checkers(run_epubcheck)
        return
    with private_folder("epubcheck") as folder:
        warm = WarmJava(functools.partial(server_command, java, jar, nice), Path(folder))
        try:
            yield Checkers(warm, warm.jing, warm)
        finally:
            warm.stop()


def server_command(java: str, jar: Path, nice: str | None) -> list[str]:
    """The server's command line: its class from the java kit when there is one, else its source."""
    kit = java_kit(java, jar)
    server = ["-cp", kit.classpath(jar), MAIN_CLASS] if kit else ["-cp", str(jar), str(SERVER)]
    return [*([nice, "-n", PRIORITY] if nice else []), java, *JAVA_OPTIONS, *server]


class WarmJava:
    """Sends requests to one EpubCheckServer process, one at a time, in order."""

    def __init__(self, command: Callable[[], list[str]], folder: Path):
        """``command``: the process's command line, asked for when it starts."""
        self._command, self._folder = command, folder
        self._process: subprocess.Popen[bytes] | None = None
        self._failed = False
        self.asked = False
        self._sent = self._answered = 0
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)  # names each request's files, from any thread

    def start(self) -> bool:
        """Start the process, which checks a tiny book to warm up (once); False when java cannot start."""
        if self._process is None and not self._failed:
            try:
                self._process = start_external(self._command())
            except OSError as exc:
                log.info("EPUBCheck not started ahead: %s", exc)
                self._failed = True
                return False
            self.send("epubcheck", str(_write_primer(self._folder / "primer.epub")), str(self._folder / "primer.json"))
        return self._process is not None

    def stop(self) -> None:
        if self._process is not None:
            stop_external(self._process)

    def send(self, *fields: str) -> None:
        """Send a request without waiting for its answer (see EpubCheckServer.java)."""
        assert self._process is not None and self._process.stdin is not None
        self._process.stdin.write(("\t".join(fields) + "\n").encode())
        self._process.stdin.flush()
        self._sent += 1

    def __call__(self, path: Path) -> tuple[tuple[Finding, ...], tuple[str, ...]]:
        """EPUBCheck on ``path`` (an EpubCheckRunner)."""
        report = self._folder / f"report-{next(self._numbers)}.json"
        status = self._ask("epubcheck", str(path.resolve()), str(report))
        if status == "timeout":
            return (timed_out(path),), ()
        if status is None or not report.is_file():
            log.info("the EPUBCheck started ahead did not answer: checking %s with a fresh java", path.name)
            return run_epubcheck(path)
        return epubcheck_findings(path, report.read_bytes(), f"exit {status}"), ()

    def jing(self, schema: Path, files: list[str]) -> subprocess.CompletedProcess[bytes] | None:
        """Jing on ``files`` against ``schema`` (a JingRunner): what its command line would give,
        or None when the warm process cannot run it."""
        listing = self._folder / f"jing-{next(self._numbers)}.txt"
        errors = listing.with_suffix(".out")
        listing.write_text("".join(f"{Path(file).resolve()}\n" for file in files), encoding="utf-8")
        status = self._ask("jing", str(schema.resolve()), str(listing), str(errors))
        if status is None or status == "timeout" or not errors.is_file():
            return None
        return subprocess.CompletedProcess(["jing", str(schema)], int(status), errors.read_bytes(), b"")

    def _ask(self, *fields: str) -> str | None:
        """The exit status of one request (earlier answers skipped), "timeout", or None when the
        process died, crashed on it, or the request cannot be written on one line."""
        if any("\t" in field or "\n" in field for field in fields):
            return None
        with self._lock:
            self.asked = True
            if not self.start():
                return None
            assert self._process is not None and self._process.stdout is not None
            watchdog = threading.Timer(EPUBCHECK_TIMEOUT, self._process.kill)
            watchdog.start()
            try:
                self.send(*fields)
                while self._answered < self._sent:
                    line = self._process.stdout.readline()
                    if not line:
                        return "timeout" if not watchdog.is_alive() else None
                    self._answered += 1
            except OSError:
                return None
            finally:
                watchdog.cancel()
        status = line.decode("ascii", "replace").strip()
        return status if status.isdigit() else None


def _write_primer(path: Path) -> Path:
    """A tiny EPUB 3 with the parts digest's books have (nav, NCX, CSS, an XHTML page)."""
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        for name, text in PRIMER_FILES.items():
            book.writestr(name, text, compress_type=zipfile.ZIP_DEFLATED)
    return path


PRIMER_FILES = {
    "META-INF/container.xml": '<?xml version="1.0"?>\n<container version="1.0" '
    'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" '
    'media-type="application/oebps-package+xml"/></rootfiles></container>',
    "OEBPS/content.opf": '<?xml version="1.0" encoding="utf-8"?>\n<package xmlns="http://www.idpf.org/2007/opf" '
    'version="3.0" unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
    '<dc:identifier id="id">urn:uuid:00000000-0000-4000-8000-000000000000</dc:identifier><dc:title>Primer</dc:title>'
    '<dc:language>en</dc:language><meta property="dcterms:modified">2000-01-01T00:00:00Z</meta></metadata>'
    '<manifest><item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'
    '<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>'
    '<item id="css" href="style.css" media-type="text/css"/>'
    '<item id="page" href="page.xhtml" media-type="application/xhtml+xml"/></manifest>'
    '<spine toc="ncx"><itemref idref="page"/></spine></package>',
    "OEBPS/nav.xhtml": '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml" '
    'xmlns:epub="http://www.idpf.org/2007/ops" lang="en" xml:lang="en"><head><title>Contents</title></head>'
    '<body><nav epub:type="toc"><ol><li><a href="page.xhtml">Page</a></li></ol></nav></body></html>',
    "OEBPS/toc.ncx": '<?xml version="1.0" encoding="utf-8"?>\n<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" '
    'version="2005-1"><head><meta name="dtb:uid" content="urn:uuid:00000000-0000-4000-8000-000000000000"/></head>'
    '<docTitle><text>Primer</text></docTitle><navMap><navPoint id="p" playOrder="1"><navLabel><text>Page</text>'
    '</navLabel><content src="page.xhtml"/></navPoint></navMap></ncx>',
    "OEBPS/style.css": "body { margin: 0 1em; } h1 { font-size: 1.4em; } a { text-decoration: underline; }\n",
    "OEBPS/page.xhtml": '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml" '
    'lang="en" xml:lang="en"><head><title>Page</title><link rel="stylesheet" type="text/css" href="style.css"/>'
    '</head><body><section><h1>Page</h1><p>A <a href="https://example.org/">link</a> and <em>text</em>.</p>'
    '<table><tr><td>1</td></tr></table><pre><code>code</code></pre></section></body></html>',
}
