"""Run one command and print its wall time and the peak RSS of its process tree as JSON.

A process of its own per measurement: RUSAGE_CHILDREN covers every descendant that was
waited for (java under digest, calibre's workers under ebook-convert), and only them.
Peak RSS is the largest single process of the tree, as the kernel reports it.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def main(argv: list[str]) -> None:
    started = time.monotonic()
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wall = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"wall": wall, "peak_rss_mb": usage.ru_maxrss / 1024, "cpu": usage.ru_utime + usage.ru_stime,
                      "returncode": done.returncode,
                      "tail": done.stdout.decode("utf-8", "replace")[-3000:]}))


if __name__ == "__main__":
    main(sys.argv[1:])
