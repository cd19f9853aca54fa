"""Screenshots of the book as a Kindle Paperwhite shows it (758x1024, grey), for docs/.

    make screenshots          (or: .venv/bin/python scripts/screenshots.py docs/screenshots)

Writes contents.png (the sample issue's contents page), further-reading.png (its curated
links on one page with QR codes), whitepaper.png and architecture.png (its whitepaper brief
and a reference architecture, read from the stand-ins in assets/sample-documents/) and article.png (an article with an SVG architecture
diagram and code, built from assets/demo/ through a feed served on this machine's
loopback, so the diagram goes through the same fetch and SVG drawing as a real post).
Nothing is fetched from the internet. Needs Chromium (scripts/install-system-deps.sh).
"""

from __future__ import annotations

import http.server
import io
import shutil
import sys
import tempfile
import threading
import zipfile
from functools import partial
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest.core.configfile import load_config  # noqa: E402
from digest.core.month import Month  # noqa: E402
from digest.ebook.epub import write_epub  # noqa: E402
from digest.pipeline import compose_issue, make_fetcher  # noqa: E402

SCREEN = {"width": 758, "height": 1024}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
MONTH = Month.parse("2018-01")
DEMO_POST = """
<p>A serverless web application needs no servers to patch: API Gateway takes each request,
a Lambda function answers it, and DynamoDB keeps the state. The diagram shows the request
path; static assets come from S3.</p>
<figure><img src="{base}/architecture.svg" alt="Clients call API Gateway, which invokes a Lambda
function that reads and writes DynamoDB and S3"/><figcaption>The request path of a serverless
web application.</figcaption></figure>
<p>The function itself is a handler that reads the order and stores it:</p>
<pre><code>import json, boto3

table = boto3.resource("dynamodb").Table("orders")

def handler(event, context):
    order = json.loads(event["body"])
    table.put_item(Item=order)
    return {{"statusCode": 201, "body": json.dumps(order)}}</code></pre>
<p>Deploy it with <code>sam deploy --guided</code> and the stack is ready in minutes.</p>
""" + "<p>Each piece scales on its own, and you pay only for the requests you serve.</p>" * 12


def main(target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="digest-shots-") as work_dir:
        work = Path(work_dir)
        sample = unpack(build_sample(work / "sample"), work / "sample-book")
        demo = unpack(build_demo(work / "demo"), work / "demo-book")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
            page = browser.new_context(viewport=SCREEN).new_page()
            shoot(page, sample / "contents.xhtml", target / "contents.png")
            shoot(page, sample / "further.xhtml", target / "further-reading.png")
            shoot(page, sample / "whitepaper-1.xhtml", target / "whitepaper.png")
            shoot(page, sample / "architecture-1.xhtml", target / "architecture.png")
            article = next(demo.glob("a01-*.xhtml"))
            shoot(page, article, target / "article.png")
            browser.close()
    for name in ("contents.png", "further-reading.png", "whitepaper.png", "architecture.png", "article.png"):
        print(f"wrote {target / name}")


def build_sample(folder: Path) -> bytes:
    """The bundled January 2018 sample issue, as the EPUB's bytes (no fetching needed)."""
    copy_project(folder)
    composed = compose_issue(load_config(folder / "digest.toml"), MONTH)
    return epub_bytes(composed, folder)


def epub_bytes(composed, folder: Path) -> bytes:
    """The composed issue's EPUB (written to a file in ``folder``, as the build writes it)."""
    book = folder / "book.epub"
    write_epub(composed.issue, composed.pages, composed.theme, book)
    return book.read_bytes()


def build_demo(folder: Path) -> bytes:
    """A one-article issue whose post comes from a feed served on loopback, diagram included."""
    copy_project(folder)
    site = folder / "site"
    site.mkdir()
    shutil.copy(ROOT / "assets" / "demo" / "architecture.svg", site / "architecture.svg")
    handler = partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        (site / "feed.xml").write_text(
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Demo</title>'
            f"<link>{base}/</link><language>en</language><item>"
            "<title>A Serverless Web Application, One Request at a Time</title>"
            f"<link>{base}/post.html</link><guid>demo-1</guid><dc:creator>Ana Example</dc:creator>"
            "<pubDate>Wed, 10 Jan 2018 10:00:00 GMT</pubDate>"
            "<description>How a request travels through API Gateway, Lambda and DynamoDB.</description>"
            f"<content:encoded><![CDATA[{DEMO_POST.format(base=base)}]]></content:encoded></item>"
            "</channel></rss>", encoding="utf-8")
        config = folder / "digest.toml"
        text = config.read_text(encoding="utf-8")
        head, _, _ = text.partition("[[sources]]")
        # The loopback server is a private address: the fetch layer refuses it unless allowed.
        config.write_text(head + f'[[sources]]\nname = "Demo Blog"\nurl = "{base}/feed.xml"\n'
                          'section = "architecture"\n\n[fetch]\n'
                          f'allow_private_hosts = ["127.0.0.1:{server.server_address[1]}"]\n', encoding="utf-8")
        (folder / "issues" / f"{MONTH}.toml").write_text("", encoding="utf-8")
        loaded = load_config(config)
        with make_fetcher(loaded, None) as fetcher:
            composed = compose_issue(loaded, MONTH, fetcher=fetcher)
        return epub_bytes(composed, folder)
    finally:
        server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def copy_project(folder: Path) -> None:
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "digest.toml", folder / "digest.toml")
    for name in ("issues", "assets/sample-feeds", "assets/sample-documents"):
        shutil.copytree(ROOT / name, folder / name)


def unpack(epub: bytes, folder: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(epub)) as book:
        book.extractall(folder)
    return folder / "EPUB"


def shoot(page, xhtml: Path, target: Path) -> None:
    """The first screen of a page, in grey as e-ink shows it."""
    page.goto(xhtml.as_uri())
    shot = Image.open(io.BytesIO(page.screenshot())).convert("L")
    shot.save(target, "PNG", optimize=True)


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        if path := shutil.which(name):
            return path
    sys.exit("Chromium is not installed: sh scripts/install-system-deps.sh chromium")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
