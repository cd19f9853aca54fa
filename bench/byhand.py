"""Figures measured by hand with ``python -m bench.warm`` and the bench's memory runs, not by
``make bench``: kept as written when docs/benchmarks.md is regenerated, until a whole run on an
idle machine measures them again."""

WARM_AND_MEMORY = """## Rebuilds, cold speed and peak memory against issue #22 (2026-12-07)

The tables above come from the `make bench` run of 2026-12-07 05:21-05:34 UTC (12.3 minutes,
nothing else running), after this page's eighth pass below (on `04a7c83`). Since that pass the
bench runs each cold build three times, digest's and calibre's in turn, and keeps each tool's
median; the ratios above list every repeat. The other figures here were measured by hand on
2026-12-06 and 07 with `python -m bench.warm --variant feed|pages|real [--articles N --images N]
--work NEWDIR --runs N` (one cold build, then rebuilds with nothing changed, each a process of
its own, Python start-up included), or by interleaved A/B runs against one corpus server
(several cold builds of each variant in turn, each in a new folder), some while other work
shared the machine (load given).

| target (issue #22) | measured | met? |
|---|---|---|
| rebuild with nothing changed < 1.0 s, 100-article bench | 0.7 s feed (0.8, 0.7, 0.7), 0.7 s pages (0.7, 0.7, 0.7) (`make bench`); 0.9 and 1.0 s (one run each) in the 05:02 run, when calibre too was 8-11% slower; pages by bench.warm at 05:19: 0.73-0.84 s in 6 runs | yes |
| rebuild < 1.0 s, 181 real pages | 0.8 s in this run and in the 05:02 run (`make bench`); 10 interleaved rebuilds: median 0.86 s before the fifth pass, 0.69 s after (0.67-0.77) | yes |
| note or template edit to the preview's page < 1 s (median of 10 saves, Chromium, real pages) | 0.25 s median (0.23-0.38), template 0.26 s (`make bench`) | yes |
| cold >= 2.5x calibre on every corpus | this run (medians of 3, in turn): feed 2.91x (11.9 s against 34.8; pair by pair 2.85-2.94x), pages 2.75x (12.4 against 34.0; 2.75-2.82x), real 5.56x (14.9 against 82.6, one run); the 05:02 run of the same code but the palette change: feed 2.70x (2.34-3.02x), pages 2.67x (2.60-2.99x), real 4.52x, with calibre at 37.7 s (feed, pages) and 83.6 s | yes in both runs. Not in every minute: a shorter run at 04:52 (feed and pages only, after the libvips change) read feed 2.74x and pages 2.14x, when a pages build took 31.7 s of CPU for the work that took 21.4 s at 05:30 |
| CPU floor stated | feed: 20.4 s of CPU, floor 10.2 s on 2 cores, wall 1.17x the floor (22.8 s before the eighth pass); pages 21.4 s, wall 1.16x the floor (24.0 s before); of it, the images' decode, resize and encode 9.4 s fitted one after another in one process (the bench's "image decode and encode" line; 13.7 s before the eighth pass by a thread-time count in a build) | stated |
| peak < 250 MB at 100 articles | 220 MB (feed), 236 MB (pages), 181 real pages 240 MB (`make bench`); the 05:02 run: 210, 234, 246 MB | yes |
| peak < 300 MB at 1,000 articles | 251 MB with 1 main image an article (`make bench`; cold 109.5 s, rebuild 4.0 s); with 4, 265 MB (bench.warm at 20:06 on 2026-12-06, before the seventh and eighth passes: cold 263 s, rebuild 8.8 s); 165 MB with none | yes |

Eighth pass (2026-12-07, 04:15-05:20 UTC; before -> after):
- Measuring: the same code's cold pages build took 24.0 to 31.7 s of CPU within the hour and
  calibre's 34.0 to 44.2 s, so one pair of runs put the pages ratio anywhere from 2.12x to
  2.56x on unchanged code. The bench now runs each cold build three times, digest's and
  calibre's in turn (`--repeats`, `--real-repeats`; the real pages once: their margin is wide
  and a round takes 100 s), keeps each tool's median and lists every repeat; digest's rebuild
  is repeated as often. calibre, about half of whose wall time is not CPU, slows less than
  digest when the machine does: the ratio still falls in a slow period.
- The bench's loopback host made each file's ETag (SHA-1) and gzipped copy at every request,
  on the 2 cores both tools use: it now makes them once per corpus, 0.42 -> 0.28 s of its CPU
  during a cold pages build.
- Colour drawn pictures (screenshots, diagrams) are shrunk by libvips's bicubic (Catmull-Rom,
  as Pillow's) instead of Pillow's, which is not vectorised: a bench screenshot 25.4 -> 11.6 ms
  of CPU (copies in and out included), 43.8-43.9 dB against a full-size Lanczos reference where
  Pillow's reaches 43.9-44.0 (the two are 59 dB apart); text screenshots of 2560-5000 pixels
  0.1-0.3 dB less than Pillow's, in 22-60 ms against 46-143. 100 bench screenshots 2.4-2.7 ->
  1.1 s. Grey drawn pictures keep Pillow's bicubic: a third of the work, and the sample issue's
  whitepaper figure is one (its bytes are unchanged, as are all of the sample's).
- Drawn pictures of at most 256 colours (16 greys) are indexed by a binary search in their own
  palette (numpy, digest.content.images.palette) instead of Pillow's median cut: the same
  pixels, the palette in order of use, PNGs 0.05% larger on 22 bench charts and screenshots
  (sorted by colour value: 2% larger). A GIF chart 11.2 -> 5.5 ms; 100 of them 0.95 -> 0.46 s.
  The sixth pass kept the median cut for its bytes; none of the sample issue's pictures takes
  this path (they have more than 16 greys).
- Looked at and not changed: EPUBCheck's check of the finished bench book spends a third of its
  time hashing every file (SHA-256 for its report, at the C1 compiler's speed, see the sixth
  pass), and its warm-up is mostly its validators compiling every schema when their class is
  initialised (JFR); bytecode verification off for that java: no difference again (primer 4.8-5.2
  s of CPU either way). The cache's writes of the originals (150 MB, one transaction each): 0.44
  s of CPU in a test, 0.09 of it hashing; a file per original would save about 0.3 s. Python's
  cyclic collector: 0.13-0.19 s a cold build, gc.freeze after the imports 0.06 s less.

Seventh pass (2026-12-07, 01:40-02:40 UTC; before -> after):
- perf stat over a cold pages build: 570,000-930,000 page faults and 2.9-3.8 s of system time;
  perf record put them in memmove and memset of the image workers (WebP frames copied out of
  libwebp, PNG rows decoded, image copies). digest fixes malloc's mmap threshold at 16 MB
  (digest.core.memory), and glibc then keeps its trim threshold at 128 KB: every freed picture
  that left more than that free at the top of an arena was given back to the kernel, and the
  next picture faulted it in again, zeroed. Arenas now keep up to 64 MB free: 95,000 page
  faults, 1.6-1.9 s of system time. 4 interleaved pages builds each: every one faster, 1.0-2.3 s
  less CPU, 0.6-1.3 s less time; peak 201-234 -> 223-228 MB (32 MB: the same time and peak;
  256 MB: no faster).
- A full-text pass held every page's body until its last page came (Fetcher.get_each kept each
  outcome it had given): 31 MB for the 181 real pages. Now only the caller holds one. The
  Python process's peak RSS on the real pages, sampled every 0.2 s: 248 MB before, 241 and 242
  MB after (the run in the table above is from before this change). The rest of its 190 MB of
  anonymous memory at the peak is mostly not Python objects (tracemalloc: 45 MB at the end of the
  full-text pass, 27 MB of it the stop-word lists of every language that trafilatura's jusText
  fallback builds the first time it runs).
- Grey pictures are told from colour ones on every 8th pixel of every 8th row first
  (nearest-neighbour) instead of reduce(8)'s block averages, which read every pixel: the same
  verdicts, 300 bench pictures 0.51 -> 0.05 s of CPU.
- Where the rest goes (perf record, one cold pages build, by library): Pillow's C code 19%
  (bicubic resampling of drawn pictures 9%), the Python interpreter 13% (extraction, glue),
  EPUBCheck's java 21% (its code 13%, the C1 compiler 5%), libjpeg 11%, zlib 9% (PNG decoding
  and encoding), libc 6%, the kernel 5% (mostly thread switches), libwebp 3%, libvips 3%.
- Looked at and not changed: the first check of the finished bench book in a warm java takes
  1.9 s (2.3 s of CPU), a third one 1.45 s: the book's own work (EPUBCheck hashes every file,
  parses and validates every page), not warm-up, so a bigger warm-up book would not shorten the
  tail. trafilatura's two passes take 1.07 s of CPU on the 100 bench pages, 0.23 s of it its
  readability comparison (kept: see the fifth pass). Compiling the templates (0.14 s on one
  core after the images) earlier would save under 0.1 s.

Sixth pass (2026-12-07, after midnight; before -> after):
- Where a cold pages build's 26-27 s of CPU go (thread time by function, one run): the image
  workers 16.1-16.4 s, of which fitting the images 13.6 s (decode, resize and encode, bytes
  fixed by the sample issue), the cache's writes 0.8 s, the downloads 0.7 s; the main thread
  2.9-3.2 s, of which extraction 1.5 s (0.3 s of it importing trafilatura); EPUBCheck's java
  5.7-6.2 s (warm-up book 3.4-3.9 s, the finished book 1.8-2.0 s). In the feed corpus the main
  thread takes 1.3-1.4 s: the 1.7 s between them is the pages' extraction and language checks.
- The cache's file has 16 KiB pages instead of SQLite's 4 KiB (new files; an existing one keeps
  its own): 144 MB of the bench's page and image bodies written one transaction each in 0.27 s
  of CPU instead of 0.44; in cold pages builds the cache's writes 0.82 -> 0.65-0.71 s.
- A build reads back from the record's archive only its month's entries (two days' margin for
  the feeds' time zones) and its pins: a record of years no longer inflates every month at every
  build. No change on these one-month corpora.
- In this run calibre took 39.2 s on pages (35.5 s at 22:40) and digest 26.1 s of CPU (26.9):
  2.61x. At the 22:40 run's calibre time the same wall would be 2.37x. Both cores are busy from
  0.75 s into a cold pages build until its images are fitted; after that, the EPUB, and
  EPUBCheck on it (1.3-1.6 s on one core), leave one core mostly idle (about 1.5 core-seconds).
- Measured and not kept: libvips decoding PNGs (14.3 against 17.8-19.5 ms a 1920x1080
  screenshot, the same pixels), because libvips parses nothing from the web
  (digest.content.images.shrink); libvips decoding WebP at the fitted scale (32 against 18-21 ms,
  PSNR against a Lanczos reference 45.5 against 48.7 dB); lxml's element-class lookup for
  trafilatura's parser replaced by a default one (the same extraction on 281 pages, no less
  CPU); bytecode verification off for EPUBCheck's java (warm-up 3.75 -> 3.57 s of CPU, within
  the noise); java's C2 compiler for SHA-256 alone (EPUBCheck hashes every file of the book:
  0.18 s at C1 speed, 0.015 s with C2's intrinsic), through a compiler directive: every other
  method then stays in profiled code, and the book took 5.3 s instead of 1.5.
- The median cut that makes a drawn picture's palette (Pillow's quantize) is the dearest step of
  a GIF or a few-colour PNG (7.8 ms of 11 for a 640x400 GIF): its palette order depends on each
  colour's pixel count, so no cheaper route gives the same bytes.

Fifth pass (night; before -> after, interleaved runs unless said):
- Where the image workers' threads held the GIL (py-spy --gil over a cold feed build): 6.4 s
  in all, 1.85 s of it in Pillow's JPEG encoder, which holds the GIL when it writes into a
  BytesIO and releases it when it is given a file (ImageFile._save's encode_to_file). JPEGs are
  now encoded into an unnamed in-memory file (digest.content.images.encode; memfd on Linux;
  through memory when none can be made): the same bytes. Two threads encoding a 1264-pixel
  photo 10 times each: 0.14 s into a BytesIO (one thread, 20 times: 0.15 s), 0.07 s now. Feed,
  6 runs each: wall over CPU floor 1.19 -> 1.16, median 15.95 -> 15.58 s. Still held: getcolors
  0.66 s, WebP decoding 0.67 s, allocating images 0.32 s.
- readability-lxml (the second opinion of digest.content.text.fallback) is run only on a page
  whose words outside scripts and styles are at least twice trafilatura's: its article is made
  of those words (it drops scripts and styles first), so on a page with fewer it cannot take
  over. Skipped on every page of the bench's pages corpus and 86 of the 181 real pages; the same
  extraction on all 281 pages (a hash of every result). The 281 pages' CPU 13.5 -> 12.0 s.
  Pages, in two shorter `make bench` runs (feed and pages only) before and after it: 15.9 s
  and 27.9 s of CPU (2.24x calibre) -> 14.4 s and 25.2 s (2.39x).
- The size of each body's visible text (words for `min_words`, bytes for the text caps) is
  remembered in the cache by the body's hash (digest.content.text.textmemo): a rebuild parsed
  every article for them. Real pages' rebuild, 10 runs each: median 0.86 -> 0.69 s.
- Tried and not kept: trafilatura's `fast` mode (no external fallback) for the plain-text pass
  that decides the blocks: the same F1 on the 181 pages (0.965) and 0.9 s less CPU over the 281
  pages, but shorter reference texts let readability take over 2 pages it did not before and
  bring a site's breadcrumbs into a third; for the structured pass, F1 0.965 -> 0.937. A
  dynamic class-data archive (-XX:ArchiveClassesAtExit) with a larger young generation for
  EPUBCheck's java: 0.46 s less CPU for the warm-up book alone, but pages builds, 4 runs each,
  15.22 and 15.14 s: within the noise. Importing rich only when a terminal shows progress:
  httpx imports it anyway (its command-line module). Keeping Pillow's freed memory blocks: the
  allocator already reuses them (3 page faults a round of 24 images).
- What 2.5x on pages needs now, at this run's calibre time (35.5 s) and wall over floor (1.15):
  14.2 s, 24.7 s of CPU instead of 26.9. The pages corpus costs 2.5 s of CPU more than the feed
  corpus: extraction (trafilatura twice, readability where it may take over), language
  detection and the first sanitizing of each extracted body, while EPUBCheck's java warms up on
  the other core; both cores are busy throughout, so only less CPU shortens it.

Fourth pass (late evening; before -> after, interleaved runs unless said):
- The originals are downloaded ahead of the workers that fit them (digest.content.issue.downloads),
  into the cache, in reading order, on the fetcher's own threads. A slow host (1 s) used to
  hold a fitting worker while it answered: a CPU monitor showed both cores idle for 0.5 s at
  the end of the image pass, and 1.75-1.8 of 2 cores busy before it. With no network wait the
  workers go from 3 per core to 1 per core plus one. Feed, 4 runs each, wall over CPU floor:
  1.23 before; 1.17, 1.16 and 1.17 after with 3, 4 and 6 workers (the machine's speed moved
  the seconds by 15% within the runs, the ratio by 1%); peak 220 MB before, 182, 210 and 241
  MB after. 3 workers kept.
- Full text: each page is extracted as soon as it is downloaded (Fetcher.get_each). Before,
  all 100 of the pages corpus were downloaded (0.9 s) before the first was extracted. Pages, 3
  runs each: wall over floor 1.19 -> 1.16.
- A month never built starts EPUBCheck's java at once, not after its feeds: the feeds and the
  selection (0.7 s) left a core idle. Not measured apart.
- libvips (pyvips 3.2 and the pyvips-binary 8.18 wheel) shrinks photographs, decided this time
  (digest.content.images.shrink). Pillow still decodes and encodes, and drawn pictures keep
  Pillow's bicubic: the sample issue resizes no photograph (its whitepaper figure is drawn), so
  its bytes are unchanged. A camera photo's resize 15 -> 9 ms, a WebP photo's 14 -> 11 ms, at
  the same PSNR and JPEG size. Feed, 3 runs each: 16.35 -> 15.20 s, CPU 28.1 -> 26.0 s, peak 176
  -> 213 MB (libvips adds 16 MB to a process; it is loaded on the first photograph to shrink, so
  a rebuild does without). 1,000 articles with 4 images (bench.warm, one cold build each): 283
  -> 263 s, peak 271 -> 265 MB.
- Tried and not kept: the cache's SQLite with a 20,000-page WAL checkpoint, or synchronous=OFF
  (3 runs each, within the noise).
- EPUBCheck on the finished book, profiled in the warm java (Java Flight Recorder, 7 checks of
  the bench book): 60% of its samples in Saxon (the XHTML Schematron), 25% in Jing's RELAX NG
  validation, document after document on one thread. A warmer java does not help: the same
  book checked a second and a third time took 1.86 and 1.70 s.
- What 2.5x needs now, at this run's calibre times and wall over floor (1.19 feed, 1.18 pages):
  feed 14.0 s, 23.6 s of CPU instead of 24.7; pages 15.0 s, 25.5 s instead of 27.0. The
  bench's image line (its 520 images fitted in one process) read 12.3 s with libvips in this
  run, 14-15 s with Pillow at 17:18. The rest of the CPU is EPUBCheck's java (about 5.5 s),
  extraction (pages: 2.3 s) and Pillow's decode and encode.

Third pass (evening; before -> after, interleaved runs unless said):
- py3langid's model is unpacked once per machine into the user's cache and mapped from there
  (digest.content.text.langmodel): a load takes 0.06 s of CPU instead of 0.76, and the
  selection, which waits for it, ends 0.74 s into a cold feed build instead of 1.38-1.67 s.
- Tried and not kept: libvips (pyvips 3.2, libvips 8.18) for the resize step only, Pillow
  still decoding and encoding. For photos (bilinear, same PSNR and JPEG sizes as Pillow's) and
  screenshots (cubic): feed median 16.08 -> 15.07 s, CPU 26.2 -> 23.8 s, peak 206 -> 242 MB (3
  runs each); but its cubic changes the sample issue's bytes (its whitepaper figure, drawn
  1265x1636 by PDFium, is shrunk by one pixel), which #22 keeps fixed. Photos only: 16.99 ->
  16.22 s, CPU 27.9 -> 26.0 s, peak 220 -> 239 MB. A 21 MB native dependency for 4.5% of the
  wall time, which does not reach 2.5x either. libvips's JPEG encoder was slower than Pillow's
  (8.1 against 4.8 ms, 7% larger files).
- Tried and not kept: a box filter for photos (10.0 against 14.7 ms a camera photo, but 0.6 dB
  less and JPEGs 10% larger); java's full tiered JIT instead of C1 only (the warm-up book 3.6
  -> 6.2-6.6 s of CPU, the bench book after it 1.6-1.7 -> 2.1-2.3 s wall); a static class-data
  archive of EPUBCheck's 5,115 classes (the -Xshare:dump route works on this JDK): 0.2 s less
  CPU for the warm-up, the same for the book, for a 41 MB file.
- Where the last 2.3 s of a cold feed build go, after the images (one run, by function): the
  articles' bodies cleaned with their final image paths 0.24 s, Jing on the bodies 0.13 s (and
  0.08 s to extract its schema), 19 templates compiled 0.14 s, the EPUB written 0.19 s,
  EPUBCheck on the finished book 1.3-1.9 s (on one core; the same book with 8x8 images takes
  1.1 s: the 520 images are 0.2 s of it), the site 0.09 s.
- What 2.5x needs now, at this run's calibre times and wall/floor ratio (1.22): a feed build of
  14.0 s, 23.0 s of CPU instead of 24.9; pages 14.6 s, 23.9 s instead of 27.0. libvips for
  every resize would give about 2.4 s; for photos only, which keeps the sample's bytes, 1.9 s.
  The rest is EPUBCheck's java (about 5.5 s of CPU a cold build, 1.3-1.9 s of it alone at the
  end) and Pillow's decode and encode, each at its library's floor.

**The machine's speed moved during the day, and the ratio with it.** The bench's image line
(decode and encode of the same 520 images in one process, fixed work) read 15.4 s of CPU in a
run at 11:52 and 17.2 s in this one; the same code's cold feed build measured 16.3-20.8 s wall
and 26.5-34.7 s CPU across the day. calibre's run waits on the network most of its time (wall
1.8x its CPU floor), digest's is CPU-bound (1.2x), so a slower CPU lowers digest's ratio: 2.09x
(feed) and 2.01x (pages) at 11:52, 1.87x and 1.76x at 12:13: the same code for the feed corpus; the
earlier pages run still fitted images ahead (reverted since, as slower).

Cold CPU, second pass of the day (before -> after):
- photographs are shrunk bilinear, drawn pictures (at most 4096 colours, JPEGs included) stay
  bicubic: a camera photo's resize 25.1 -> 15.7 ms, 0.6 dB less PSNR once saved as JPEG
  (37.8 -> 37.2 dB against a full-size Lanczos reference; WebP photos 40.5 -> 39.9), 6% smaller
  files; bilinear would cost a PNG screenshot 7 dB and a class diagram saved as JPEG 5 dB;
- the grey test asks an 8x-reduced copy first (exact: a colour pixel in the copy proves a
  colour picture): 3.3 -> 1.2 ms a colour photo. Image CPU of the bench corpus in one process,
  stage by stage: 16.4 -> 14.6 s;
- EPUBCheck's java loads its server compiled once per machine and Saxon without its signature
  (digest.ebook.javakit; java verified a SHA-256 digest of every Saxon class it loaded):
  the warm-up book 5.6 -> 4.2 s of CPU, java over a whole cold feed build 8.5 -> 5.8 s;
- the Kindle rules read the finished book while EPUBCheck checks it (0.2-0.5 s off the last step).
Feed cold build, interleaved runs: 34.2 s of CPU (one run before) -> 26.5-29.0 s (4 runs), wall
16.4-17.5 s. A CPU monitor over one build: 1.5 s on one core (start-up, feeds, language model,
selection; java's warm-up takes the other), 12.5 s of images at 1.88 of 2 cores, 2.6 s at
0.5-1.3 cores (assembly 0.3 s, Jing 0.2 s, the EPUB 0.15 s, EPUBCheck on the book 1.5-1.9 s).

Tried and not kept, each by interleaved A/B runs:
- fitting a summary-only article's images while the next pages are extracted: pages median
  20.0 s against 19.2 s without, peak 296 against 243 MB (the workers took the GIL and the
  cores from the extraction they were to hide behind);
- JPEGs encoded into an in-memory file, which Pillow does without the GIL: feed median 18.9 s
  against 18.7 s (4 runs each);
- a 64 MB glibc trim threshold (fewer page faults for fresh image memory): 27.0 against 27.9 s
  of CPU, 16.6 against 16.8 s wall, peak 231 against 214 MB;
- starting java after the selection: the selection leaves a core idle while the language model
  loads, which java at nice 10 fills;
- a class-data archive for java: it works once Saxon is unsigned (warm-up 3.4-3.8 s against
  3.8-4.3 s) but is a 29 MB file that only a JVM exiting normally can write.

What would reach 2.5x on the generated corpora is CPU or the last step: the PNG screenshot path
(61 ms each: decode 18, bicubic resize 23, quantise and encode 20), about 3 s of system time
from 730,000 page faults for fresh image memory, and EPUBCheck on the finished book (11 ms per
XHTML document, on one core, after everything else).

Other image engines, measured on the bench's own images in one thread (later the same day, CPU
ms per image; Pillow's resize and decode are the floor of what Pillow can do):
- libvips 8.18 (pyvips with its 18 MB binary wheel): decode and shrink a PNG screenshot 16.4
  against Pillow's 48, but a camera JPEG 42.8 against 36 and a WebP photo 38.4 against 27; a
  resize alone, copies in and out included, 9-12 against 15-24 at the same PSNR (43.8 against
  43.9 dB on the screenshot). About 3 s of CPU less per cold build, a tenth;
- OpenCV 5.1 (80 MB, plus numpy): non-antialiased bilinear shrinks a photo in 2.3 ms against
  15.9 (44.1 against 42.9 dB below a 2x shrink), but a screenshot loses 15 dB (cubic) or 6.5 dB
  (area, 13.7 ms); about 2.6 s of CPU less;
- Pillow's affine transform as a cheaper bilinear: slower (24-29 ms against 15-18);
- decoding limited to as many images as cores (a semaphore, with 8 download workers, against 6
  plain workers), 3 interleaved rounds: wall medians 19.9 / 19.2 / 19.8 s, CPU 32.5 / 31.9 /
  32.9 s, within the noise; the peak 222 -> 194 MB with 2 slots;
- java without bytecode verification of its jars: EPUBCheck on the sample book 4.23 against
  4.27 s of CPU (medians of 4).
Together (libvips for PNGs, OpenCV for photos) they would save about 5.8 s of the 32-34 s of
CPU of a cold feed build in a slow period, where 2.5x needs about 8.5 s less: a faster
resampler for every image is a dependency decision, not a tuning step.

Rebuilds, what changed earlier the same day (before -> after, CPU of the rebuild process):
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
