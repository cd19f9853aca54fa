"""Curated links describe themselves: OpenGraph, Twitter cards, JSON-LD, <title>, PDF metadata."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject, NumberObject

from digest.core.errors import ExtractionError
from digest.ingest import linkmeta
from digest.ingest.linkmeta import LinkMetadata, page_metadata

PAGES = Path(__file__).parent / "data" / "pages" / "linkmeta"


def read(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def make_pdf(pages: int, **metadata: str) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    if metadata:
        writer.add_metadata(metadata)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_opengraph_wins_over_twitter_and_plain_meta_and_relative_image_is_resolved():
    meta = page_metadata(read("opengraph-rich.html"), "text/html; charset=utf-8",
                         "https://aws.example.com/whitepapers/serverless-lens/")
    assert meta.title == "Serverless Application Lens: AWS Well-Architected Framework"
    assert meta.description.startswith("Best practices for designing serverless applications")
    assert meta.image_url == "https://aws.example.com/images/whitepapers/serverless-lens-cover.png"
    assert meta.site_name == "AWS Whitepapers & Guides"
    assert meta.kind_hint == "website"
    assert meta.page_count is None


def test_a_page_with_only_a_title_gives_the_title_and_nothing_made_up():
    meta = page_metadata(read("title-only.html"), "text/html", "https://example.com/ref-arch/clickstream")
    assert meta.title == "Reference Architecture: Real-Time Clickstream Analytics"
    assert (meta.description, meta.image_url, meta.site_name, meta.kind_hint) == (None, None, None, None)


def test_json_ld_fills_what_meta_tags_do_not_and_broken_json_ld_is_ignored():
    meta = page_metadata(read("json-ld.html"), "text/html", "https://training.example.org/courses/architecting/")
    assert meta.title == "Architecting on AWS: Three-Day Classroom Course"
    assert meta.description == "Learn to design scalable, highly available and fault-tolerant systems on AWS."
    assert meta.image_url == "https://training.example.org/courses/img/architecting-course.jpg"
    assert meta.site_name == "Cloud Training Hub"
    assert meta.kind_hint == "Course"


def test_html_is_recognised_by_its_bytes_when_the_server_mislabels_it():
    meta = page_metadata(b"\xef\xbb\xbf  <!DOCTYPE html><html><head><title>Caf\xc3\xa9 guide</title></head></html>",
                         "application/octet-stream", "https://example.com/x")
    assert meta.title == "Café guide"


def test_pdf_title_author_subject_and_page_count():
    pdf = make_pdf(3, **{"/Title": "Hybrid Cloud Networking", "/Author": "AWS Solutions Architects",
                         "/Subject": "Connecting data centres to VPCs"})
    meta = page_metadata(pdf, "application/octet-stream", "https://example.com/hybrid.pdf")
    assert (meta.title, meta.author, meta.description) == (
        "Hybrid Cloud Networking", "AWS Solutions Architects", "Connecting data centres to VPCs")
    assert meta.page_count == 3
    assert meta.kind_hint == "pdf"


def test_pdf_without_metadata_and_a_damaged_pdf_still_describe_what_they_can():
    plain = page_metadata(make_pdf(2), "application/pdf", "https://example.com/plain.pdf")
    assert (plain.title, plain.page_count, plain.kind_hint) == (None, 2, "pdf")
    damaged = page_metadata(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage", "application/pdf",
                            "https://example.com/broken.pdf")
    assert damaged.kind_hint == "pdf" and damaged.title is None


@pytest.mark.parametrize("body, content_type", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
    (b'{"error": "not found"}', "application/json"),
    (b"", ""),
])
def test_a_body_that_is_neither_html_nor_pdf_is_an_extraction_error(body, content_type):
    with pytest.raises(ExtractionError) as raised:
        page_metadata(body, content_type, "https://example.com/thing")
    assert "https://example.com/thing" in str(raised.value)


def test_an_html_page_with_junk_meta_tags_never_raises():
    meta = page_metadata(b'<html><head><meta property="og:image" content="  "><meta name="description">'
                         b'<script type="application/ld+json">[1, "x", {"@type": ["Article"], '
                         b'"headline": ["Odd list headline"]}]</script></head></html>',
                         "text/html", "https://example.com/odd")
    assert meta.title == "Odd list headline"
    assert meta.image_url is None and meta.kind_hint == "Article"


def test_pdf_metadata_that_is_not_text_is_left_out():
    """A /Title that is a stream once became the title "{'/Filter': '/FlateDecode'}"."""
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    stream = DecodedStreamObject()
    stream.set_data(b"Not a title")
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    writer.add_metadata({"/Subject": "Networking patterns"})
    info = writer._info.get_object()  # pypdf's add_metadata only takes text: set the others by hand
    info[NameObject("/Title")] = writer._add_object(stream)
    info[NameObject("/Author")] = DictionaryObject({NameObject("/Name"): NumberObject(1)})
    out = io.BytesIO()
    writer.write(out)
    meta = page_metadata(out.getvalue(), "application/pdf", "https://example.com/stream-title.pdf")
    assert (meta.title, meta.author, meta.description, meta.page_count) == (None, None, "Networking patterns", 1)


def test_the_page_count_is_the_one_the_page_tree_declares_not_a_walk_of_every_page():
    """pypdf's len(reader.pages) walks and holds every page: 6.2 s and 340 MB for a 10 MB PDF of
    100,000 pages. A count is only shown, so the one the tree's root declares is taken."""
    def with_count(count):
        writer = PdfWriter()
        for _ in range(2):
            writer.add_blank_page(width=612, height=792)
        pages = writer._pages.get_object()
        if count is None:
            del pages[NameObject("/Count")]
        else:
            pages[NameObject("/Count")] = NumberObject(count)
        out = io.BytesIO()
        writer.write(out)
        return page_metadata(out.getvalue(), "application/pdf", "https://example.com/paper.pdf").page_count

    assert with_count(40_000) == 40_000  # a walk would have found 2
    assert with_count(0) is None and with_count(None) is None


@pytest.mark.parametrize(("limit", "value", "said"), [
    ("PDF_SECONDS", 0.05, "longer than 0.05 s"),  # under a python start-up: as a parser loop would be
    ("PDF_MEMORY", 20_000_000, "PDF metadata not read"),  # under what pypdf needs: as a bomb would be
])
def test_a_pdf_read_past_its_time_or_memory_limit_is_a_pdf_without_metadata(monkeypatch, caplog, limit, value, said):
    """The metadata is read in a child process with both limits, so a hostile PDF costs its
    description only, and the link keeps its own title."""
    monkeypatch.setattr(linkmeta, limit, value)
    pdf = make_pdf(3, **{"/Title": "Hybrid Cloud Networking"})
    with caplog.at_level(logging.INFO, logger="digest.ingest.linkmeta"):
        meta = page_metadata(pdf, "application/pdf", "https://example.com/hostile.pdf")
    assert meta == LinkMetadata(kind_hint="pdf")
    assert said in caplog.text and "https://example.com/hostile.pdf" in caplog.text
    monkeypatch.undo()
    assert page_metadata(pdf, "application/pdf", "https://example.com/hostile.pdf").title == "Hybrid Cloud Networking"
