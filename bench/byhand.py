"""Figures measured by hand with ``python -m bench.warm`` and the bench's memory runs, not by
``make bench``: kept as written when docs/benchmarks.md is regenerated, until a whole run on an
idle machine measures them again."""

WARM_AND_MEMORY = """## Rebuilds, cold speed and peak memory against issue #22 (2026-12-06)

The tables above come from the idle `make bench` run of 2026-12-06 (10.9 minutes, load
average 1-2). The other figures here were measured by hand the same day with `python -m
bench.warm --variant feed|pages|real [--articles N --images N] --work NEWDIR --runs N` (one
cold build, then rebuilds with nothing changed, each a process of its own, Python start-up
included), some while other work shared the machine (load average given).

| target (issue #22) | measured | met? |
|---|---|---|
| rebuild with nothing changed < 1.0 s, 100-article bench | 0.9 s (feed and pages, `make bench`); 0.74-0.96 s by bench.warm at load 3 | yes |
| rebuild < 1.0 s, 181 real pages | 0.77-0.81 s idle (bench.warm, 4 rebuilds), 0.8 s in a digest-only bench run; 1.1 s in the full `make bench` run | yes, but the full bench run's first rebuild measured 1.1 s |
| note or template edit to the preview's page < 1 s (median of 10 saves, Chromium, real pages) | 0.29 s median (0.26-0.46), template 0.28 s (`make bench`) | yes |
| cold >= 2.5x calibre on every corpus | feed 2.03x, pages 2.10x, real 3.98x | real only |
| CPU floor stated | feed: 29.9 s of CPU, floor 15.0 s on 2 cores, wall 1.20x the floor; of it, image decode and encode 16.4 s | stated |
| peak < 250 MB at 100 articles | 202 MB (feed), 213 MB (pages); real pages 255 MB | yes at 100 bench articles; 255 MB on the 181 real pages |
| peak < 300 MB at 1,000 articles | 228 MB with 1 main image an article (`make bench`); 314 MB with 4 (bench.warm, 5,373 requests) | with 1 image yes, with 4 no |

The feed corpus cannot reach 2.5x calibre's 36.4 s (14.6 s) without less CPU: even a wall
time at the floor (15.0 s) would be 2.43x. Most of that CPU is Pillow fitting the 520 images
(16.4 s, decode 13-18 ms and a bicubic resize 23-24 ms a photo; an encode is only 4-5 ms) and
EPUBCheck (6.5-7 s in java). The real pages went from 37.9 to 21.2 s: their image hosts do not
resolve, and a resolver that drops a query made a worker wait 5 or 10 s for glibc's timeout;
host names are now looked up once per run, and ahead, as soon as a page's article is extracted.

Rebuilds, what changed this time (before -> after, CPU of the rebuild process):
- the first rebuild after a build started EPUBCheck's java for nothing (the memo said the last
  build had asked it): java now starts once the feeds are read, and only when the book's
  inputs (settings, issue file, entries, cover and templates) differ from the last build's
  (the feed corpus's first rebuild: 2.7 s of CPU, 1.4 s without the java);
- a remembered fitted image is no longer read from the cache, hashed and written into the
  build's folder (25 MB of writes): it stays in the cache until a book has to be written, and
  the published EPUB is hard-linked instead of copied;
- stamps and a fitted image's hash, size and shape are read from indexes: a SQLite row's later
  columns sit after its blob, and reading one walks the whole blob (a flush of a 1.3 GB cache:
  0.8-1.6 s -> 8 ms); prune reads no stamp when the cache is under its bound;
- pages of summary-only sources are not read when the extraction memo knows their stored hash;
- the QR encoder, the mail modules and the TOML editor are no longer imported by a build that
  does not use them (about 7% of a rebuild's CPU), languages are remembered by title and body
  (no parse), and the bench compiles digest's bytecode as an install does (an editable checkout
  with PYTHONDONTWRITEBYTECODE compiled every module in every measured process: 0.3-0.4 s).
Feed rebuild: 1.13-1.25 s (by hand) and 1.4 s (`make bench`) before, 0.9 s now; real pages
0.91 and 1.3 s before, 0.8 s now.

1,000 articles (uncapped, 1 main image an article): the rebuild had regressed to 25.2 s because
the Kindle-ready check ran again on every rebuild (only a spotless report was remembered, and a
book this size draws warnings). The report is now remembered with its warnings, the size
budget's quality ladder starts at the step the same images settled at, and the pages no longer
look up each article's place by comparing whole articles (quadratic): 4.6 s (`make bench`),
2.4-2.6 s for the later rebuilds at load 3. With 4 images an article (4,000+ images): 54.8 s
before, 13.0 s now.

Not met: a cold peak of 314 MB at 1,000 articles with 4 images each (with 1 image, 228 MB).
The bench's 100-article peak is the image workers (6 threads, each with an original, its
decode, the resized copy and the encoded output); at 1,000 articles the issue's text and
entries add about 100 MB beside them. Not measured further this round."""
