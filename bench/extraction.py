"""Article-extraction quality on the public 181-page benchmark, with the benchmark's own metric.

    python -m bench.extraction                      # every system, summary table
    python -m bench.extraction --worst 10           # and the ten worst pages of the pipeline
    python -m bench.extraction --corpus DIR         # another copy of the benchmark

The corpus (scrapinghub/article-extraction-benchmark: ``html/<key>.html.gz`` and
``ground-truth.json``) is looked for in ``../shared/corpora/`` beside the project.

Metric, as the benchmark defines it: tokens are ``\\w+`` matches; shingles are runs of 4
consecutive tokens counted with multiplicity; per page TP, FP and FN are the shared,
extra and missing shingles, divided by their sum; precision and recall are the means
over pages of TP/(TP+FP) and TP/(TP+FN) (a page with nothing expected and nothing
predicted scores 1; one with nothing predicted but something expected scores 0), and
F1 = 2PR/(P+R). The "pooled" figures sum the normalised counts over pages before
dividing, a variant some published figures use.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpora" / "article-extraction-benchmark"
TOKEN = re.compile(r"\w+")
SHINGLE = 4


@dataclass(frozen=True)
class Page:
    key: str
    url: str
    html: bytes
    expected: str


@dataclass(frozen=True)
class Score:
    tp: float
    fp: float
    fn: float
    precision: float
    recall: float


@dataclass(frozen=True)
class Result:
    system: str
    precision: float
    recall: float
    f1: float
    pooled_f1: float
    seconds_per_page: float
    pages: dict[str, Score]


def load_corpus(folder: Path = CORPUS) -> list[Page]:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    return [Page(key, item.get("url") or "", gzip.decompress((folder / "html" / f"{key}.html.gz").read_bytes()),
                 item.get("articleBody") or "")
            for key, item in sorted(truth.items())]


def shingles(text: str) -> Counter:
    tokens = TOKEN.findall(text)
    # A text shorter than one shingle is one shingle of all its tokens, as in the benchmark.
    return Counter(tuple(tokens[i:i + SHINGLE]) for i in range(max(1, len(tokens) - SHINGLE + 1))
                   if tokens[i:i + SHINGLE])


def score_page(expected: str, predicted: str) -> Score:
    truth, guess = shingles(expected), shingles(predicted)
    tp, fp, fn = sum((truth & guess).values()), sum((guess - truth).values()), sum((truth - guess).values())
    total = tp + fp + fn
    if total == 0:
        return Score(0, 0, 0, 1.0, 1.0)
    tp, fp, fn = tp / total, fp / total, fn / total
    return Score(tp, fp, fn, tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 1.0)


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def evaluate(system: str, extract: Callable[[Page], str], pages: list[Page]) -> Result:
    scores: dict[str, Score] = {}
    started = time.perf_counter()
    for page in pages:
        try:
            predicted = extract(page)
        except Exception as error:  # noqa: BLE001 (an extractor that fails on a page scores 0 there)
            print(f"  {system}: {page.key}: {type(error).__name__}: {error}")
            predicted = ""
        scores[page.key] = score_page(page.expected, predicted)
    elapsed = (time.perf_counter() - started) / max(1, len(pages))
    precision = sum(s.precision for s in scores.values()) / len(scores)
    recall = sum(s.recall for s in scores.values()) / len(scores)
    tp, fp, fn = (sum(getattr(s, name) for s in scores.values()) for name in ("tp", "fp", "fn"))
    pooled = f1(tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0)
    return Result(system, precision, recall, f1(precision, recall), pooled, elapsed, scores)


def trafilatura_alone(page: Page) -> str:
    import trafilatura

    return trafilatura.extract(page.html, url=page.url) or ""


def trafilatura_precise(page: Page) -> str:
    """The settings of extract_article's plain-text pass."""
    import trafilatura

    return trafilatura.extract(page.html, url=page.url, include_comments=False, favor_precision=True) or ""


def readability_alone(page: Page) -> str:
    from readability import Document

    from digest.content.text.extract import decode_html
    from digest.content.text.sanitize import html_text

    return html_text(Document(decode_html(page.html)).summary(html_partial=True))


def digest_pipeline(page: Page) -> str:
    """What a reader gets: extract_article, then the sanitizer, as text.

    Every image counts as downloaded: the corpus has none, and a missing image would
    leave its alt text in the page, which a reader with the images does not see.
    """
    from digest.content.text.extract import extract_article
    from digest.content.text.sanitize import clean_html

    extracted = extract_article(page.html, page.url)
    return clean_html(extracted.html, base_url=page.url, id_prefix="bench",
                      resolve_image=lambda url: "images/present.jpg").text


SYSTEMS: dict[str, Callable[[Page], str]] = {
    "trafilatura (defaults)": trafilatura_alone,
    "trafilatura (no comments, favor_precision)": trafilatura_precise,
    "readability-lxml": readability_alone,
    "digest extract_article + sanitizer": digest_pipeline,
}


def markdown_table(results: list[Result], pages: int) -> str:
    lines = [f"| system ({pages} pages) | precision | recall | F1 | F1 pooled | ms/page |", "|---|---|---|---|---|---|"]
    lines += [f"| {r.system} | {r.precision:.3f} | {r.recall:.3f} | {r.f1:.3f} | {r.pooled_f1:.3f} | "
              f"{r.seconds_per_page * 1000:.0f} |" for r in results]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.extraction")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--system", action="append", choices=list(SYSTEMS), help="only these (repeatable)")
    parser.add_argument("--worst", type=int, default=0, help="list the N worst pages of each system")
    parser.add_argument("--json", type=Path, help="write per-page scores here")
    args = parser.parse_args()
    if not (args.corpus / "ground-truth.json").is_file():
        parser.error(f"no benchmark at {args.corpus} (expected ground-truth.json and html/)")
    pages = load_corpus(args.corpus)
    results = [evaluate(name, SYSTEMS[name], pages) for name in (args.system or SYSTEMS)]
    print(markdown_table(results, len(pages)))
    for result in results:
        worst = sorted(result.pages.items(), key=lambda item: f1(item[1].precision, item[1].recall))[:args.worst]
        for key, score in worst:
            print(f"  {result.system}: {key} P {score.precision:.2f} R {score.recall:.2f}")
    if args.json:
        args.json.write_text(json.dumps({r.system: {k: [s.precision, s.recall] for k, s in r.pages.items()}
                                         for r in results}, indent=1))


if __name__ == "__main__":
    main()
