"""Run digest and calibre's ebook-convert on the served corpus, each as a measured subprocess."""

from __future__ import annotations

import compileall
import dataclasses
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

from bench.corpus import FEEDS, MONTH, Corpus

ROOT = Path(__file__).resolve().parent.parent
DIGEST = Path(sys.executable).parent / "digest"
# Both fetch five URLs at a time from the one loopback host (calibre's default simultaneous_downloads).
CONCURRENCY = 5
BOX = (1264, 1680)


@dataclass(frozen=True)
class Run:
    tool: str
    variant: str
    articles: int
    wall: float
    peak_rss_mb: float
    cpu: float
    epub: Path | None
    epub_bytes: int
    epubcheck_errors: int
    book_articles: int
    book_images: int
    requests: int = 0
    failed: str = ""
    walls: tuple[float, ...] = ()
    """Every repeat's wall time when this run is the median of several (``wall`` is the median)."""

    @property
    def label(self) -> str:
        return f"{self.tool} ({self.variant})"

    def summary(self) -> str:
        if self.failed:
            return f"{self.label}, {self.articles} articles: FAILED after {self.wall:.1f} s: {self.failed}"
        repeats = (f" (median of {len(self.walls)}: {', '.join(f'{w:.1f}' for w in self.walls)} s)"
                   if len(self.walls) > 1 else "")
        return (f"{self.label}, {self.articles} articles: {self.wall:.1f} s{repeats} "
                f"({cpu_floor(self.wall, self.cpu)}), "
                f"{self.peak_rss_mb:.0f} MB peak, "
                f"{self.epub_bytes / 1e6:.1f} MB EPUB, {self.epubcheck_errors} EPUBCheck errors, "
                f"{self.book_articles} articles, {self.book_images} images, {self.requests} requests")


@functools.cache
def _bytecode_compiled() -> None:
    """digest's modules compiled as pip compiles an installed package's: a checkout installed
    editable, in an environment with PYTHONDONTWRITEBYTECODE set, would compile all of them
    again in every measured process (0.3-0.4 s of each rebuild)."""
    compileall.compile_dir(ROOT / "digest", quiet=1)


@functools.cache
def _java_kit_made() -> None:
    """The warm EPUBCheck's java kit (digest.ebook.javakit) made in the user's cache, as a
    machine's first build makes it once: like the bytecode above, an install-time artifact, so a
    cold build (empty project store and output) measures what it did before the kit existed,
    without the one-off compile."""
    from digest.ebook.check import epubcheck_jar
    from digest.ebook.javakit import java_kit

    java, jar = shutil.which("java"), epubcheck_jar()
    if java is not None and jar is not None:
        java_kit(java, jar)


def cpu_floor(wall: float, cpu: float) -> str:
    """The shortest wall time the process tree's CPU seconds allow on this machine's cores, and
    how far the measured wall time is from it (1.0x: every core busy from start to end)."""
    cores = os.cpu_count() or 1
    floor = cpu / cores
    ratio = f"; wall is {wall / floor:.2f}x the floor" if floor else ""
    return f"{cpu:.1f} s CPU, CPU floor on {cores} cores: {floor:.1f} s{ratio}"


def measured(argv: list[str], env: dict | None = None) -> dict:
    _bytecode_compiled()
    _java_kit_made()
    done = subprocess.run([sys.executable, "-m", "bench.measure", *argv], capture_output=True, text=True,
                          cwd=ROOT, env=env)
    return json.loads(done.stdout)


def image_cpu(corpus: Corpus) -> float:
    """CPU seconds digest's image fitting spends on every image ``corpus`` serves, fitted once at
    the default profile, one after another in this process: the decode and encode work a cold
    build cannot skip (the part of the CPU floor no scheduling removes)."""
    from digest.content.images.fit import ImageProfile, process_image
    from digest.core.errors import ImageError

    spent = 0.0
    for body, content_type in corpus.files.values():
        if content_type.startswith("image/"):
            started = time.thread_time()
            try:
                process_image(body, ImageProfile())
            except ImageError:
                pass  # refused (a tracking pixel): refusing is the cost
            spent += time.thread_time() - started
    return spent


def image_floor(corpus: Corpus) -> str:
    cpu, cores = image_cpu(corpus), os.cpu_count() or 1
    return f"image decode and encode: {cpu:.1f} s CPU, {cpu / cores:.1f} s on {cores} cores"


def digest_project(work: Path, base: str, *, pages: bool, templates: str = "") -> Path:
    """A publication reading the corpus feeds (summary-only feeds plus page fetching when ``pages``);
    ``templates``: its own theme folder, relative to the project."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "issues").mkdir(exist_ok=True)
    variant = "summary" if pages else "full"
    sections = "".join(f'[[sections]]\nid = "{f}"\ntitle = "{f.title()}"\n\n' for f in FEEDS)
    sources = "".join(f'[[sources]]\nname = "{f.title()} at Example"\nurl = "{base}/{variant}/{f}.xml"\n'
                      f'section = "{f}"\nsummary_only = {"true" if pages else "false"}\n\n' for f in FEEDS)
    # The host without a port: the slow image host and the refusing port are on 127.0.0.1 too,
    # and a guard refusing them would spare digest the waiting calibre does.
    (work / "digest.toml").write_text(
        '[publication]\ntitle = "Bench Monthly"\npublisher = "Bench"\nslug = "bench"\nlanguage = "en"\n'
        f'timezone = "UTC"\n\n{sections}{sources}[fetch]\nper_host = {CONCURRENCY}\n'
        f'allow_private_hosts = ["{urlsplit(base).hostname}"]\n\n'
        # The sweep measures scaling: the default caps (100 entries a source, 250 articles) would cut it.
        '[limits]\nentries_per_source = 100000\narticles = 100000\n\n'
        '[output]\ndir = "out"\nformats = ["epub"]\n' + (f'templates = "{templates}"\n' if templates else '')
        + '\n[store]\npath = "digest.sqlite3"\n', encoding="utf-8")
    return work / "digest.toml"


@dataclass(frozen=True)
class Timed:
    """One measured command, its book not looked into yet (see ``median_run``)."""

    tool: str
    variant: str
    articles: int
    result: dict
    epub: Path | None
    requests: int


def run_digest(config: Path, variant: str, articles: int, requests: Callable[[], Counter]) -> Run:
    return median_run([time_digest(config, variant, articles, requests)])


def time_digest(config: Path, variant: str, articles: int, requests: Callable[[], Counter]) -> Timed:
    month = "%04d-%02d" % MONTH
    result = measured([str(DIGEST), "-q", "build", "--config", str(config), "--month", month])
    epub = config.parent / "out" / "bench" / month / f"bench-{month}.epub"
    return Timed("digest", variant, articles, result, epub if result["returncode"] == 0 else None,
                 requests()["requests"])


def median_run(timed: list[Timed]) -> Run:
    """The run of median wall time among repeats of one command (the lower middle of an even
    count); a failed repeat is the run instead. Only that run's book is looked into (EPUBCheck
    on each book takes seconds)."""
    failed = [t for t in timed if t.epub is None or not t.epub.is_file()]
    chosen = failed[0] if failed else sorted(timed, key=lambda t: t.result["wall"])[(len(timed) - 1) // 2]
    run = _run(chosen.tool, chosen.variant, chosen.articles, chosen.result, chosen.epub, chosen.requests)
    return dataclasses.replace(run, walls=tuple(t.result["wall"] for t in timed)) if len(timed) > 1 else run


RECIPE = '''from calibre.web.feeds.news import BasicNewsRecipe


class BenchMonthly(BasicNewsRecipe):
    title = "Bench Monthly"
    language = "en"
    oldest_article = 36500
    max_articles_per_feed = 100000
    use_embedded_content = {embedded}
    auto_cleanup = {auto_cleanup}
    no_stylesheets = True
    remove_javascript = True
    simultaneous_downloads = {concurrency}
    timeout = 20
    delay = 0
    compress_news_images = True
    scale_news_images = {box}
    scale_news_images_to_device = False
    keep_only_tags = {keep}
    remove_tags = [dict(name=["nav", "aside", "footer", "iframe", "form"]),
                   dict(attrs={{"class": ["share", "cookie-banner", "recirc", "entry-meta"]}}),
                   dict(id="comments")]
    feeds = {feeds}
'''


def calibre_recipe(work: Path, base: str, *, pages: bool, real: bool = False) -> Path:
    """The equivalent BasicNewsRecipe: the same feeds, the same image box, images compressed.

    ``real``: pages of many sites, read with calibre's own article finder (``auto_cleanup``).
    """
    work.mkdir(parents=True, exist_ok=True)
    variant = "summary" if pages else "full"
    feeds = [(f"{f.title()} at Example", f"{base}/{variant}/{f}.xml") for f in FEEDS]
    path = work / "bench_monthly.recipe"
    path.write_text(RECIPE.format(embedded=not pages, concurrency=CONCURRENCY, box=BOX, feeds=repr(feeds),
                                  keep='[dict(name="article")]' if pages and not real else "[]",
                                  auto_cleanup=real), encoding="utf-8")
    return path


def run_calibre(recipe: Path, variant: str, articles: int, requests: Callable[[], Counter]) -> Run:
    return median_run([time_calibre(recipe, variant, articles, requests)])


def time_calibre(recipe: Path, variant: str, articles: int, requests: Callable[[], Counter]) -> Timed:
    epub = recipe.parent / "calibre.epub"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "CALIBRE_CONFIG_DIRECTORY": str(recipe.parent / "config")}
    result = measured(["ebook-convert", str(recipe), str(epub)], env=env)
    return Timed("calibre", variant, articles, result, epub if result["returncode"] == 0 else None,
                 requests()["requests"])


def _run(tool: str, variant: str, articles: int, result: dict, epub: Path | None, requests: int) -> Run:
    if epub is None or not epub.is_file():
        return Run(tool, variant, articles, result["wall"], result["peak_rss_mb"], result["cpu"], None, 0, -1, 0, 0,
                   requests, failed=result["tail"][-500:])
    book_articles, book_images = book_contents(epub)
    return Run(tool, variant, articles, result["wall"], result["peak_rss_mb"], result["cpu"], epub,
               epub.stat().st_size, epubcheck_errors(epub), book_articles, book_images, requests)


def book_contents(epub: Path) -> tuple[int, int]:
    """Articles (second-level NCX entries) and pictures shown in articles (``<img>`` in XHTML, cover excluded)."""
    with zipfile.ZipFile(epub) as book:
        names = book.namelist()
        ncx = etree.fromstring(book.read(next(n for n in names if n.endswith(".ncx"))))
        articles = len(ncx.xpath("/*/*[local-name()='navMap']/*[local-name()='navPoint']/*[local-name()='navPoint']"))
        images = set()
        for name in names:
            if name.endswith((".xhtml", ".html", ".htm")):
                text = book.read(name).decode("utf-8", "replace")
                if "cover" in name.lower() or "titlepage" in name.lower():
                    continue
                images.update((name.rpartition("/")[0], src) for src in re.findall(r'<img[^>]+src="([^"]+)"', text)
                              if "masthead" not in src and "cover" not in src)
    return articles, len(images)


def epubcheck_errors(epub: Path) -> int:
    """EPUBCheck 5 FATAL+ERROR messages (the jar of the ``epubcheck`` package)."""
    import epubcheck

    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    done = subprocess.run(["java", "-jar", str(jar), str(epub), "--json", "-"], capture_output=True, text=True,
                          timeout=600)
    try:
        messages = json.loads(done.stdout)["messages"]
    except (ValueError, KeyError):
        return -1
    return sum(1 for m in messages if m.get("severity") in ("FATAL", "ERROR"))
