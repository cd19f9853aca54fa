"""Figures measured by hand with ``python -m bench.warm`` and the bench's memory runs, not by
``make bench``: kept as written when docs/benchmarks.md is regenerated, until a whole run on an
idle machine measures them again."""

WARM_AND_MEMORY = """## Rebuilds and peak memory (by hand, 2026-12-06)

The tables above come from an idle `make bench` run of 2026-12-06 and measure the same round
the way the bench does (wall time of the whole `digest build` process, Python start-up
included). The figures below were measured by hand on the same day, while other work shared
the machine (load average 2-9): `python -m bench.warm --variant feed|real --work NEWDIR
--runs 5` (one cold build, then five rebuilds with nothing changed; median of the five; the
CPU times are the steadier figures), and peaks as the largest RSS of a cold build's process
tree, before and after each change on the same corpus.

| measure | before this round | after |
|---|---|---|
| rebuild, 100-article feed corpus | 3.01 s wall, 2.84 s CPU, 117 MB | 1.13-1.25 s wall, 1.23-1.47 s CPU, 71 MB (1.86 s wall at load 9) |
| rebuild, 181 real pages | 1.85 s wall, 2.20 s CPU | 0.91 s wall, 0.88 s CPU (measured before the EPUB was streamed) |
| preview: a save of the note to its words in the open page (`python -m bench.preview`, median of 10 saves; branch and main alternated, load 4.5-7.4) | 181 real pages: 0.89 and 1.41 s (a template save: 0.81, 1.29 s); 100-article feed corpus: 0.72 s | 0.34 and 0.35 s (template 0.31, 0.29 s); feed corpus 0.30 s |
| cold build peak, 100 articles | 271 MB | 214 MB (one run; runs vary by about 10 MB) |
| cold build, 1,000 articles (feed, 1 main image each; `--sweep 1000 --no-calibre`) | 118.7 s, 470 MB peak | 127.7 s, 226 MB peak, 2,002 images, 36.7 MB EPUB |
| rebuild, 1,000 articles | 5.1 s | 25.2 s, 205 MB: a regression found at the end of the round (below) |
| cold build, 100-article feed corpus | 31.96 s wall | 31.23 s wall (the same within the noise) |

What a rebuild no longer does: parse each article body five times for its visible text (once
now), rewrite every cache row's last-used stamp (only those a day old), zip the EPUB (the
published file is copied when the draft's files are the same and its SHA-256 still matches),
hash the book three times (once), compile the site's templates, start java when the last build
of the month asked it nothing, draw the cover and its thumbnail, read and validate every
published month's manifest. What it still does: read each remembered image from the cache,
hash it and write it to the build's image folder (about 0.5 s of the 1.2 s on the feed corpus).

A save in `digest preview` of the editor's note or a template no longer composes the issue:
the last good build's issue gets the note again and its pages are rendered again (nothing
read from the feeds, extracted, cleaned or validated), and the files that come out the same
are hard-linked from the last build's folder instead of written. Any other input (the config,
the issue file, a feed file, a cover image) still composes the issue.

Where the cold peak went: the EPUB is written to its file member by member (ebooklib drafts it
with empty image entries; each image is streamed in from its file), fitted images wait in a
private folder instead of memory, the Kindle rules keep only the book's text files, and the
language model is loaded once per build and dropped before the images are fitted. The peak at
100 articles is now the image workers decoding, within their 200 MB budget of decoded pixels.

The 1,000-article rows of the scaling table above hold 250 articles: the default `[limits]`
(250 articles an issue, 100 entries a source) cut the sweep until the bench lifted them for
its publication (after that run); the 1,000-article rows here are the uncapped build.
Its rebuild takes 25 s instead of 5 s: a profile (`python -m bench.warm --articles 1000
--profile`, 4 images an article: a 54.8 s rebuild) puts 37.8 s in the Kindle-ready check,
which runs again on every rebuild because only a spotless report is remembered and a book this
size draws warnings; 8.8 s more go to the size budget's quality ladder. The next thing to fix."""
