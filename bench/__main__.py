"""`make bench`: digest against calibre's recipe on two corpora, then a scaling sweep.

    python -m bench                 # generated corpus (100 articles, both variants), the real pages, sweep,
                                    # tree building against hostile HTML (bench.treebuild), then the
                                    # preview's note edits on the real pages (bench.preview, with Chromium)
    python -m bench --write-docs    # also rewrite docs/benchmarks.md with the results

The generated corpus is served by three loopback hosts: the blog, a slow image host and a
port that refuses connections (plus image links to a host that does not resolve). The
second corpus is the 181 real pages beside the checkout (bench.realcorpus), when present.

Cold builds are repeated, digest's and calibre's in turn (3 of each on the generated corpus,
``--repeats``), and each tool's median kept (digest's rebuilds too): on this kind of shared VM
the same build's CPU time drifts by up to a third within the hour, and one pair of runs could
land a ratio anywhere in that spread.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench import preview, realcorpus, treebuild
from bench.corpus import IMAGE_KINDS, Web, build_corpus
from bench.report import machine, markdown, ratios, table
from bench.serve import CorpusServer, refused_base
from bench.tools import (
    ROOT,
    Run,
    calibre_recipe,
    digest_project,
    image_floor,
    median_run,
    run_calibre,
    run_digest,
    time_calibre,
    time_digest,
)

SLOW_HOST_DELAY = 1.0  # seconds before the slow image host answers


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--images", type=int, default=len(IMAGE_KINDS), help="images per article (at most 4)")
    parser.add_argument("--variants", default="feed,pages", help="variants of the generated corpus")
    parser.add_argument("--real", type=int, default=-1,
                        help="pages of the real corpus to use (default all, 0 to leave it out)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="cold runs of each tool on the generated corpus, in turn; the median is kept")
    parser.add_argument("--real-repeats", type=int, default=1, help="the same on the real pages")
    parser.add_argument("--sweep", default="10,100,1000", help="article counts of the sweep ('' for none)")
    parser.add_argument("--sweep-images", type=int, default=1, help="images per article in the 1000-article step")
    parser.add_argument("--write-docs", action="store_true", help="write docs/benchmarks.md")
    parser.add_argument("--no-calibre", dest="calibre", action="store_false",
                        help="digest's runs only (for quick measurements; no ratios)")
    parser.add_argument("--no-trees", dest="trees", action="store_false", help="leave out the tree-building table")
    parser.add_argument("--no-preview", dest="preview", action="store_false", help="leave out the preview's edits")
    args = parser.parse_args()
    if args.write_docs and not (args.calibre and args.trees and args.preview):
        parser.error("--write-docs needs the whole bench (calibre's runs and the tree table)")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="digest-bench-") as temp, CorpusServer() as server, \
            CorpusServer(mirror=server, delay=SLOW_HOST_DELAY) as slow:
        work = Path(temp)
        web = Web(slow.base, refused_base())

        def requests() -> Counter:
            return server.take_counts() + slow.take_counts()

        server.corpus = build_corpus(args.articles, args.images, server.base, web=web)
        print(f"corpus: {args.articles} articles, {server.corpus.image_count} images "
              f"({server.corpus.image_bytes / 1e6:.0f} MB of originals) and {server.corpus.dead_links} dead image "
              f"links, served at {server.base} (slow host {slow.base}); {image_floor(server.corpus)}", flush=True)
        variants = [v.strip() for v in args.variants.split(",") if v.strip()]
        runs = compare(work, server, args.articles, variants, requests, calibre=args.calibre,
                       repeats=max(args.repeats, 1))
        real_runs = []
        if args.real and realcorpus.available():
            server.corpus = realcorpus.build_real_corpus(server.base, max(args.real, 0))
            print(f"real corpus: {server.corpus.articles} pages with {server.corpus.dead_links} <img> tags, "
                  "none of them downloadable", flush=True)
            real_runs = compare(work / "real", server, server.corpus.articles, ["real"], requests,
                                calibre=args.calibre, repeats=max(args.real_repeats, 1))
        elif args.real:
            print(f"real corpus: not found at {realcorpus.CORPUS}, left out", flush=True)
        print(table(runs + real_runs), flush=True)
        print(ratios(runs + real_runs), flush=True)
        sweep = []
        for count in [int(n) for n in args.sweep.split(",") if n.strip()]:
            images = args.images if count <= args.articles else args.sweep_images
            if count == args.articles and images == args.images and "feed" in variants:
                sweep.extend(r for r in runs if r.variant in ("feed, cold", "feed, warm", "embedded"))
                continue
            server.corpus = build_corpus(count, images, server.base, web=web)
            sweep.extend(scaling_step(work / f"sweep-{count}", server, count, requests,
                                      calibre=args.calibre and count <= args.articles))
            print(table(sweep, title="scaling (feed variant)"), flush=True)
    trees = treebuild.measure() if args.trees else []
    if trees:
        print("tree building (hostile HTML):", flush=True)
        print(treebuild.table(trees), flush=True)
    edits = preview.bench_line() if args.preview else ""
    if edits:
        print(edits, flush=True)
    elapsed = time.monotonic() - started
    print(f"bench finished in {elapsed / 60:.1f} min")
    if args.write_docs:
        path = ROOT / "docs" / "benchmarks.md"
        path.write_text(markdown(runs, real_runs, sweep, args, machine(), elapsed, edits) + "\n"
                        + treebuild.markdown(trees),
                        encoding="utf-8")
        print(f"wrote {path}")


def compare(work: Path, server: CorpusServer, articles: int, variants: list[str],
            requests: Callable[[], Counter], *, calibre: bool = True, repeats: int = 1) -> list[Run]:
    """Each tool on each variant: ``repeats`` cold runs of each, in turn (digest, calibre, digest,
    ...; digest's each in a new folder: empty store and output), each tool's median kept; then
    ``repeats`` warm runs of digest on its last cold run's store (nothing changed), the median kept."""
    runs = []
    for name in variants:
        pages = name != "feed"
        colds, calibres = [], []
        for repeat in range(repeats):
            config = digest_project(work / f"digest-{name}-{repeat}", server.base, pages=pages)
            requests()
            colds.append(time_digest(config, f"{name}, cold", articles, requests))
            print(f"  {name}, repeat {repeat + 1} of {repeats}: digest cold {colds[-1].result['wall']:.1f} s",
                  end="", flush=True)
            if calibre:
                recipe = calibre_recipe(work / f"calibre-{name}-{repeat}", server.base, pages=pages,
                                        real=name == "real")
                calibres.append(time_calibre(recipe, {"feed": "embedded"}.get(name, name), articles, requests))
                print(f", calibre {calibres[-1].result['wall']:.1f} s", end="", flush=True)
            print(flush=True)
        warms = [time_digest(config, f"{name}, warm", articles, requests) for _ in range(repeats)]
        for timed in (colds, warms, calibres) if calibres else (colds, warms):
            runs.append(median_run(timed))
            print(runs[-1].summary(), flush=True)
    return runs


def scaling_step(work: Path, server: CorpusServer, articles: int, requests: Callable[[], Counter], *,
                 calibre: bool) -> list[Run]:
    config = digest_project(work / "digest", server.base, pages=False)
    requests()
    runs = [run_digest(config, f"feed, {state}", articles, requests) for state in ("cold", "warm")]
    if calibre:
        runs.append(run_calibre(calibre_recipe(work / "calibre", server.base, pages=False), "embedded",
                                articles, requests))
    for run in runs:
        print(run.summary(), flush=True)
    return runs


if __name__ == "__main__":
    main()
