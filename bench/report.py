"""The bench's results as a console table and as docs/benchmarks.md."""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
from datetime import date

from bench.tools import Run

TARGETS = ("cold EPUB build >= 2x faster than calibre's compressed recipe on both corpora (4x the aim); "
           "EPUB no larger than before; 0 EPUBCheck errors; a rebuild with nothing changed < 2 s at 100 articles, "
           "dead links included; peak memory < 300 MB; time linear in articles")
PROFILE = """## Where the time goes, and the targets

Profiled with cProfile. Before optimizing, on 10 articles (8.2 s): EPUBCheck (java) 3.6 s,
image fitting 2.3 s (one image at a time), imports 0.9 s, language detection 0.5 s. Changes
since: pages and images come from the store without a request on a warm run (feeds still get
a conditional GET); fitted images are kept in the store (migration 6, `digest.content.imagecache`);
images are downloaded and fitted by a small pool, one original in memory per worker, never
all of them; already-compressed files (images, ebooks) are stored, not deflated again, in the
EPUB and bundle zips, and the bundle zips stream from disk; text for language detection and
summary checks comes from lxml instead of BeautifulSoup; the language model (about 100 MB) is
released after selection; EPUBCheck is skipped (and AZW3/MOBI reused) when the store recorded
that a book with the same SHA-256 already passed (was converted); the image budget tries a
step on a random tenth of the images before fitting them all. On 100 articles a cold build
is now about 60% image downloading and fitting (about 70 ms of CPU per 3-6 MP image, on 2
cores) and 20-25% EPUBCheck on the 26 MB book; a warm build is mostly Python start-up and
imports (0.7 s), parsing and sanitizing the 100 articles, and writing the zips.

Against the targets (the 100-article run above; this shared 2-core VM varies by +-20% between
runs, calibre included, so compare ratios within a run):
- 0 EPUBCheck errors: met (calibre's books have 3-4).
- EPUB at most half of calibre's: not met, 0.65 (digest keeps JPEG quality 82 while under
  the 45 MB budget; calibre's compression gives 40 MB for the same images).
- Cold build 4x faster than calibre: not met, about 0.65x calibre's time. Both do the same
  image work; digest also runs EPUBCheck on every build, which calibre does not.
- Warm rebuild under 2 s: met at 10 articles (1.4 s), not at 100 (2.2-3.0 s across runs).
- Peak memory under 300 MB: met for warm runs (about 220 MB at 100 articles), not for cold
  ones (about 360 MB at 100, 500 MB at 1000: the book is assembled in memory, and java's
  EPUBCheck stays near 256 MB).
- Time linear in articles: warm runs grow less than linearly (1.4 s, 2.9 s, 9.5 s for 10, 100, 1000 articles). The cold
  1000-article step has to lower image quality to stay under the 45 MB budget; the sampled
  steps keep that to roughly two fitting passes (it was six).
"""

COMPARABLE = ("Images: calibre with `compress_news_images = True` and `scale_news_images = (1264, 1680)`; "
              "digest with its default profile (fitted into 1264x1680, JPEG quality 82, indexed PNG "
              "for drawn images). Both fetch 5 URLs at a time from the one loopback host.")


HEADER = ("tool (variant)", "articles", "wall s", "peak MB", "EPUB MB", "EPUBCheck errors",
          "articles in book", "images in book", "requests", "time vs calibre", "size vs calibre")


def rows(runs: list[Run]) -> list[tuple[str, ...]]:
    out = []
    for run in runs:
        base = _calibre_for(run, runs) if not run.failed else None
        out.append((run.label, str(run.articles), f"{run.wall:.1f}", f"{run.peak_rss_mb:.0f}",
                    f"{run.epub_bytes / 1e6:.1f}", str(run.epubcheck_errors), str(run.book_articles),
                    str(run.book_images), str(run.requests),
                    _ratio(run.wall, base.wall) if base else "", _ratio(run.epub_bytes, base.epub_bytes) if base else ""))
    return out


def table(runs: list[Run], title: str = "digest vs calibre") -> str:
    body = [HEADER, *rows(runs)]
    widths = [max(len(row[i]) for row in body) for i in range(len(HEADER))]
    return "\n".join([f"== {title} =="] + ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in body])


def ratios(runs: list[Run]) -> str:
    """One line per digest run: how many times faster than calibre's recipe in the same run."""
    lines = []
    for run in runs:
        base = _calibre_for(run, runs)
        if base and not run.failed and run.wall:
            lines.append(f"{run.label}: {run.wall:.1f} s vs calibre's {base.wall:.1f} s: "
                         f"{base.wall / run.wall:.2f}x as fast, {run.peak_rss_mb:.0f} MB peak")
    return "\n".join(lines)


def _calibre_for(run: Run, runs: list[Run]) -> Run | None:
    """calibre's run on the same corpus and variant (feed <-> embedded, pages <-> pages, real <-> real)."""
    if run.tool != "digest":
        return None
    wanted = next((v for v in ("pages", "real") if run.variant.startswith(v)), "embedded")
    return next((r for r in runs if r.tool == "calibre" and r.variant == wanted and r.articles == run.articles
                 and not r.failed), None)


def _ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}" if theirs else ""


def machine() -> dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    mem = next((int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    try:
        calibre = subprocess.run(["ebook-convert", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        calibre = "not installed"
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[:1]
    return {"CPUs (nproc)": str(os.cpu_count()), "CPU": cpu, "RAM": f"{mem / 1024 / 1024:.1f} GiB",
            "OS": platform.platform(), "Python": platform.python_version(), "calibre": calibre,
            "java": java[0] if java else "not installed"}


def markdown(runs: list[Run], real_runs: list[Run], sweep: list[Run], args: argparse.Namespace,
             host: dict[str, str], elapsed: float) -> str:
    lines = ["# Benchmarks", "",
             f"Generated by `make bench` (`python -m bench --write-docs`) on {date.today()}; the whole run took "
             f"{elapsed / 60:.1f} minutes. Re-run it to refresh this page.", "",
             "## Machine", ""]
    lines += [f"- {key}: {value}" for key, value in host.items()]
    lines += ["", "## Corpora", "",
              f"**Generated** ({args.articles} articles over 5 feeds, RSS 2.0 and Atom, dated March 2024). Each "
              f"article has {args.images} main images: a camera JPEG (3000x2000, about 1 MB; every fourth one "
              "4000x3000), a PNG screenshot (1920x1080), a WebP photo (1600x1067) and a GIF chart (640x400), plus "
              "a 1x1 tracking pixel. What the web adds: every second article has a dead image link (a 404 on the "
              "blog's host, a host whose name does not resolve, a refused connection, in turn), every article a "
              "small JPEG (800x533, quality 75) or a 16-colour PNG diagram that already fits the e-ink box, every "
              f"fifth an image on a slow host (answers after {1.0:g} s), every tenth the blog's shared banner "
              "(one URL in many articles). The article HTML carries inline styles, scripts, lazy `<picture>` "
              "sources, iframes, tables and code; the pages wrap it in WordPress-, Medium- and Ghost-like "
              "furniture (cookie banner, share bar, related posts, comments). Served on 127.0.0.1 with "
              "ETag/Last-Modified and gzip for text.", "",
              "Variants: *feed* / *embedded*: the feeds carry the full article (calibre: "
              "`use_embedded_content = True`). *pages*: the feeds carry summaries; digest uses "
              "`summary_only = true` sources and extracts the page, calibre uses `use_embedded_content = False` "
              "with `keep_only_tags`/`remove_tags`.", "",
              "**Real pages** (*real*): the 181 pages of the article-extraction benchmark "
              "(`../shared/corpora/article-extraction-benchmark/`), served as they were saved behind five "
              "summary-only feeds; digest extracts them, calibre uses `auto_cleanup = True`. None of their "
              "images can be downloaded here: absolute image URLs point at hosts that do not resolve, relative "
              "ones are 404s on loopback.", "",
              "Cold: empty store and output. Warm: the same store and output, nothing changed on the server. "
              "digest builds EPUB only (`formats = [\"epub\"]`) and runs EPUBCheck as part of every build "
              "(skipped when the identical book already passed); calibre's run does not include EPUBCheck. "
              "Peak memory is the largest RSS of any process of the tree (getrusage RUSAGE_CHILDREN), "
              "java's EPUBCheck included for digest and calibre's worker processes for calibre.", "",
              COMPARABLE, "", f"Targets: {TARGETS}.", "",
              "## digest vs calibre", "", _md_table(runs + real_runs), "", "```", ratios(runs + real_runs), "```", "",
              "## Scaling (feed variant)", "",
              f"Steps above {args.articles} articles use {args.sweep_images} main image(s) per article (the camera "
              "JPEG) besides the web extras, to keep the run short; calibre is not run at those sizes.", "",
              _md_table(sweep), "", PROFILE]
    return "\n".join(lines)


def _md_table(runs: list[Run]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows(runs)])
