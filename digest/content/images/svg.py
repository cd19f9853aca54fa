"""SVG diagrams drawn as PNG for the book, safely.

Architecture posts live on their diagrams, and Kindle shows no SVG. resvg (``resvg-py``)
draws the picture, but only after the document has been parsed without entities, DTDs or
network and stripped of everything that could run or reach out: scripts, foreign objects,
event handlers and every reference that is not inside the drawing (other files, URLs).
The renderer sees only the bundled fonts, so the pixels are the same on every machine,
and it runs in a child process with a time and memory limit: a hostile drawing costs at
most a dropped image, never a hung or exhausted build.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from lxml import etree
from PIL import Image

from digest.core.errors import ImageError
from digest.core.external import child_failure, limit_memory, run_python
from digest.core.theme import FONTS
from digest.core.vocabulary import MB, size_text

MAX_SVG_BYTES = 2 * MB
"""Larger SVG files are refused unread (a diagram is rarely over a few hundred KB)."""
MAX_ELEMENTS = 50_000
"""More elements than this is not a diagram but an attempt to exhaust the renderer."""
DRAW_SECONDS = 20
"""Time limit for drawing one SVG, process start included."""
DRAW_MEMORY = 1_500_000_000
"""Address-space limit (bytes) of the drawing process."""

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
UNSAFE_ELEMENTS = {"script", "foreignObject", "iframe", "audio", "video", "handler", "listener"}
INTERNAL_REF = re.compile(r"^\s*(#|data:image/(png|jpeg|gif|webp);)", re.I)
CSS_IMPORT = re.compile(r"@import[^;]*;?", re.I)
CSS_EXTERNAL_URL = re.compile(r"url\(\s*(?!['\"]?\s*#)[^)]*\)", re.I)
UNITS = {"": 1.0, "px": 1.0, "pt": 4 / 3, "pc": 16.0, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0,
         "em": 16.0, "ex": 8.0}
LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-z]*)\s*$", re.I)
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                         remove_comments=True, remove_pis=True)


def rasterise_svg(data: bytes, box: tuple[int, int], *, source: str = "") -> bytes:
    """A PNG of the SVG ``data``, scaled to fit ``box`` (width, height), on white.

    Raises ImageError, naming ``source``, when the SVG is too large, malformed, takes too
    long or cannot be drawn.
    """
    if len(data) > MAX_SVG_BYTES:
        raise ImageError(source, f"SVG is {size_text(len(data))}, over the {size_text(MAX_SVG_BYTES)} cap")
    root = _parse(data, source)
    _make_safe(root)
    width, height = intrinsic_size(root)
    zoom = min(box[0] / width, box[1] / height)
    with tempfile.TemporaryDirectory(prefix="digest-svg-") as work:
        drawing, picture = Path(work) / "drawing.svg", Path(work) / "drawing.png"
        drawing.write_bytes(etree.tostring(root, encoding="utf-8"))
        try:
            done = run_python(__name__, str(drawing), str(picture), repr(zoom), timeout=DRAW_SECONDS)
        except subprocess.TimeoutExpired:
            raise ImageError(source, f"SVG took longer than {DRAW_SECONDS} s to draw") from None
        if done.returncode != 0 or not picture.is_file():
            raise ImageError(source, f"SVG could not be drawn: {child_failure(done)}")
        png = picture.read_bytes()
    with Image.open(io.BytesIO(png)) as drawn:
        low, high = drawn.convert("L").getextrema()
    if low == high:
        raise ImageError(source, "SVG draws nothing visible (its content was empty or unsafe)")
    return png


def _parse(data: bytes, source: str) -> etree._Element:
    try:
        root = etree.fromstring(data, PARSER)
    except etree.XMLSyntaxError as exc:
        raise ImageError(source, f"malformed SVG: {exc}") from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise ImageError(source, "not an SVG document (root element is not svg in the SVG namespace)")
    if sum(1 for _ in root.iter()) > MAX_ELEMENTS:
        raise ImageError(source, f"SVG has more than {MAX_ELEMENTS} elements")
    return root


def _make_safe(root: etree._Element) -> None:
    """Drop what could run or load anything from outside the drawing, in place."""
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue  # an unresolved entity reference
        name = etree.QName(element).localname
        if name in UNSAFE_ELEMENTS:
            element.getparent().remove(element)
            continue
        for attribute in list(element.attrib):
            local = etree.QName(attribute).localname
            value = element.attrib[attribute]
            if local.lower().startswith("on"):
                del element.attrib[attribute]
            elif local == "href" and not INTERNAL_REF.match(value):
                del element.attrib[attribute]
            elif local == "style" or "url(" in value:
                element.attrib[attribute] = CSS_EXTERNAL_URL.sub("none", value)
        if name == "style" and element.text:
            element.text = CSS_EXTERNAL_URL.sub("none", CSS_IMPORT.sub("", element.text))


def intrinsic_size(root: etree._Element) -> tuple[float, float]:
    """The drawing's size in CSS pixels: its width and height, else its viewBox, else 100x100
    (what resvg assumes)."""
    view = _view_box(root.get("viewBox", ""))
    width, height = _length(root.get("width")), _length(root.get("height"))
    if view:
        width = width or (height * view[0] / view[1] if height else view[0])
        height = height or width * view[1] / view[0]
    return (width or 100.0, height or 100.0)


def _view_box(value: str) -> tuple[float, float] | None:
    try:
        numbers = [float(part) for part in re.split(r"[\s,]+", value.strip())]
    except ValueError:
        return None
    return (numbers[2], numbers[3]) if len(numbers) == 4 and numbers[2] > 0 and numbers[3] > 0 else None


def _length(value: str | None) -> float | None:
    match = LENGTH.match(value or "")
    if not match or match.group(2).lower() not in UNITS:
        return None  # missing, a percentage or an unknown unit: the viewBox decides
    length = float(match.group(1)) * UNITS[match.group(2).lower()]
    return length if length > 0 else None


def _draw(drawing: str, picture: str, zoom: float) -> None:
    """The child process: draw with the bundled fonts only, on white, within the memory limit."""
    import resvg_py

    limit_memory(DRAW_MEMORY)
    fonts = sorted(str(path) for path in FONTS.glob("*.ttf"))
    png = resvg_py.svg_to_bytes(svg_path=drawing, zoom=zoom, background="white", skip_system_fonts=True,
                                font_files=fonts, font_family="DejaVu Sans", serif_family="DejaVu Serif",
                                sans_serif_family="DejaVu Sans", monospace_family="DejaVu Sans",
                                resources_dir=str(Path(drawing).parent))
    Path(picture).write_bytes(bytes(png))


if __name__ == "__main__":
    _draw(sys.argv[1], sys.argv[2], float(sys.argv[3]))
