"""What a whitepaper PDF says about itself: metadata, abstract, contents and its best figure.

pypdf reads the metadata, the outline and the text layer; PDFium (``pypdfium2``) draws the
figure page. PDFs are attacker-chosen programs for a parser (loops in the object graph,
decompression bombs, thousands of pages), so both run in a child process with a time and
an address-space limit, as SVG drawing does: a hostile file costs at most its brief, and
its link stays on the further-reading page. The choice of PDFium and its figures are in
docs/whitepapers.md.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from digest.core.errors import ExtractionError
from digest.core.external import child_failure, limit_memory, run_python

READ_SECONDS = 30
"""Time limit for reading one PDF and drawing its figure, process start included."""
READ_MEMORY = 1_500_000_000
"""Address-space limit (bytes) of the reading process."""
SCAN_PAGES = 40
"""Pages searched for the abstract, headings and the figure: a brief needs only the front of a paper."""
ABSTRACT_WORDS = (60, 220)
"""The abstract: paragraphs until at least the first number of words, shortened past the second."""
CONTENTS_ITEMS = 24
MIN_TEXT_WORDS = 40
"""Fewer words on the pages scanned: no text layer (a scanned document)."""

LEGAL = re.compile(r"(?i)\b(notices?|copyright|all rights reserved|trademarks?|disclaimer|"
                   r"without warranty|as is|licen[cs]e[ds]?)\b|©")
LEADER_LINE = re.compile(r"(\.{3,}|\s)\s*\d{1,4}\s*$")
NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)\.?\s+([A-Z][^.!?]{2,80})$")
FRONT_HEADINGS = re.compile(r"(?i)^\s*(table of )?contents\s*$")
ABSTRACT_HEADING = re.compile(r"(?i)^\s*(abstract|summary|executive summary|overview|introduction)\s*$")
FIGURE_CAPTION = re.compile(r"^\s*(figure|fig\.)\s*\d+", re.I)
DRAWING_OPERATOR = re.compile(rb"(?<![A-Za-z])(re|l|c|v|y)(?=[\s\[])")


@dataclass(frozen=True)
class PdfReading:
    title: str = ""
    authors: tuple[str, ...] = ()
    date: str = ""
    page_count: int = 0
    abstract: tuple[str, ...] = ()
    contents: tuple[str, ...] = ()
    figure_page: int = 0
    """1-based page drawn as the figure; 0 for none."""
    figure_png: bytes = b""
    figure_size: tuple[int, int] = (0, 0)
    figure_caption: str = ""
    """The figure page's "Figure N: ..." line, for its text alternative."""
    notes: tuple[str, ...] = field(default=())
    """Why the brief is thinner than it could be (no text layer, over the page cap...)."""
    metadata_only: bool = False


def read_pdf(data: bytes, *, box: tuple[int, int], max_pages: int, source: str = "") -> PdfReading:
    """Read ``data`` in a child process; raise ExtractionError, naming ``source``, when nothing can be read."""
    if b"%PDF-" not in data[:1024]:
        raise ExtractionError(source, f"not a PDF ({_what_it_is(data)})")
    with tempfile.TemporaryDirectory(prefix="digest-pdf-") as work:
        pdf, out = Path(work) / "paper.pdf", Path(work) / "out"
        pdf.write_bytes(data)
        out.mkdir()
        try:
            done = run_python(__name__, str(pdf), str(out), str(max_pages), str(box[0]), str(box[1]),
                              timeout=READ_SECONDS)
        except subprocess.TimeoutExpired:
            raise ExtractionError(source, f"PDF took longer than {READ_SECONDS} s to read") from None
        found = out / "brief.json"
        if done.returncode != 0 or not found.is_file():
            raise ExtractionError(source, f"PDF could not be read: {child_failure(done)}")
        brief = json.loads(found.read_text(encoding="utf-8"))
        figure = out / "figure.png"
        png = figure.read_bytes() if figure.is_file() else b""
    if brief.get("encrypted"):
        raise ExtractionError(source, "PDF is password-protected")
    return PdfReading(title=brief["title"], authors=tuple(brief["authors"]), date=brief["date"],
                      page_count=brief["pages"], abstract=tuple(brief["abstract"]),
                      contents=tuple(brief["contents"]), figure_page=brief["figure_page"] if png else 0,
                      figure_png=png, figure_size=tuple(brief["figure_size"]),
                      figure_caption=brief.get("figure_caption", ""), notes=tuple(brief["notes"]),
                      metadata_only=brief["metadata_only"])


def _what_it_is(data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        return "a ZIP archive"
    if data[:512].lstrip().lower().startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    return f"starts with {data[:8]!r}"


# The child process ---------------------------------------------------------------------------

def _analyse(pdf_path: str, out_dir: str, max_pages: int, box: tuple[int, int]) -> None:
    limit_memory(READ_MEMORY)
    from pypdf import PdfReader

    out = Path(out_dir)
    reader = PdfReader(pdf_path)
    if reader.is_encrypted and not reader.decrypt(""):
        (out / "brief.json").write_text(json.dumps({"encrypted": True}), encoding="utf-8")
        return
    info: dict = dict(reader.metadata or {})
    title, author = (_clean(info.get(key)) for key in ("/Title", "/Author"))
    brief: dict = {"title": title, "authors": _people(author), "date": _pdf_date(info.get("/CreationDate")),
                   "pages": len(reader.pages), "abstract": [], "contents": [], "figure_page": 0,
                   "figure_size": [0, 0], "notes": [], "metadata_only": False}
    if brief["pages"] > max_pages:
        brief["metadata_only"] = True
        brief["notes"].append(f"{brief['pages']} pages, over the cap of {max_pages}: described from its metadata")
    else:
        scanned = [reader.pages[i] for i in range(min(SCAN_PAGES, brief["pages"]))]
        texts = [page.extract_text() or "" for page in scanned]
        if sum(len(text.split()) for text in texts) < MIN_TEXT_WORDS:
            brief["metadata_only"] = True
            brief["notes"].append("no text layer (a scanned document?): no abstract or contents")
        front = {i for i, text in enumerate(texts) if _front_matter(i, text)}
        brief["abstract"] = _abstract([t for i, t in enumerate(texts) if i not in front])
        brief["contents"] = _outline(reader) or _headings(texts, front)
        figure = _figure_page(scanned, texts, front)
        if figure is not None:
            brief["figure_page"] = figure + 1
            brief["figure_caption"] = next((line.strip() for line in texts[figure].splitlines()
                                            if FIGURE_CAPTION.match(line)), "")
            brief["figure_size"] = _draw(pdf_path, figure, box, out / "figure.png")
    (out / "brief.json").write_text(json.dumps(brief), encoding="utf-8")


def _front_matter(index: int, text: str) -> bool:
    """A cover, a page of legal notices or a table of contents: never the abstract."""
    lines = [line for line in text.splitlines() if line.strip()]
    words = len(text.split())
    if index == 0 and words < 60:
        return True
    leaders = sum(bool(LEADER_LINE.search(line)) for line in lines)
    if lines and FRONT_HEADINGS.match(lines[0]) or leaders > len(lines) / 2:
        return True
    return len(LEGAL.findall(text)) >= 3 and words < 600


def _abstract(texts: list[str]) -> list[str]:
    """The first paragraphs of the first page of text, after an "Abstract" heading if it has one."""
    for text in texts:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        start = next((i + 1 for i, line in enumerate(lines) if ABSTRACT_HEADING.match(line)), 0)
        paragraphs = [p for p in _paragraphs(lines[start:]) if len(p.split()) >= 12]
        chosen: list[str] = []
        for paragraph in paragraphs:
            chosen.append(paragraph)
            if sum(len(p.split()) for p in chosen) >= ABSTRACT_WORDS[0]:
                break
        if chosen:
            return shortened(chosen, ABSTRACT_WORDS[1])
    return []


def _paragraphs(lines: list[str]) -> list[str]:
    """Lines joined into paragraphs: a paragraph ends on a short line that ends a sentence;
    short lines without a full stop are headings, left out."""
    longest = max((len(line) for line in lines), default=0)
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        short = len(line) < 0.8 * longest
        if short and not current and not line.endswith((".", "!", "?", ":")) and len(line.split()) <= 10:
            continue
        current.append(line)
        if short and line.endswith((".", "!", "?")):
            paragraphs.append(_joined(current))
            current = []
    if current:
        paragraphs.append(_joined(current))
    return paragraphs


def _joined(lines: list[str]) -> str:
    text = ""
    for line in lines:
        text = text[:-1] + line if text.endswith("-") else f"{text} {line}".strip()
    return text


def shortened(paragraphs: list[str], limit: int) -> list[str]:
    """The paragraphs up to ``limit`` words, the last one cut with an ellipsis."""
    kept: list[str] = []
    count = 0
    for paragraph in paragraphs:
        words = paragraph.split()
        if count + len(words) > limit:
            kept.append(" ".join(words[:limit - count]) + "…")
            break
        kept.append(paragraph)
        count += len(words)
    return kept


def _outline(reader) -> list[str]:
    """The outline's first two levels, in order."""
    items: list[str] = []

    def walk(nodes, depth: int) -> None:
        for node in nodes:
            if len(items) >= CONTENTS_ITEMS:
                return
            if isinstance(node, list):
                if depth < 1:
                    walk(node, depth + 1)
            elif title := _clean(getattr(node, "title", "")):
                items.append(title if depth == 0 else f"– {title}")

    try:
        walk(reader.outline, 0)
    except Exception:  # pypdf raises many kinds on a damaged outline; the headings are the fallback
        return []
    return items


def _headings(texts: list[str], front: set[int]) -> list[str]:
    found = [f"{m.group(1)} {m.group(2).strip()}" for i, text in enumerate(texts) if i not in front
             for line in text.splitlines() if (m := NUMBERED_HEADING.match(line.strip()))]
    return list(dict.fromkeys(found))[:CONTENTS_ITEMS]


def _figure_page(pages, texts: list[str], front: set[int]) -> int | None:
    """The page that is most a drawing: many path operators or a large image, few words."""
    best, best_score = None, 0
    for index, page in enumerate(pages):
        words = len(texts[index].split())
        if index in front or words > 300:
            continue
        contents = page.get_contents()
        drawn = len(DRAWING_OPERATOR.findall(contents.get_data()[:2_000_000])) if contents is not None else 0
        score = drawn + 200 * _large_images(page)
        if score >= 30 and score > best_score:
            best, best_score = index, score
    return best


def _large_images(page) -> int:
    resources = page.get("/Resources")
    objects = resources.get_object().get("/XObject") if resources is not None else None
    if objects is None:
        return 0
    count = 0
    for reference in objects.get_object().values():
        xobject = reference.get_object()
        area = int(xobject.get("/Width", 0)) * int(xobject.get("/Height", 0))
        count += xobject.get("/Subtype") == "/Image" and area >= 40_000
    return count


def _draw(pdf_path: str, index: int, box: tuple[int, int], picture: Path) -> list[int]:
    """Draw page ``index`` in grey at the scale that fills ``box`` upright or turned a quarter."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf_path)
    try:
        page = document[index]
        width, height = page.get_size()
        scale = max(min(box[0] / width, box[1] / height), min(box[1] / width, box[0] / height))
        image = page.render(scale=scale, grayscale=True).to_pil()
        image.save(picture, format="PNG", optimize=True)
        return [image.width, image.height]
    finally:
        document.close()


def _clean(value) -> str:
    return " ".join(str(value).split()) if value else ""


def _people(author: str) -> list[str]:
    return [name.strip() for name in re.split(r";|,| and ", author) if name.strip()] if author else []


def _pdf_date(value) -> str:
    """A PDF date ("D:20180115...") as "January 2018"."""
    match = re.match(r"^D:(\d{4})(\d{2})", str(value or ""))
    if not match:
        return ""
    try:
        return datetime(int(match.group(1)), int(match.group(2)), 1).strftime("%B %Y")
    except ValueError:
        return ""


if __name__ == "__main__":
    _analyse(sys.argv[1], sys.argv[2], int(sys.argv[3]), (int(sys.argv[4]), int(sys.argv[5])))
