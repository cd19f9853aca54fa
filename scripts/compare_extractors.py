"""Compare main-content extractors on the fixture pages in tests/data/pages/.

Produces the fixture-page table in docs/extraction.md (the benchmark figures there come
from `python -m bench.extraction`):

    .venv/bin/python scripts/compare_extractors.py

Recall: share of the page's main-text words (the "gold" selectors in expected.json)
found in the extractor's output after digest's sanitizer; precision: share of the
output's words that belong to the main text (1 - precision is boilerplate).
Words are compared as multisets, so order and whitespace do not matter.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import warnings

from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digest.xhtml import clean_html  # noqa: E402

PAGES = Path(__file__).resolve().parent.parent / "tests" / "data" / "pages"
WORD = re.compile(r"\w+")
RUNS = 3
warnings.filterwarnings("ignore", category=XMLParsedAsHTMLWarning)  # the XHTML 1.0 fixture


def words(text: str) -> Counter:
    return Counter(w.lower() for w in WORD.findall(text))


def gold_text(html: str, rule: dict) -> str:
    soup = BeautifulSoup(html, "lxml")
    for selector in rule["exclude"]:
        for element in soup.select(selector):
            element.decompose()
    return " ".join(el.get_text(" ") for selector in rule["select"] for el in soup.select(selector))


def trafilatura_variant(**options):
    import trafilatura

    def run(html: str, url: str) -> str:
        return trafilatura.extract(html, url=url, output_format="html", include_images=True,
                                   include_links=True, include_tables=True, include_formatting=True,
                                   **options) or ""
    return run


def readability_lxml(html: str, url: str) -> str:
    from readability import Document
    return Document(html, url=url).summary(html_partial=True)


def digest_extract(html: str, url: str) -> str:
    from digest.content.text.extract import extract_article
    return extract_article(html, url).html


CANDIDATES = {
    "trafilatura": trafilatura_variant(),
    "trafilatura favor_precision": trafilatura_variant(favor_precision=True),
    "trafilatura favor_recall": trafilatura_variant(favor_recall=True),
    "readability-lxml": readability_lxml,
    "digest.content.text.extract (chosen)": digest_extract,
}


def measure(name: str, extractor, pages: dict) -> dict:
    rows = []
    for file_name, expect in pages.items():
        raw = (PAGES / file_name).read_bytes()
        try:
            html = raw.decode("utf-8")
        except UnicodeDecodeError:
            html = raw.decode("cp1252")
        timings = []
        for _ in range(RUNS):
            start = time.perf_counter()
            try:
                out = extractor(html, expect["url"])
            except Exception as error:  # a candidate failing is a result, not a crash
                out = ""
                print(f"{name} failed on {file_name}: {error}", file=sys.stderr)
            timings.append(time.perf_counter() - start)
        fragment = clean_html(out, base_url=expect["url"], id_prefix="x",
                              resolve_image=lambda url: url)
        # get_text(" ") and not fragment.text: adjacent blocks must not glue words together.
        spaced = BeautifulSoup(fragment.xhtml, "lxml").get_text(" ")
        got, gold = words(spaced), words(gold_text(html, expect["gold"]))
        if " ".join(spaced.split()).startswith(expect["title"]):
            got -= words(expect["title"])  # a repeated title is neither content nor boilerplate
        overlap = sum((got & gold).values())
        text = " ".join(fragment.text.split())
        tree = etree.fromstring(f"<div>{fragment.xhtml}</div>")
        kept = {el.tag for el in tree.iter() if isinstance(el.tag, str)}
        rows.append({
            "page": file_name,
            "recall": overlap / max(1, sum(gold.values())),
            "precision": overlap / max(1, sum(got.values())),
            "main": sum(s in text for s in expect["main"]) / len(expect["main"]),
            "boiler": sum(s in text for s in expect["boilerplate"]),
            "structure": {tag: tag in kept for tag in expect["structure"]},
            "ms": statistics.median(timings) * 1000,
        })
    return {"name": name, "rows": rows}


def structure_score(rows: list[dict], tag: str) -> str:
    wanted = [row["structure"][tag] for row in rows if tag in row["structure"]]
    return f"{sum(wanted)}/{len(wanted)}"


def report(results: list[dict]) -> str:
    tags = ["h2", "ol", "ul", "pre", "table", "figure", "figcaption", "img", "a", "blockquote"]
    lines = ["| extractor | recall | precision | key sentences | boilerplate sentences leaked | "
             + " | ".join(tags) + " | ms/page |",
             "|" + "---|" * (6 + len(tags))]
    for result in results:
        rows = result["rows"]
        lines.append(
            f"| {result['name']} | {statistics.mean(r['recall'] for r in rows):.1%} "
            f"| {statistics.mean(r['precision'] for r in rows):.1%} "
            f"| {statistics.mean(r['main'] for r in rows):.1%} | {sum(r['boiler'] for r in rows)} | "
            + " | ".join(structure_score(rows, tag) for tag in tags)
            + f" | {statistics.median(r['ms'] for r in rows):.0f} |")
    lines.append("")
    lines.append("| page | " + " | ".join(f"{r['name']} R / P" for r in results) + " |")
    lines.append("|" + "---|" * (1 + len(results)))
    for index, row in enumerate(results[0]["rows"]):
        cells = [f"{r['rows'][index]['recall']:.0%} / {r['rows'][index]['precision']:.0%}" for r in results]
        lines.append(f"| {row['page']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    pages = json.loads((PAGES / "expected.json").read_text(encoding="utf-8"))
    chosen = sys.argv[1:] or list(CANDIDATES)
    print(report([measure(name, CANDIDATES[name], pages) for name in chosen]))


if __name__ == "__main__":
    main()
