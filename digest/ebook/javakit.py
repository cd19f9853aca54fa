"""What EPUBCheck's java (digest.ebook.primed, digest.ebook.check) loads fastest, made once per machine.

Run from its source, EpubCheckServer.java is compiled in the process at every start (about 1 s
of CPU); and Saxon's jar is signed, so java checks a SHA-256 digest of every class it loads from
it, and an RSA signature. The kit is a folder of the user's cache holding the server compiled
into a jar and a copy of Saxon without its signature: put first on the classpath, the copy's
classes are the ones loaded, and the signed jar is never read. The warm java's first book (the
primer) then takes 4.2 s of CPU instead of 5.6, a one-off EPUBCheck run 4.1 s instead of 5.0
(medians on a loaded 2-core machine). The folder is named after a hash of what it is made from
(the server's source, the jars, the java binary), so a new java or epubcheck makes a new kit
(digest.core.machinecache: made beside its final name and renamed into place; kits unused for a
month removed).
When it cannot be made (no compiler, no writable cache), java runs the server from its source
and EPUBCheck from its jar.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from digest.core.external import run_external
from digest.core.machinecache import fingerprint, made_folder

log = logging.getLogger(__name__)

SERVER = Path(__file__).with_name("EpubCheckServer.java")
MAIN_CLASS = "EpubCheckServer"
COMPILE_TIMEOUT = 120
SIGNATURE = re.compile(r"META-INF/[^/]+\.(SF|RSA|DSA|EC)", re.IGNORECASE)
# The compiler of the java that will run the class, so the class file suits it (a javac on
# PATH may belong to another JDK); a JRE that has the jdk.compiler module has it too.
JAVAC = ("-m", "jdk.compiler/com.sun.tools.javac.Main")
# Every java digest runs (EPUBCheck, Jing, the compiler) is short: a C1-only JIT and the serial
# collector halve java's start-up cost; a small initial heap grows as needed instead of filling a
# quarter of the RAM before collecting (the 26 MB bench book: 255 -> 155 MB of RSS, same time).
JAVA_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xms16m")


@dataclass(frozen=True)
class JavaKit:
    server: Path
    """EpubCheckServer compiled, in a jar."""
    saxon: Path
    """Saxon's jar without its signature."""

    def classpath(self, epubcheck: Path) -> str:
        """A classpath for EPUBCheck (its own main class, or the server's): the unsigned Saxon
        first, then ``epubcheck``'s jar and the server."""
        return os.pathsep.join(map(str, (self.saxon, epubcheck, self.server)))


def java_kit(java: str, epubcheck: Path, source: Path = SERVER) -> JavaKit | None:
    """The kit for the java binary at ``java`` running ``source`` (the server's) with
    ``epubcheck``'s jar, made if it is not in the cache yet; None (logged) when it cannot be made."""
    saxon = min(epubcheck.parent.glob("lib/Saxon-HE-*.jar"), default=None)  # on the jar's Class-Path
    try:
        if saxon is None:
            raise OSError(f"no Saxon jar beside {epubcheck}")
        folder = made_folder("javakit", fingerprint(source.read_bytes(), Path(java), epubcheck, saxon),
                             functools.partial(_make, java=java, epubcheck=epubcheck, saxon=saxon, source=source),
                             intact=_intact, make_timeout=COMPILE_TIMEOUT)
    except (OSError, subprocess.SubprocessError, zipfile.BadZipFile) as exc:
        log.info("no java kit, so EPUBCheck starts the slower way: %s", exc)
        return None
    return _kit(folder)


def _kit(folder: Path) -> JavaKit:
    return JavaKit(folder / "server.jar", folder / "saxon.jar")


def _intact(folder: Path) -> bool:
    """Whether both jars of a kit open (a kit cut short, by a full disk or a copy, is made again)."""
    kit = _kit(folder)
    try:
        with zipfile.ZipFile(kit.server) as server, zipfile.ZipFile(kit.saxon) as saxon:
            return f"{MAIN_CLASS}.class" in server.namelist() and "META-INF/MANIFEST.MF" in saxon.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def _make(building: Path, *, java: str, epubcheck: Path, saxon: Path, source: Path) -> None:
    """Compile the server into ``building``'s jar and copy Saxon there unsigned."""
    classes = building / "classes"
    done = run_external([java, *JAVA_OPTIONS, *JAVAC, "-nowarn", "-encoding", "UTF-8", "-cp", str(epubcheck),
                         "-d", str(classes), str(source)], timeout=COMPILE_TIMEOUT)
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise OSError(f"compiling {source.name} failed (exit {done.returncode}): {tail[0]}")
    kit = _kit(building)
    with zipfile.ZipFile(kit.server, "w", zipfile.ZIP_DEFLATED) as jar:
        for path in sorted(classes.rglob("*.class")):
            jar.write(path, path.relative_to(classes).as_posix())
    shutil.rmtree(classes)
    _unsigned_copy(saxon, kit.saxon)


def _unsigned_copy(jar: Path, copy: Path) -> None:
    """``jar`` without its signature files, and its manifest without the digests of its entries."""
    with zipfile.ZipFile(jar) as signed, zipfile.ZipFile(copy, "w") as unsigned:
        for info in signed.infolist():
            if SIGNATURE.fullmatch(info.filename):
                continue
            data = signed.read(info)
            if info.filename == "META-INF/MANIFEST.MF":
                data = re.split(rb"\r?\n\r?\n", data, maxsplit=1)[0] + b"\r\n\r\n"
            unsigned.writestr(info, data)
