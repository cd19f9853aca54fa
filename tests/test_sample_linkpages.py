"""The sample's January issue carries its whitepaper and reference architectures as pages."""

from __future__ import annotations

import io
import json

from PIL import Image

from conftest import NS, Epub
from digest.report import build_report_json, format_build_report


def brief_pages(book: Epub) -> list[str]:
    return [href for href in book.spine_hrefs() if href.startswith(("whitepaper-", "architecture-"))]


def test_january_has_one_whitepaper_brief_and_two_reference_architecture_pages(sample_builds):
    result = sample_builds["2018-01"]
    book = Epub(result.epub)
    assert brief_pages(book) == ["whitepaper-1.xhtml", "architecture-1.xhtml", "architecture-2.xhtml"]
    # In the navigation under "Further reading", after the kinds of link, as pages of their own.
    further = dict(book.nav_toc())["Further reading"]
    titles = [link.title for group in result.issue.curated for link in group.links if link.brief]
    assert further[-3:] == titles
    ncx_targets = [c.get("src") for c in book.xml("toc.ncx").iterfind(".//ncx:content", NS)]
    assert all(page in ncx_targets for page in brief_pages(book))
    assert "pages of their own: 1 whitepaper brief, 2 reference architecture pages" in format_build_report(result)
    assert json.loads(build_report_json(result))["link_pages"] == {"whitepaper": 1, "reference-architecture": 2}


def test_the_whitepaper_brief_reads_the_paper_itself(sample_builds):
    book = Epub(sample_builds["2018-01"].epub)
    page = book.xml("whitepaper-1.xhtml")
    text = " ".join("".join(page.itertext()).split())
    assert "By Ana Example and Ben Sample · November 2017 · 8 pages" in text
    abstract = page.find(".//x:section[@role='doc-abstract']", NS)
    assert "Serverless applications let a team ship features" in "".join(abstract.itertext())
    assert [li.text for li in page.iterfind(".//x:ul[@class='brief-contents']/x:li", NS)][:2] == [
        "Abstract", "1 Introduction"]
    figure = page.find(".//x:figure/x:img", NS)
    assert figure.get("alt").startswith("Figure 1")
    with Image.open(io.BytesIO(book.read(figure.get("src")))) as image:
        assert image.mode in ("L", "P") and max(image.size) <= 1680


def test_reference_architecture_pages_show_the_diagram_turned_to_fill_the_screen(sample_builds):
    book = Epub(sample_builds["2018-01"].epub)
    for href in ("architecture-1.xhtml", "architecture-2.xhtml"):
        page = book.xml(href)
        image = page.find(".//x:figure/x:img", NS)
        described = page.find(f".//*[@id='{image.get('aria-describedby')}']", NS)
        assert image.get("alt") and len(described.findall(".//x:li", NS)) >= 3  # the steps, as text
        with Image.open(io.BytesIO(book.read(image.get("src")))) as drawn:
            # Both stand-in diagrams are landscape: turned, they fill the portrait screen's height.
            assert drawn.height > drawn.width and drawn.height > 1200
