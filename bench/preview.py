"""How long an edit takes to reach the page `digest preview` shows, in headless Chromium.

    python -m bench.preview [--variant real|feed] [--saves 10] [--work DIR]

`make bench` (python -m bench) runs it on the real pages and prints its line.

The corpus and the project are bench's (as in bench.warm), with the theme copied into the
project and an editor's note. One build warms the cache, as an editor's month is, then
`digest preview` runs on it in a process of its own and Chromium opens the note's page. Each
save writes a new marker into the note (or, last, into the theme's note template), and the
figure is the time from the save to the marker being visible in the page: watching, the
rebuild, the event to the browser and its reload of the page.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import realcorpus
from bench.corpus import MONTH, Web, build_corpus
from bench.serve import CorpusServer, refused_base
from bench.tools import DIGEST, digest_project

MONTH_TEXT = "%04d-%02d" % MONTH
# Headless Chromium as the preview's tests start it (tests/conftest.py).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
TIMEOUT_MS = 60_000
NOTE = "An editor's note for the bench. {marker}\n"
HEADING = "<h1>From the editor</h1>"


def chromium() -> str | None:
    """Chromium's executable, or None when it (or playwright) is missing."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.preview")
    parser.add_argument("--variant", choices=("real", "feed"), default="real")
    parser.add_argument("--saves", type=int, default=10, help="note edits measured (then one template edit)")
    parser.add_argument("--work", type=Path, help="directory for the project (default: a temporary one)")
    args = parser.parse_args()
    line = bench_line(args.variant, args.saves, args.work)
    print(line)
    if not line.startswith(f"preview ({args.variant}):"):
        sys.exit(1)


def bench_line(variant: str = "real", saves: int = 10, work: Path | None = None) -> str:
    """The figures in one line, or why there are none (the bench goes on without them)."""
    if chromium() is None:
        return "preview: left out, it needs Chromium and playwright (sh scripts/install-system-deps.sh chromium)"
    if variant == "real" and not realcorpus.available():
        return f"preview: left out, real corpus not found at {realcorpus.CORPUS}"
    try:
        with tempfile.TemporaryDirectory(prefix="digest-bench-preview-") as temp:
            notes, template = measure(work or Path(temp), variant, saves)
    except RuntimeError as exc:
        return f"preview: FAILED: {exc}"
    return summary(variant, notes, template)


def summary(variant: str, notes: list[float], template: float) -> str:
    return (f"preview ({variant}): note edit to page median {statistics.median(notes):.2f} s "
            f"(min {min(notes):.2f}, max {max(notes):.2f}, {len(notes)} saves), template edit {template:.2f} s, "
            f"load average {os.getloadavg()[0]:.1f}")


def measure(work: Path, variant: str, saves: int) -> tuple[list[float], float]:
    """Seconds from each note save to its marker on the page, and the same for one template edit."""
    from playwright.sync_api import sync_playwright

    with CorpusServer() as server, CorpusServer(mirror=server) as other:
        if variant == "real":
            server.corpus = realcorpus.build_real_corpus(server.base)
        else:
            server.corpus = build_corpus(100, 1, server.base, web=Web(other.base, refused_base()))
        config = digest_project(work / f"preview-{variant}", server.base, pages=variant != "feed", templates="theme")
        from digest.core.theme import DEFAULT_TEMPLATES
        theme = config.parent / "theme"
        shutil.copytree(DEFAULT_TEMPLATES, theme, dirs_exist_ok=True)
        note = config.parent / "issues" / f"{MONTH_TEXT}.md"
        note.write_text(NOTE.format(marker="first"), encoding="utf-8")
        built = subprocess.run([str(DIGEST), "-q", "build", "--config", str(config), "--month", MONTH_TEXT],
                               capture_output=True, text=True)
        if built.returncode:
            raise RuntimeError(f"the warm-up build failed: {built.stderr[-2000:]}")
        with previewing(config) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(url + "note.xhtml")
            figures = []
            for n in range(saves):
                marker = f"marker-{n}-{time.time_ns()}"
                figures.append(save_and_wait(page, note, NOTE.format(marker=marker), marker))
                print(f"note save {n + 1}: {figures[-1]:.3f} s", flush=True)
            template = theme / "note.xhtml"
            marker = f"template-{time.time_ns()}"
            text = template.read_text(encoding="utf-8").replace(HEADING, f"<h1>From the editor {marker}</h1>")
            seconds = save_and_wait(page, template, text, marker)
            print(f"template save: {seconds:.3f} s", flush=True)
            browser.close()
    return figures, seconds


def save_and_wait(page, path: Path, text: str, marker: str) -> float:
    """Write ``text`` to ``path`` and wait until ``marker`` shows in the page (across its reloads)."""
    started = time.monotonic()
    path.write_text(text, encoding="utf-8")
    page.wait_for_function("marker => document.body && document.body.textContent.includes(marker)",
                           arg=marker, polling=10, timeout=TIMEOUT_MS)
    return time.monotonic() - started


@contextmanager
def previewing(config: Path) -> Iterator[str]:
    """`digest preview` on ``config`` in a process of its own; its address once it serves."""
    log = (config.parent / "preview.log").open("w", encoding="utf-8")
    process = subprocess.Popen([str(DIGEST), "preview", "--config", str(config), "--month", MONTH_TEXT,
                                "--port", "0"], stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        line = process.stdout.readline() if process.stdout else ""
        if " at " not in line:
            raise RuntimeError(f"digest preview did not start: {(config.parent / 'preview.log').read_text()[-2000:]}")
        yield line.split(" at ")[1].split()[0]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


if __name__ == "__main__":
    main()
