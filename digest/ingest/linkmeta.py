"""What a curated link says about itself: title, description and image of a page, or a PDF's metadata.

Pages are read in order of how deliberately they were written for sharing:
OpenGraph, then Twitter cards, then JSON-LD, then plain <meta>/<title>. Odd pages
give what they have; only a body that is neither HTML nor PDF is an error.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from digest.core.errors import ExtractionError
from digest.core.external import child_failure, limit_memory, run_python
from digest.core.urls import absolute_url

log = logging.getLogger(__name__)

PDF_SECONDS = 20
"""Time limit for reading one PDF link's metadata, process start included."""
PDF_MEMORY = 1_500_000_000
"""Address-space limit (bytes) of the process that reads it."""

HTML_START = re.compile(rb"^(\xef\xbb\xbf)?\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*"
                        rb"<(!doctype\s+html|html|head|body|title|meta|link|p|div)\b", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class LinkMetadata:
    title: str | None = None
    description: str | None = None
    image_url: str | None = None
    site_name: str | None = None
    kind_hint: str | None = None
    """og:type or the JSON-LD @type of an HTML page (e.g. "article", "Course"); "pdf" for a PDF."""
    page_count: int | None = None
    """PDFs only."""
    author: str | None = None


def page_metadata(body: bytes, content_type: str, url: str) -> LinkMetadata:
    """Describe the page or PDF at ``url`` from its fetched ``body``."""
    if b"%PDF-" in body[:1024]:  # the PDF spec allows junk before the header
        return _pdf_metadata(body, url)
    if "html" in content_type.lower() or HTML_START.match(body[:4096]):
        return _html_metadata(body, url)
    raise ExtractionError(url, f"neither HTML nor PDF ({content_type or 'no content type'})")


def _html_metadata(body: bytes, url: str) -> LinkMetadata:
    from bs4 import BeautifulSoup  # imported here: a build without curated links never needs it

    soup = BeautifulSoup(body, "lxml")
    base = soup.find("base", href=True)
    base_url = absolute_url(url, str(base["href"])) if base else url
    meta: dict[str, str] = {}
    for tag in soup.find_all("meta", content=True):
        key = str(tag.get("property") or tag.get("name") or "").strip().lower()
        meta.setdefault(key, _clean(str(tag["content"])))
    linked = soup.find("link", rel="image_src", href=True)
    title_tag = soup.find("title")
    ld = _json_ld(soup)
    image = (meta.get("og:image") or meta.get("og:image:url") or meta.get("og:image:secure_url")
             or meta.get("twitter:image") or meta.get("twitter:image:src")
             or (str(linked["href"]) if linked else None) or ld.get("image"))
    return LinkMetadata(
        title=meta.get("og:title") or meta.get("twitter:title") or ld.get("headline") or ld.get("name")
        or (_clean(title_tag.get_text()) if title_tag else None) or None,
        description=meta.get("og:description") or meta.get("twitter:description") or meta.get("description")
        or ld.get("description") or None,
        image_url=absolute_url(base_url, image) if image else None,
        site_name=meta.get("og:site_name") or ld.get("site_name") or meta.get("application-name") or None,
        kind_hint=meta.get("og:type") or ld.get("type") or None,
        author=meta.get("author") or meta.get("article:author") or ld.get("author") or None,
    )


def _json_ld(soup) -> dict[str, str]:
    """Simple string fields of the page's main JSON-LD object; broken or exotic JSON-LD is ignored."""
    found: dict[str, str] = {}
    for script in soup.find_all("script", type="application/ld+json"):
        try:
            data = json.loads(script.string or "")
        except ValueError:
            continue
        objects = data if isinstance(data, list) else data.get("@graph", [data]) if isinstance(data, dict) else []
        for obj in (o for o in objects if isinstance(o, dict)):
            kind = obj.get("@type")
            kind = kind[0] if isinstance(kind, list) and kind else kind
            if kind == "WebSite":
                found.setdefault("site_name", _text(obj.get("name")))
                continue
            for field in ("headline", "name", "description"):
                found.setdefault(field, _text(obj.get(field)))
            found.setdefault("image", _text(obj.get("image")))
            found.setdefault("author", _text(obj.get("author")))
            found.setdefault("site_name", _text(obj.get("publisher")))
            found.setdefault("type", _text(kind))
    return {key: value for key, value in found.items() if value}


def _text(value) -> str:
    """A JSON-LD value as one string: a string, the first of a list, or an object's name/url."""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        value = value.get("name") or value.get("url") or ""
    return _clean(value) if isinstance(value, str) else ""


def _pdf_metadata(body: bytes, url: str) -> LinkMetadata:
    """Read in a child process with a time and an address-space limit, as the whitepaper briefs
    are (digest.content.issue.pdfbrief): a PDF is a program for its parser, pypdf has had loops
    and bombs in its changelog, and a feed can link any PDF. What cannot be read in time is only
    a PDF without metadata: the link keeps its own title."""
    hint = LinkMetadata(kind_hint="pdf")
    with tempfile.TemporaryDirectory(prefix="digest-linkpdf-") as work:
        pdf = Path(work) / "link.pdf"
        pdf.write_bytes(body)
        try:
            done = run_python(__name__, str(pdf), str(PDF_MEMORY), timeout=PDF_SECONDS)
        except subprocess.TimeoutExpired:
            log.info("%s: PDF metadata not read: longer than %s s", url, PDF_SECONDS)
            return hint
    try:
        found = json.loads(done.stdout) if done.returncode == 0 else None
    except ValueError:
        found = None
    if not isinstance(found, dict):
        log.info("%s: PDF metadata not read: %s", url, child_failure(done))
        return hint
    if found.get("error"):
        log.info("%s: PDF partly unreadable: %s", url, found["error"])
    return LinkMetadata(title=found.get("title"), description=found.get("subject"), kind_hint="pdf",
                        page_count=found.get("pages"), author=found.get("author"))


def _read_pdf(path: str, memory: int) -> dict:
    """The child's work, in at most ``memory`` bytes of address space: what a PDF's document
    information and page tree say; what was read before an error is kept, with the error."""
    limit_memory(memory)
    from pypdf import PdfReader

    found: dict = {}
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            reader.decrypt("")
        info = reader.metadata
        if info is not None:
            for key in ("title", "author", "subject"):
                found[key] = _pdf_text(info, f"/{key.title()}")
        found["pages"] = _page_count(reader)
    except Exception as error:  # pypdf raises many kinds on damaged files; keep what was read
        found["error"] = str(error) or type(error).__name__
    return {key: value for key, value in found.items() if value}


def _page_count(reader) -> int | None:
    """The count the page tree's root declares. pypdf's ``len(reader.pages)`` walks the whole tree
    and holds every page: a 10 MB PDF of 100,000 pages took 6.2 s and 340 MB, one at the fetch cap
    twice that. The count is only shown ("PDF, 12 pages"), so the declared one will do."""
    count = reader.trailer["/Root"]["/Pages"].get("/Count")
    count = count.get_object() if count is not None else None
    return int(count) if isinstance(count, int) and count > 0 else None


def _pdf_text(info, key: str) -> str | None:
    """A document information field when it is a text string. A damaged or hostile PDF may put a
    stream, a dictionary or a number there, which pypdf hands back as it is (a stream's str() is
    "{'/Filter': '/FlateDecode'}", which became the link's title)."""
    value = info.get(key)
    value = value.get_object() if value is not None else None
    return _clean(value) or None if isinstance(value, str) else None


def _clean(text: str) -> str:
    return " ".join(text.split())


if __name__ == "__main__":
    print(json.dumps(_read_pdf(sys.argv[1], int(sys.argv[2]))))
