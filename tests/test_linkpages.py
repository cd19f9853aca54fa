"""Whitepapers and reference architectures read into pages: good documents and every bad one.

Documents are served by a real HTTP server on loopback and read through the real fetch
layer; PDFs are read by pypdf and drawn by PDFium in the capped child process.
"""

from __future__ import annotations

import io
import zipfile
import zlib

import pytest
from factory import ROOT, write_publication
from loopback import LoopbackServer, Reply
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, StreamObject

from digest.content.issue.linkpages import link_pages
from digest.content.issue.pdfbrief import read_pdf
from digest.content.issue.policy import fetch_policy
from digest.core.configfile import load_config
from digest.core.errors import ExtractionError
from digest.core.models import CuratedLink
from digest.ingest.fetch import Fetcher

SAMPLE_PAPER = (ROOT / "assets/sample-documents/d1.awsstatic.com/whitepapers/"
                "serverless-architectures-with-aws-lambda.pdf").read_bytes()
BOX = (1264, 1680)
DIAGRAM = (b'<svg xmlns="http://www.w3.org/2000/svg" width="900" height="400">'
           b'<rect width="900" height="400" fill="white"/><rect x="50" y="50" width="300" height="200" fill="black"/>'
           b'<rect x="500" y="100" width="300" height="200" fill="gray"/></svg>')
README = """# A reference architecture

An opening paragraph that says what this architecture is for and why a team would build it this way.

![The architecture: two boxes joined by a queue](docs/diagram.svg)

1. A request arrives at the front door.
2. A worker takes it from the queue.
"""


def pdf(pages: int = 1, *, title: str = "A Paper", password: str = "") -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    writer.add_metadata({"/Title": title, "/Author": "A. Writer"})
    if password:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def scanned_pdf() -> bytes:
    """A page that is one picture of text, without a text layer (as a scanner makes them)."""
    buffer = io.BytesIO()
    Image.new("L", (850, 1100), 230).save(buffer, "PDF", resolution=100)
    return buffer.getvalue()


def bomb_pdf() -> bytes:
    """A page whose content stream inflates to 400 MB of nothing."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=612, height=792)
    stream = StreamObject()
    packer = zlib.compressobj(1)
    chunk = b" " * 10_000_000
    stream._data = b"".join(packer.compress(chunk) for _ in range(40)) + packer.flush()
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    page[NameObject("/Contents")] = writer._add_object(stream)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def looping_pdf() -> bytes:
    """A page tree whose node lists itself among its kids: an endless walk for a naive reader."""
    body = pdf(2)
    reader = PdfReader(io.BytesIO(body))
    writer = PdfWriter(clone_from=reader)
    pages = writer._root_object["/Pages"]
    kids = pages["/Kids"]
    kids.append(pages.indirect_reference)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("paper.docx", "not a pdf")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def server():
    with LoopbackServer() as running:
        yield running


def publication(root, server=None, **links):
    """A publication with one (empty) feed, fetching from ``server``, with ``[links]`` options."""
    (root / "feed.xml").write_text("<rss version='2.0'><channel><title>t</title></channel></rss>")
    fetch = {"retries": 0, "timeout": 5, "allow_private_hosts": [server.host]} if server else {}
    return load_config(write_publication(root, sources=[{"name": "Feed", "url": "feed.xml", "section": "main"}],
                                         fetch=fetch, links=links))


@pytest.fixture
def read(server, tmp_path):
    """Read ``links`` (kind, path) from the loopback server into pages, as a build does."""

    def run(*links: tuple[str, str]):
        config = publication(tmp_path, server)
        wanted = [CuratedLink(kind, f"Link {index}", server.url(path)) for index, (kind, path) in enumerate(links)]
        with Fetcher(fetch_policy(config)) as fetcher:
            return link_pages(config, wanted, fetcher)

    return run


def serve(server, path: str, body: bytes, content_type: str = "application/pdf") -> None:
    server.routes[path] = Reply(200, body, {"Content-Type": content_type})


def test_the_sample_whitepaper_gets_abstract_contents_and_its_diagram_page():
    paper = read_pdf(SAMPLE_PAPER, box=BOX, max_pages=400, source="sample")
    assert paper.page_count == 8 and paper.authors == ("Ana Example", "Ben Sample")
    assert paper.date == "November 2017"
    # The cover, the notices and the table of contents are skipped: the abstract is the paper's own.
    assert paper.abstract[0].startswith("Serverless applications let a team ship features")
    assert not any("warranty" in p or "...." in p for p in paper.abstract)
    assert paper.contents == ("Abstract", "1 Introduction", "2 Compute with functions", "3 Best practices",
                              "4 Conclusion")
    assert paper.figure_page == 5 and paper.figure_caption.startswith("Figure 1")
    with Image.open(io.BytesIO(paper.figure_png)) as figure:
        assert figure.mode == "L" and max(figure.size) >= 1600  # grey, drawn to fill the e-ink box


def test_without_an_outline_the_numbered_headings_are_the_contents():
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(SAMPLE_PAPER)))
    del writer._root_object["/Outlines"]
    buffer = io.BytesIO()
    writer.write(buffer)
    paper = read_pdf(buffer.getvalue(), box=BOX, max_pages=400, source="sample")
    assert paper.contents[:2] == ("1 Introduction", "2 Compute with functions")


def test_a_whitepaper_link_becomes_a_brief_with_its_figure(server, read):
    serve(server, "/paper.pdf", SAMPLE_PAPER)
    pages = read(("whitepaper", "/paper.pdf"))
    brief = pages.links[0].brief
    assert brief is not None and brief.page_count == 8 and brief.paragraphs and brief.figure_key
    assert pages.images[brief.figure_key].media_type in ("image/png", "image/jpeg")
    assert brief.figure_alt.startswith("Figure 1")
    assert pages.problems == ()


@pytest.mark.parametrize("path, body, expected", [
    ("/missing.pdf", None, "HTTP 404"),
    ("/locked.pdf", pdf(3, password="secret"), "password-protected"),
    ("/archive.pdf", zip_archive(), "not a PDF (a ZIP archive)"),
    ("/loop.pdf", looping_pdf(), "PDF could not be read"),
], ids=["404", "encrypted", "zip", "loop"])
def test_an_unreadable_whitepaper_is_reported_and_stays_a_link(server, read, path, body, expected):
    if body is not None:
        serve(server, path, body)
    pages = read(("whitepaper", path))
    assert pages.links[0].brief is None  # the further-reading page lists it as before
    assert [p.where for p in pages.problems] == [server.url(path)]
    assert expected in pages.problems[0].reason and "kept as a link" in pages.problems[0].reason


@pytest.mark.parametrize("path, body, expected, pages_count", [
    ("/scanned.pdf", scanned_pdf(), "no text layer", 1),
    ("/huge.pdf", pdf(2000, title="Everything"), "2000 pages, over the cap of 400", 2000),
], ids=["scanned", "2000-pages"])
def test_a_paper_without_text_or_too_long_is_described_from_its_metadata(server, read, path, body, expected,
                                                                         pages_count):
    serve(server, path, body)
    pages = read(("whitepaper", path))
    brief = pages.links[0].brief
    assert brief is not None and brief.metadata_only and brief.page_count == pages_count
    assert brief.paragraphs == () and brief.contents == ()
    assert [(p.where, expected in p.reason) for p in pages.problems] == [(server.url(path), True)]


def test_a_decompression_bomb_costs_at_most_its_brief(server, read):
    """pypdf's own output limit and the child's memory cap hold: metadata at best, and a report line."""
    serve(server, "/bomb.pdf", bomb_pdf())
    pages = read(("whitepaper", "/bomb.pdf"))
    brief = pages.links[0].brief
    assert brief is None or (brief.metadata_only and not brief.figure_key)
    assert [p.where for p in pages.problems] == [server.url("/bomb.pdf")]


def test_a_pdf_over_the_size_cap_is_not_downloaded(server, tmp_path):
    serve(server, "/big.pdf", SAMPLE_PAPER + b" " * 2_000_000)
    config = publication(tmp_path, server, max_pdf_mb=1)
    with Fetcher(fetch_policy(config)) as fetcher:
        pages = link_pages(config, [CuratedLink("whitepaper", "Big", server.url("/big.pdf"))], fetcher)
    assert pages.links[0].brief is None
    assert "kept as a link" in pages.problems[0].reason


def test_read_pdf_refuses_what_is_not_a_pdf():
    with pytest.raises(ExtractionError, match="an HTML page"):
        read_pdf(b"<!DOCTYPE html><html><body>Landing page</body></html>", box=BOX, max_pages=10, source="x")


def test_a_repository_readme_gives_paragraphs_steps_and_the_diagram_from_snapshots(read, tmp_path):
    """The README is read raw from raw.githubusercontent.com (here its snapshot), the diagram beside it."""
    snapshots = tmp_path / "snapshots"
    repo = snapshots / "raw.githubusercontent.com/owner/arch/HEAD"
    (repo / "docs").mkdir(parents=True)
    (repo / "README.md").write_text(README, encoding="utf-8")
    (repo / "docs/diagram.svg").write_bytes(DIAGRAM)
    config = publication(tmp_path, snapshots="snapshots")
    link = CuratedLink("reference-architecture", "Arch", "https://github.com/owner/arch")
    pages = link_pages(config, [link], None)  # offline: snapshots only
    brief = pages.links[0].brief
    assert brief is not None and brief.paragraphs[0].startswith("An opening paragraph")
    assert brief.steps == ("A request arrives at the front door.", "A worker takes it from the queue.")
    assert brief.figure_alt == "The architecture: two boxes joined by a queue"
    image = pages.images[brief.figure_key]
    # 900x400 is wider than tall: turned a quarter it fills the portrait screen better.
    assert brief.figure_turned and image.height > image.width
    assert pages.problems == ()


@pytest.mark.parametrize("readme, diagram, expected", [
    ("# Tool\n\nA repository whose README describes the tool in words only, with no picture at all.\n", None,
     "README shows no image"),
    (README, DIAGRAM.replace(b"</svg>", b'<script>alert(1)</script><rect onclick="steal()" width="1" '
                                        b'height="1"/></svg>'), "carries scripts"),
    (README, b"<svg xmlns='http://www.w3.org/2000/svg'><rect", "figure dropped"),
], ids=["no-image", "svg-with-scripts", "broken-svg"])
def test_a_readme_without_a_usable_diagram_is_reported(tmp_path, readme, diagram, expected):
    repo = tmp_path / "snapshots/raw.githubusercontent.com/owner/arch/HEAD"
    (repo / "docs").mkdir(parents=True)
    (repo / "README.md").write_text(readme, encoding="utf-8")
    if diagram is not None:
        (repo / "docs/diagram.svg").write_bytes(diagram)
    config = publication(tmp_path, snapshots="snapshots")
    pages = link_pages(config, [CuratedLink("reference-architecture", "Arch", "https://github.com/owner/arch")], None)
    brief = pages.links[0].brief
    assert brief is not None and brief.paragraphs  # the page is made with what there is
    assert any(expected in p.reason for p in pages.problems), pages.problems
    assert bool(brief.figure_key) == (expected == "carries scripts")  # a script-free drawing is still drawn


def test_a_snapshot_path_cannot_leave_its_folder(tmp_path):
    from digest.ingest.linkdocs import snapshot_path

    assert snapshot_path(str(tmp_path), "https://example.org/../../etc/passwd") is None
    assert snapshot_path(str(tmp_path), "https://example.org/a/b.pdf") == (tmp_path / "example.org/a/b.pdf").resolve()
