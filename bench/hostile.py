"""What the hostile-input tests measured: kept in docs/benchmarks.md as written (the bench does not run them)."""

HOSTILE_INPUT = """## Hostile input (peak memory and time)

Measured on 2026-12-02 (the JPEG of many scans, the crowded pages and the PDF of 100,000 pages:
2026-12-06, in a process of their own) by the tests named, each in a child process (its high-water mark,
VmHWM: `ru_maxrss` would carry over the parent's), on the 2-core machine above while other
builds shared it; kept as written when `make bench` regenerates the rest. The stated bound
(README, Security) is 600 MB for a build or a fetch facing any single hostile item.

| input | before | after | test |
|---|---|---|---|
| a 1 GiB gzip, deflate or brotli bomb (1 MB or 1.6 KB on the wire) as a feed | +124 MB over the process (gzip), 8.4 GB for a 4 GiB brotli body | +21-23 MB over the 20 MB cap, refused at the cap | `test_hostile_fetch.py` |
| a whole build facing a bomb as a feed and another as an image | | 212 MB (181 MB without them) | `test_hostile_fetch.py` |
| `digest link add` of a bomb | | 94 MB | `test_hostile_fetch.py` |
| response headers dripped forever (2 s deadline) | ran until SIGKILL | ended after 2.3-2.5 s, one report line | `test_hostile_fetch.py` |
| SIGTERM to `digest fetch` blocked in such headers | ignored until SIGKILL | exit 143 after 1.7-2.1 s | `test_hostile_fetch.py` |
| an ICO declaring 256x256 holding a 12000x12000 RGBA PNG (581 KB) | 585 MB, decoded, then refused | 33 MB, refused from the PNG's header | `test_image_bombs.py` |
| six 40-megapixel RGB PNGs of 132 KB | 2,742 MB | 535 MB | `test_image_bombs.py` |
| one 40-megapixel RGBA PNG | about 850 MB | 514 MB | `test_image_bombs.py` |
| a progressive JPEG of 86 KB (2000x2000) repeating one scan 5,000 times | 12 s of CPU to decode (one as big as the 25 MB cap: hours) | refused in 8 ms, from its scans counted up to 101 | `test_image_bombs.py` |
| a page of 200,000 paragraphs (8 MB) to extract; 150,000 `<div>` (9 MB); a table of 630,000 cells (6 MB) | 260 s and 629 MB; 93 s and 1,338 MB; 67 s and 1,649 MB | refused in 1.0 / 1.9 / 2.3 s, 128 / 249 / 233 MB, from its 25,000-element bound | `test_hostile_content.py` |
| a curated link's PDF of 100,000 pages (10 MB), its metadata read | 6.2 s, 340 MB (pypdf walked every page to count them) | 1.1 s, 101 MB (the count the page tree declares; since 2026-12-06 read in a child process limited to 20 s and 1.5 GB) | `test_linkmeta.py` |
| `digest verify` of a 2 MB zip holding 2 GiB of spaces | 4,139 MB (108 s) | 37 MB (17 s) | `test_machine_faults.py` |
| `digest check` of the same | 4,156 MB | 47 MB | `test_machine_faults.py` |
| one feed with 10,000 entries in the month | failed after 785 s ("EPUBCheck did not finish"), nothing published | 100 articles published in 122 s, one report line | `test_limits.py` |

Transparency is flattened by pasting through the alpha channel onto RGB paper (the same
pixels as `alpha_composite` onto opaque white, without its two extra RGBA copies); the decode
budget (200 MB of decoded pixels for all image workers together) keeps a second such picture
from being decoded beside it.
"""
