"""`make bench`: digest against calibre's recipe on one generated corpus, then a scaling sweep.

    python -m bench                 # 100 articles x 4 images, both variants, sweep 10/100/1000
    python -m bench --write-docs    # also rewrite docs/benchmarks.md with the results
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.corpus import IMAGE_KINDS, build_corpus
from bench.report import machine, markdown, table
from bench.serve import CorpusServer
from bench.tools import ROOT, Run, calibre_recipe, digest_project, run_calibre, run_digest


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--images", type=int, default=len(IMAGE_KINDS), help="images per article (at most 4)")
    parser.add_argument("--sweep", default="10,100,1000", help="article counts of the sweep ('' for none)")
    parser.add_argument("--sweep-images", type=int, default=1, help="images per article in the 1000-article step")
    parser.add_argument("--write-docs", action="store_true", help="write docs/benchmarks.md")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="digest-bench-") as temp, CorpusServer() as server:
        work = Path(temp)
        server.corpus = build_corpus(args.articles, args.images, server.base)
        print(f"corpus: {args.articles} articles, {server.corpus.image_count} images "
              f"({server.corpus.image_bytes / 1e6:.0f} MB of originals) served at {server.base}", flush=True)
        runs = compare(work, server, args.articles)
        print(table(runs), flush=True)
        sweep = []
        for count in [int(n) for n in args.sweep.split(",") if n.strip()]:
            images = args.images if count <= args.articles else args.sweep_images
            if count == args.articles and images == args.images:
                sweep.extend(r for r in runs if r.variant in ("feed, cold", "feed, warm", "embedded"))
                continue
            server.corpus = build_corpus(count, images, server.base)
            sweep.extend(scaling_step(work / f"sweep-{count}", server, count, calibre=count <= args.articles))
            print(table(sweep, title="scaling (feed variant)"), flush=True)
    elapsed = time.monotonic() - started
    print(f"bench finished in {elapsed / 60:.1f} min")
    if args.write_docs:
        path = ROOT / "docs" / "benchmarks.md"
        path.write_text(markdown(runs, sweep, args, machine(), elapsed), encoding="utf-8")
        print(f"wrote {path}")


def compare(work: Path, server: CorpusServer, articles: int) -> list[Run]:
    """Each tool on each variant; digest cold (empty store) then warm (same store, nothing changed)."""
    runs = []
    for pages in (False, True):
        name = "pages" if pages else "feed"
        config = digest_project(work / f"digest-{name}", server.base, pages=pages)
        server.take_counts()
        for state in ("cold", "warm"):
            runs.append(run_digest(config, f"{name}, {state}", articles, server.take_counts))
            print(runs[-1].summary(), flush=True)
        recipe = calibre_recipe(work / f"calibre-{name}", server.base, pages=pages)
        runs.append(run_calibre(recipe, "pages" if pages else "embedded", articles, server.take_counts))
        print(runs[-1].summary(), flush=True)
    return runs


def scaling_step(work: Path, server: CorpusServer, articles: int, *, calibre: bool) -> list[Run]:
    config = digest_project(work / "digest", server.base, pages=False)
    server.take_counts()
    runs = [run_digest(config, f"feed, {state}", articles, server.take_counts) for state in ("cold", "warm")]
    if calibre:
        runs.append(run_calibre(calibre_recipe(work / "calibre", server.base, pages=False), "embedded",
                                articles, server.take_counts))
    for run in runs:
        print(run.summary(), flush=True)
    return runs


if __name__ == "__main__":
    main()
