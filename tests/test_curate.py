"""Curated links that describe themselves, and listing pages that supply them."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pypdf import PdfWriter

from conftest import DATA, NS, Epub, epubcheck_problems
from digest.core.configfile import load_config
from digest.core.month import Month
from digest.pipeline import build_issue
from factory import write_publication
from loopback import LoopbackServer, Reply

pytestmark = pytest.mark.slow  # a whole build, EPUBCheck included

PAGES = DATA / "pages"


def pdf_with_pages(count: int, title: str) -> bytes:
    writer = PdfWriter()
    for _ in range(count):
        writer.add_blank_page(width=612, height=792)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def png(size=(1200, 630)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 80, 160)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def curated_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("curate")
    with LoopbackServer() as server:
        server.routes.update({
            "/whitepapers/": Reply(200, (PAGES / "listings" / "whitepapers.html").read_bytes(),
                                   {"Content-Type": "text/html"}),
            "/lens.html": Reply(200, (PAGES / "linkmeta" / "opengraph-rich.html").read_bytes(),
                                {"Content-Type": "text/html"}),
            "/images/whitepapers/serverless-lens-cover.png": Reply(200, png(), {"Content-Type": "image/png"}),
            "/guide.pdf": Reply(200, pdf_with_pages(3, "Migration Guide"), {"Content-Type": "application/pdf"}),
        })
        listing = {"name": "Whitepapers", "url": server.url("/whitepapers/"), "kind": "whitepaper",
                   "item": "div.wp-card", "title": ".wp-title", "date": ".wp-meta", "summary": ".wp-desc"}
        issue = f"""
[[links]]
kind = "reference-architecture"
url = "{server.url('/lens.html')}"

[[links]]
kind = "solution"
url = "{server.url('/guide.pdf')}"

[[links]]
kind = "training"
url = "{server.url('/gone')}"
"""
        config = write_publication(root, sample=True, listings=[listing],
                                   fetch={"retries": 0, "timeout": 5, "allow_private_hosts": [server.host]},
                                   issues={"2018-01.toml": issue})
        result = build_issue(load_config(config), Month(2018, 1))
    return result


def links_by_kind(result):
    return {g.kind: g.links for g in result.issue.curated}


def test_listing_items_of_the_month_become_curated_links(curated_build):
    titles = [link.title for link in links_by_kind(curated_build)["whitepaper"]]
    assert titles == ["Serverless Application Lens", "Security Pillar"]  # not December's, not February's
    lens = links_by_kind(curated_build)["whitepaper"][0]
    assert lens.url.endswith("/whitepapers/serverless-lens.pdf?did=wp_card&trk=wp_card")
    assert lens.summary == "Best practices for designing and operating serverless applications."
    assert any("items without a date" in p.reason for p in curated_build.problems)


def test_a_link_given_only_by_url_gets_title_description_and_lead_image(curated_build):
    link = links_by_kind(curated_build)["reference-architecture"][0]
    assert link.title == "Serverless Application Lens: AWS Well-Architected Framework"
    assert link.summary.startswith("Best practices for designing serverless applications")
    assert link.image.startswith("images/")
    page = Epub(curated_build.epub).xml("further.xhtml")
    assert link.image in [img.get("src") for img in page.iterfind(".//x:img[@class='lead-image']", NS)]


def test_a_pdf_link_reports_its_page_count(curated_build):
    link = links_by_kind(curated_build)["solution"][0]
    assert link.title == "Migration Guide" and "(PDF, 3 pages)" in link.summary


def test_an_unreachable_link_is_reported_and_shown_by_its_url(curated_build):
    link = links_by_kind(curated_build)["training"][0]
    assert link.title == link.url and link.url.endswith("/gone")
    assert any(p.where.endswith("/gone") and "HTTP 404" in p.reason for p in curated_build.problems)


def test_curated_issue_passes_epubcheck(curated_build):
    assert epubcheck_problems(curated_build.epub) == []
