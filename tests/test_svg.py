"""SVG diagrams: drawn as PNG at the e-ink box, safely, instead of dropped."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from conftest import NS, ROOT, Epub
from factory import write_publication
from loopback import LoopbackServer, Reply
from PIL import Image

from digest.content.images import svg
from digest.content.images.fit import ImageProfile, process_image
from digest.content.images.svg import rasterise_svg
from digest.core.configfile import load_config
from digest.core.errors import ImageError
from digest.core.month import Month
from digest.pipeline import build_issue

DIAGRAM = (ROOT / "assets" / "demo" / "architecture.svg").read_bytes()
BOX = (1264, 1680)


def post(server: LoopbackServer) -> bytes:
    body = (f'<p>{"A serverless web application answers each request with a function. " * 30}</p>'
            f'<figure><img src="{server.url("/diagram.svg")}" alt="Clients call API Gateway, which runs Lambda">'
            "<figcaption>The request path</figcaption></figure>"
            "<pre><code>aws lambda invoke --function-name orders out.json</code></pre>")
    return ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Diagrams</title>'
            f'<link>{server.base}/</link><language>en</language><item><title>A serverless web app</title>'
            f'<link>{server.url("/post.html")}</link><guid>svg-1</guid>'
            "<pubDate>Wed, 10 Jan 2018 10:00:00 GMT</pubDate><description>Diagrams.</description>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded></item></channel></rss>").encode("utf-8")


def write_config(root: Path, server: LoopbackServer) -> Path:
    return write_publication(root,
                             publication={"title": "Diagram Monthly", "publisher": "Diagrams", "slug": "diagrams"},
                             sources=[{"name": "Diagrams", "url": server.url("/feed.xml"), "section": "main"}],
                             fetch={"allow_private_hosts": [server.host]}, output={"dir": "out"},
                             store={"path": "state/digest.sqlite3"})


def test_a_post_with_an_svg_architecture_diagram_comes_out_with_a_png_of_it(tmp_path):
    with LoopbackServer() as server:
        server.routes["/feed.xml"] = Reply(200, post(server), {"Content-Type": "application/rss+xml"})
        server.routes["/diagram.svg"] = Reply(200, DIAGRAM, {"Content-Type": "image/svg+xml"})
        result = build_issue(load_config(write_config(tmp_path, server)), Month(2018, 1))
    assert not [p for p in result.problems if "diagram.svg" in p.where], result.problems
    book = Epub(result.epub)
    page = book.xml(f"{result.issue.articles[0].id}.xhtml")
    images = page.findall(".//x:figure//x:img", NS)
    assert len(images) == 1 and images[0].get("alt").startswith("Clients call API Gateway")
    media_types = {item["href"]: item["media-type"] for item in book.manifest().values()}
    assert media_types[images[0].get("src")] == "image/png"
    with Image.open(io.BytesIO(book.read(images[0].get("src")))) as drawn:
        assert drawn.format == "PNG" and drawn.width == BOX[0], drawn.size  # drawn at the e-ink box
        assert drawn.convert("L").getextrema()[0] < 60, "the drawing has no ink"
    with zipfile.ZipFile(result.epub) as epub:
        assert not [n for n in epub.namelist() if n.endswith(".svg")]


def test_a_hostile_svg_runs_nothing_and_fetches_nothing():
    with LoopbackServer() as server:
        hostile = f"""<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
            width="200" height="100" onload="fetch('{server.url('/onload')}')">
          <style>@import url("{server.url('/import.css')}"); rect {{ fill: url({server.url('/fill')}); }}</style>
          <script>fetch("{server.url('/script')}")</script>
          <image xlink:href="{server.url('/image.png')}" width="50" height="50"/>
          <image href="file:///etc/passwd" width="50" height="50"/>
          <use href="{server.url('/use.svg')}#a"/>
          <foreignObject width="100" height="100"><iframe src="{server.url('/iframe')}"/></foreignObject>
          <rect x="10" y="10" width="80" height="40" stroke="black" style="filter: url({server.url('/f')})"/>
        </svg>""".encode()
        png = rasterise_svg(hostile, (400, 400), source="hostile.svg")
        assert server.requests == []
    with Image.open(io.BytesIO(png)) as drawn:
        assert drawn.size == (400, 200)


def test_entities_are_not_expanded():
    xxe = (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
           b'<!ENTITY lol "lollollollollollollollollol">]>'
           b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50"><rect width="9" height="9"/>'
           b'<text y="20">&xxe;&lol;</text></svg>')
    try:
        png = rasterise_svg(xxe, (100, 50), source="xxe.svg")
    except ImageError as refused:
        assert "xxe.svg" in str(refused)
    else:
        plain = rasterise_svg(b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50">'
                              b'<rect width="9" height="9"/><text y="20"/></svg>', (100, 50))
        assert png == plain, "an entity was expanded into the drawing"


@pytest.mark.parametrize("data,reason", [
    (b"<svg xmlns='http://www.w3.org/2000/svg'><rect></svg>", "malformed SVG"),
    (b"<svg><rect width='10' height='10'/></svg>", "not an SVG document"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'>" + b"<g/>" * 60_000 + b"</svg>", "more than 50000 elements"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'>" + b" " * 2_100_000 + b"</svg>", "over the 2 MB cap"),
])
def test_unfit_svg_is_refused_naming_the_source(data, reason):
    with pytest.raises(ImageError, match=reason) as refused:
        process_image(data, ImageProfile(), source="https://blog.example/diagram.svg")
    assert refused.value.source == "https://blog.example/diagram.svg"


def test_a_drawing_over_the_time_limit_is_stopped(monkeypatch):
    monkeypatch.setattr(svg, "DRAW_SECONDS", 0.01)
    with pytest.raises(ImageError, match="longer than 0.01 s"):
        rasterise_svg(DIAGRAM, BOX, source="slow.svg")


def test_an_svg_that_draws_nothing_is_refused():
    with pytest.raises(ImageError, match="draws nothing"):
        rasterise_svg(b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>x()</script></svg>', BOX)


def test_the_same_svg_gives_the_same_png():
    first = process_image(DIAGRAM, ImageProfile(), source="a.svg")
    assert process_image(DIAGRAM, ImageProfile(), source="a.svg").data == first.data
    assert first.media_type == "image/png" and (first.width, first.height) == (1264, 562)
