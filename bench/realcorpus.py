"""The 181 real article pages of the article-extraction benchmark, served as summary-only feeds.

The pages (``../shared/corpora/article-extraction-benchmark/`` beside the checkout, see its
README) are served as they were saved, spread over the five feeds of bench.corpus at the
paths of its *pages* variant (``/summary/<feed>.xml`` -> ``/<feed>/<n>.html``), so the same
digest project and calibre recipe read them. Their images are not in the corpus: an absolute
image URL points at a host that does not resolve here, a relative one is a 404 on loopback,
as many image links are on the real web.
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import datetime, timedelta, timezone
from html import unescape
from pathlib import Path

from bench.corpus import FEED_KINDS, FEEDS, MONTH, Corpus, _atom, _rss

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "article-extraction-benchmark"
TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.S | re.I)
IMG = re.compile(rb"<img\b", re.I)


def available() -> bool:
    return (CORPUS / "ground-truth.json").is_file()


def build_real_corpus(base: str, limit: int = 0) -> Corpus:
    """Every page (or the first ``limit``) as an article of the summary feeds at ``base``."""
    truth = json.loads((CORPUS / "ground-truth.json").read_text(encoding="utf-8"))
    keys = sorted(truth)[:limit or None]
    corpus = Corpus(len(keys), 0)
    per_feed: dict[str, list[dict]] = {name: [] for name in FEEDS}
    start = datetime(*MONTH, 1, 8, tzinfo=timezone.utc)
    for n, key in enumerate(keys):
        page = gzip.decompress((CORPUS / "html" / f"{key}.html.gz").read_bytes())
        feed = FEEDS[n % len(FEEDS)]
        found = TITLE.search(page)
        title = unescape(found.group(1).decode("utf-8", "replace")).strip() if found else ""
        corpus.files[f"/{feed}/{n}.html"] = (page, "text/html; charset=utf-8")
        corpus.dead_links += len(IMG.findall(page))
        per_feed[feed].append({
            "n": n, "feed": feed, "title": " ".join(title.split())[:150] or f"Article {n}",
            "author": "Staff", "date": start + timedelta(minutes=int(n * 27 * 24 * 60 / len(keys))),
            "link": f"{base}/{feed}/{n}.html", "body": ""})
    for index, feed in enumerate(FEEDS):
        render = _atom if FEED_KINDS[index] == "atom" else _rss
        body, ctype = render(feed, per_feed[feed], base, full=False)
        corpus.files[f"/summary/{feed}.xml"] = (body.encode("utf-8"), ctype)
    return corpus
