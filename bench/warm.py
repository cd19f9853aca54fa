"""How long a rebuild with nothing changed takes: one cold build, then warm rebuilds of the same month.

    python -m bench.warm --variant feed|pages|real --work DIR --runs N [--articles N] [--images N] [--profile FILE]
                         [--image-floor]

The corpus is bench's (bench.corpus: 100 articles with their images and web extras, or the
real pages of bench.realcorpus), served on loopback as ``python -m bench`` serves it, and the
project is bench's too (bench.tools.digest_project). Each build is a measured process of its
own (bench.measure). In a DIR used before, the first build fetches everything again (the
corpus is served on a new loopback port, so every URL is new) but finds what the cache keys
by content (fitted images, memos): a new DIR gives the cold figure. ``--profile`` writes a
cProfile of the last build to FILE (the cold one with ``--runs 0``; read it with ``python -m pstats FILE``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench import realcorpus
from bench.__main__ import SLOW_HOST_DELAY
from bench.corpus import IMAGE_KINDS, MONTH, Web, build_corpus
from bench.serve import CorpusServer, refused_base
from bench.tools import DIGEST, cpu_floor, digest_project, image_floor, measured


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.warm")
    parser.add_argument("--variant", choices=("feed", "pages", "real"), default="feed")
    parser.add_argument("--work", type=Path, required=True, help="directory for the project (reused if present)")
    parser.add_argument("--runs", type=int, default=3, help="warm rebuilds after the first build")
    parser.add_argument("--articles", type=int, default=100, help="articles of the generated corpus")
    parser.add_argument("--images", type=int, default=len(IMAGE_KINDS),
                        help="main images per article (make bench's steps above 100 articles use 1)")
    parser.add_argument("--image-floor", action="store_true",
                        help="first fit every image of the corpus once in this process and print its CPU time")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the last build here")
    args = parser.parse_args()
    with CorpusServer() as server, CorpusServer(mirror=server, delay=SLOW_HOST_DELAY) as slow:
        if args.variant == "real":
            if not realcorpus.available():
                sys.exit(f"real corpus not found at {realcorpus.CORPUS}")
            server.corpus = realcorpus.build_real_corpus(server.base)
        else:
            server.corpus = build_corpus(args.articles, args.images, server.base,
                                         web=Web(slow.base, refused_base()))
        if args.image_floor:
            print(f"{args.variant}: {image_floor(server.corpus)}", flush=True)
        config = digest_project(args.work / f"digest-{args.variant}", server.base, pages=args.variant != "feed")
        command = ["-q", "build", "--config", str(config), "--month", "%04d-%02d" % MONTH]
        for run in range(args.runs + 1):
            profile = args.profile if args.profile and run == args.runs else None
            argv = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "digest"] if profile else [str(DIGEST)]
            result = measured([*argv, *command])
            counts = server.take_counts() + slow.take_counts()
            label = f"warm {run}" if run else "first"
            print(f"{args.variant} {label}: {result['wall']:.2f} s wall ({cpu_floor(result['wall'], result['cpu'])}), "
                  f"{result['peak_rss_mb']:.0f} MB peak RSS, {counts['requests']} requests "
                  f"({counts['not_modified']} not modified)"
                  + (f", exit {result['returncode']}: {result['tail'][-400:]}" if result["returncode"] else ""),
                  flush=True)
        if args.profile:
            print(f"profile of the last build: {args.profile}")


if __name__ == "__main__":
    main()
