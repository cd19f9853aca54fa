"""AZW3 and MOBI periodical from the built EPUB, with calibre's ``ebook-convert``.

AZW3 (KF8) is converted from the EPUB as shipped. The MOBI is converted from the EPUB 2
periodical copy (see digest.ebook.epub2): Amazon has no KF8 periodicals, so only MOBI 6 carries
Kindle magazine navigation. calibre runs headless, with a private config folder (the
user's calibre preferences must not change the output) and a time limit. Each file is
written into a temp folder and moved beside the EPUB only when calibre succeeded, so a
crash or timeout never leaves a truncated book where the publisher would pick it up.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from concurrent.futures import Executor, wait
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from digest.core.config import Output
from digest.core.errors import ConversionError
from digest.core.external import run_external
from digest.core.leftovers import private_folder
from digest.core.models import Issue
from digest.core.vocabulary import KINDLE_FORMATS
from digest.ebook.epub2 import periodical_epub
from digest.ebook.render import Page, Theme

log = logging.getLogger(__name__)

CALIBRE_INSTALL = "sudo apt-get install calibre"
"""What scripts/install-system-deps.sh would run; shown when calibre is missing."""


@dataclass(frozen=True)
class KindleFiles:
    files: tuple[Path, ...]
    """The AZW3/MOBI files written beside the EPUB, in config order."""
    notes: tuple[str, ...] = ()
    """Why a wanted format was not produced (calibre missing), for the report and manifest."""


def build_kindle_formats(output: Output, epub: Path, issue: Issue, pages: tuple[Page, ...],
                         theme: Theme, pool: Executor | None = None) -> KindleFiles:
    """Convert ``epub`` to the Kindle formats ``output.formats`` asks for, beside it.

    With a ``pool`` the formats are converted side by side in it (each ebook-convert is one busy core).
    """
    wanted = [fmt for fmt in output.formats if fmt in KINDLE_FORMATS]
    if not wanted:
        return KindleFiles(())
    converter = shutil.which("ebook-convert")
    if converter is None:
        note = (f"{' and '.join(fmt.upper() for fmt in wanted)} skipped: calibre's ebook-convert "
                f"is not installed (install with: {CALIBRE_INSTALL})")
        return KindleFiles((), (note,))  # said once, by the build report and the manifest

    with private_folder("kindle") as work:
        options = ["--output-profile", output.kindle_profile,
                   "--read-metadata-from-opf", str(_identity_opf(issue, work))]

        def one(fmt: str) -> Path:
            source = epub
            if fmt == "mobi":
                source = work / f"{epub.stem}-periodical.epub"
                periodical_epub(epub, issue, pages, theme, source)
            target = epub.with_suffix(f".{fmt}")
            started = time.monotonic()
            # A config folder each: two calibres running at once must not share one.
            produced = convert(converter, source, work / target.name, options, output.convert_timeout,
                               work / f"calibre-config-{fmt}")
            shutil.move(produced, target)
            log.info("wrote %s in %.1f s", target.name, time.monotonic() - started)
            return target

        if pool is None:
            return KindleFiles(tuple(one(fmt) for fmt in wanted))
        converting = [pool.submit(one, fmt) for fmt in wanted]
        wait(converting)  # every calibre has finished with the work folder before it goes
        return KindleFiles(tuple(future.result() for future in converting))


def convert(converter: str, source: Path, target: Path, options: list[str], timeout: float,
            config_dir: Path) -> Path:
    """Run ``ebook-convert source target *options``; raise ConversionError naming ``target`` on failure."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "CALIBRE_CONFIG_DIRECTORY": str(config_dir)}
    args = [converter, str(source), str(target), *options]
    try:
        done = run_external(args, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise ConversionError(f"{target.name}: ebook-convert did not finish within {timeout:g} s "
                              f"and was stopped (raise output.convert_timeout if the issue is large)") from None
    except OSError as exc:
        raise ConversionError(f"{target.name}: cannot run {converter}: {exc.strerror}") from None
    if done.returncode != 0:
        raise ConversionError(f"{target.name}: ebook-convert failed (exit {done.returncode}): "
                              f"{_last_line(done.stderr or done.stdout)}")
    if not target.is_file() or target.stat().st_size == 0:
        raise ConversionError(f"{target.name}: ebook-convert reported success but wrote no file")
    return target


def _identity_opf(issue: Issue, work: Path) -> Path:
    """An OPF holding only the issue's stable uuid.

    calibre writes a fresh random uuid as the Kindle ASIN (EXTH 113) unless the metadata
    it is handed carries a uuid-scheme identifier; with a random one a rebuilt issue shows
    up on the Kindle as a second book instead of replacing the first.
    """
    path = work / "identity.opf"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<package xmlns="http://www.idpf.org/2007/opf" version="2.0" unique-identifier="uuid_id">\n'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:opf="http://www.idpf.org/2007/opf">\n'
        f'<dc:identifier id="uuid_id" opf:scheme="uuid">{escape(issue.identifier.removeprefix("urn:uuid:"))}'
        '</dc:identifier>\n</metadata>\n</package>\n', encoding="utf-8")
    return path


def _last_line(output: bytes) -> str:
    """calibre ends a failure with the exception line; that is the useful part."""
    lines = [line.strip() for line in output.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
