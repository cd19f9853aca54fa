"""Every page of an issue in a real headless Chromium at Kindle Paperwhite size (758x1024).

What a reader would see on an e-ink screen: no page wider than the screen, code no smaller
than 0.85 of the text around the page, and a cover that shows all of itself. The pages are
the EPUB's own files, opened from disk.
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import pytest
from benchmark_site import offline
from conftest import ROOT, Epub
from factory import write_publication
from loopback import LoopbackServer, Reply
from PIL import Image

from digest.core.configfile import load_config
from digest.core.month import Month
from digest.ebook.epub import write_epub
from digest.pipeline import compose_issue, make_fetcher

SCREEN = {"width": 758, "height": 1024}
# 181 real article pages from many sites (the shared extraction benchmark beside the repository).
REAL_LANGUAGES = ["en", "de", "fr", "es", "it", "pt", "nl", "ru", "pl", "sv", "ja", "zh", "ko", "tr", "uk", "cs"]
CORPUS = ROOT.parent / "shared" / "corpora" / "article-extraction-benchmark"
MIN_CODE_RATIO = 0.85
# Measured in the page: the widest box against the screen, and each code element's font
# size against the body text's.
MEASURE = """() => {
  const body = parseFloat(getComputedStyle(document.body).fontSize);
  const code = [...document.querySelectorAll('pre, code, kbd, samp, tt')].map(e =>
      [e.tagName, parseFloat(getComputedStyle(e).fontSize) / body]);
  return {scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth, code};
}"""


@pytest.fixture
def screen(browser):
    context = browser.new_context(viewport=SCREEN, java_script_enabled=True)
    yield context.new_page()
    context.close()


def unpack(composed, folder: Path) -> tuple[Path, list[str]]:
    """The composed issue's EPUB files on disk and its spine (plus the nav document), as paths inside it."""
    folder.mkdir(parents=True, exist_ok=True)
    write_epub(composed.issue, composed.pages, composed.theme, folder / "book.epub")
    with zipfile.ZipFile(folder / "book.epub") as book:
        book.extractall(folder)
    view = Epub(folder / "book.epub")
    opf_dir = folder / "EPUB"
    return opf_dir, [*view.spine_hrefs(), "nav.xhtml"]


def issue_pages(config_path: Path, month: str, folder: Path) -> tuple[Path, list[str]]:
    composed = compose_issue(load_config(config_path), Month.parse(month))
    return unpack(composed, folder)


def check_pages(tab, root: Path, pages: list[str]) -> int:
    """Assert every page fits the screen and keeps its code large enough; return how many
    code elements were measured."""
    failures, measured_code = [], 0
    for href in pages:
        tab.goto((root / href).as_uri())
        measured = tab.evaluate(MEASURE)
        if measured["scrollWidth"] > measured["width"]:
            failures.append(f"{href}: {measured['scrollWidth']} px wide on a {measured['width']} px screen")
        measured_code += len(measured["code"])
        small = [f"{tag} at {ratio:.2f}" for tag, ratio in measured["code"] if ratio < MIN_CODE_RATIO]
        if small:
            failures.append(f"{href}: code smaller than {MIN_CODE_RATIO} of the text: {', '.join(sorted(set(small)))}")
    assert failures == []
    return measured_code


@pytest.mark.parametrize("month", ["2018-01", "2018-02"])
def test_no_page_of_the_sample_issue_scrolls_sideways_or_shrinks_code(screen, project_copy, tmp_path, month):
    root, pages = issue_pages(project_copy / "digest.toml", month, tmp_path / "book")
    assert len(pages) > 10 and any(p.startswith("a") for p in pages)
    assert check_pages(screen, root, pages) > 0, "the sample issue has code: nothing was measured"


def test_the_cover_shows_all_of_itself_on_the_screen(screen, project_copy, tmp_path):
    root, _ = issue_pages(project_copy / "digest.toml", "2018-01", tmp_path / "book")
    screen.goto((root / "cover.xhtml").as_uri())
    box = screen.evaluate("() => { const r = document.querySelector('svg image').getBoundingClientRect();"
                          " return [r.left, r.top, r.right, r.bottom]; }")
    left, top, right, bottom = box
    assert left >= 0 and top >= 0 and right <= SCREEN["width"] + 0.5 and bottom <= SCREEN["height"] + 0.5, box
    assert bottom - top > 0.9 * SCREEN["height"], f"cover drawn small: {box}"
    assert screen.evaluate("document.documentElement.scrollHeight") <= SCREEN["height"]
    # The publisher line is the cover's last text: its ink must be on the screen.
    shot = Image.open(io.BytesIO(screen.screenshot())).convert("L")
    scale = (bottom - top) / 2560
    band = shot.crop((int(left), int(top + 2380 * scale), int(right), int(top + 2430 * scale)))
    assert band.getextrema()[0] < 100, "no publisher line at the bottom of the visible cover"


HOSTILE_TEXT = """
<p>A sentence with a very long address https://example.org/{long} in it.</p>
<pre><code>{code}</code></pre>
<p>Inline <code>{code}</code> code.</p>
<table><tr>{cells}</tr><tr>{cells}</tr></table>
<figure><figcaption>A caption with <code>code</code> in it.</figcaption></figure>
""".format(long="a" * 300, code="x" * 200 + " = call(" + "y" * 200 + ")",
           cells="".join(f"<td>column{i}_without_spaces_{'z' * 30}</td>" for i in range(12)))


def test_wide_tables_long_code_and_urls_stay_inside_the_screen(screen, project_copy, tmp_path):
    feed = project_copy / "assets" / "sample-feeds" / "wide.xml"
    feed.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Wide</title>'
        "<link>https://wide.example.org/</link><language>en</language><item><title>Wide things</title>"
        "<link>https://wide.example.org/wide</link><guid>wide-1</guid>"
        "<pubDate>Wed, 10 Jan 2018 10:00:00 GMT</pubDate><description>Wide.</description>"
        f"<content:encoded><![CDATA[{HOSTILE_TEXT}]]></content:encoded></item></channel></rss>",
        encoding="utf-8")
    config = project_copy / "digest.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[[sources]]\nname = "Wide"\n'
                      'url = "assets/sample-feeds/wide.xml"\nsection = "news"\n', encoding="utf-8")
    root, pages = issue_pages(config, "2018-01", tmp_path / "book")
    wide = [p for p in pages if "wide-things" in p]
    assert wide, pages
    assert check_pages(screen, root, wide) >= 3


@pytest.mark.skipif(not (CORPUS / "ground-truth.json").is_file(),
                    reason="the real-world page corpus is not beside the repository")
def test_every_page_of_a_real_world_issue_fits_the_screen(screen, tmp_path, monkeypatch):
    """A summary-only feed of the 181 real pages, extracted and built like any month."""
    keys = sorted(json.loads((CORPUS / "ground-truth.json").read_text(encoding="utf-8")))
    offline(monkeypatch)
    with LoopbackServer() as server:
        items = "".join(
            f"<item><title>Real page {n}</title><link>{server.url(f'/{key}.html')}</link><guid>{key}</guid>"
            f"<pubDate>{1 + n % 28:02d} Jan 2018 10:00:00 GMT</pubDate>"
            "<description>Summary [&#8230;]</description></item>"
            for n, key in enumerate(keys))
        server.routes["/feed.xml"] = Reply(200, ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                                                 f"<title>Real</title><link>{server.base}/</link>{items}</channel></rss>"
                                                 ).encode("utf-8"), {"Content-Type": "application/rss+xml"})
        for key in keys:
            body = gzip.decompress((CORPUS / "html" / f"{key}.html.gz").read_bytes())
            server.routes[f"/{key}.html"] = Reply(200, body, {"Content-Type": "text/html"})
        config = load_config(write_publication(
            tmp_path, publication={"title": "Real World Monthly", "publisher": "Readers", "slug": "real"},
            sources=[{"name": "Real", "url": server.url("/feed.xml"), "section": "main", "summary_only": True,
                      "min_words": 50, "languages": REAL_LANGUAGES}],
            output={"dir": "out"}, fetch={"retries": 0, "allow_private_hosts": [server.host]},
            # One feed carries all 181 pages: above the default cap of 100 entries per source.
            limits={"entries_per_source": len(keys)}))
        with make_fetcher(config, None) as fetcher:
            composed = compose_issue(config, Month(2018, 1), fetcher=fetcher)
    assert len(composed.issue.articles) > 100, len(composed.issue.articles)
    # Pages in other languages than the publication's carry their own lang (for hyphenation).
    assert len({a.language for a in composed.issue.articles} - {"", "en"}) >= 3
    root, pages = unpack(composed, tmp_path / "book")
    assert len(pages) > 100
    check_pages(screen, root, pages)  # news pages carry no code: the width is what is measured here
