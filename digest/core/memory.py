"""Keep the build's peak memory down where the C library allows it.

glibc gives each thread that allocates its own malloc arena (up to 8 per core), and the
image workers' decoded pictures leave each arena holding freed memory it does not return:
with two arenas the build's peak RSS drops by about a third (319 -> 219 MB measured at 30
bench articles) for the same work. glibc also raises its mmap threshold each time a big block
is freed, so decoded pictures and downloads end up in the arenas and stay there; a fixed 16 MB
threshold keeps the biggest blocks (whole books, huge pictures) out of them: peak RSS at 100
bench articles 305-319 -> 237-267 MB. Lower thresholds cost too much: at 1 MB every picture
is mapped and zeroed afresh (7 s more system time, 208 MB).

A fixed mmap threshold also freezes the trim threshold at glibc's 128 KB: each time a freed
picture left more than that free at the top of an arena, glibc gave the memory back, and the
next picture faulted it in again, zeroed (570,000-930,000 page faults a cold bench build of
the pages corpus, 2.9-3.8 s of system time). Letting an arena keep up to 64 MB free: 95,000
page faults, 1.9 s; 4 interleaved runs each, every one faster, 1.0-2.3 s less CPU and 0.6-1.3 s
less time, peak RSS 201-234 -> 223-228 MB (1,000 bench articles: 214 -> 251 MB).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # from glibc's malloc.h
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
ARENAS = 2
MMAP_THRESHOLD = 16 << 20
TRIM_THRESHOLD = 64 << 20


def limit_malloc_arenas() -> None:
    """Call before any thread starts; a no-op where the C library is not glibc."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    if not mallopt(M_ARENA_MAX, ARENAS):
        log.debug("mallopt(M_ARENA_MAX) refused; malloc arenas not limited")
    if not mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD):
        log.debug("mallopt(M_MMAP_THRESHOLD) refused")
    if not mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD):
        log.debug("mallopt(M_TRIM_THRESHOLD) refused")
