"""The issue's cover (1600x2560, 1:1.6) and the Kindle periodical masthead, drawn with Pillow."""

from __future__ import annotations

import io
import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from digest.core.errors import ConfigError
from digest.core.models import Cover
from digest.core.theme import FONTS

COVER_SIZE = (1600, 2560)
MASTHEAD_SIZE = (600, 100)
THUMBNAIL_SIZE = (200, 320)
MASTHEAD_MARGIN = 8
INK, PAPER, ACCENT = (20, 20, 20), (255, 255, 255), (90, 90, 90)
_PROBE = ImageDraw.Draw(Image.new("L", (1, 1)))
MAX_COVER_CHARS = 400
"""More text than this never fits three lines of the cover: the rest is not even measured."""


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / name), size)


def draw_cover(title: str, subtitle: str, month_label: str, issue_line: str,
               headlines: list[str], publisher: str) -> Cover:
    width, height = COVER_SIZE
    image = Image.new("RGB", COVER_SIZE, PAPER)
    draw = ImageDraw.Draw(image)
    margin = 110

    draw.rectangle((0, 0, width, 900), fill=INK)
    text_width = width - 2 * margin
    subtitle_font = _font("DejaVuSans.ttf", 54)
    subtitle_lines = _wrap(subtitle, subtitle_font, text_width)[:3] if subtitle else []
    # The title takes what the subtitle leaves above the month line (y 780), whole.
    subtitle_height = 30 + 74 * len(subtitle_lines) if subtitle_lines else 0
    title_box = (text_width, 780 - 40 - 170 - subtitle_height)
    title_font, title_lines = fit_text(title, "DejaVuSerif-Bold.ttf", title_box, 190)
    draw.multiline_text((margin, 170), "\n".join(title_lines), font=title_font, fill=PAPER,
                        spacing=_line_gap(title_font))
    y = 170 + _block_size(title_lines, title_font)[1] + 20
    for line in subtitle_lines:
        y += 10
        draw.text((margin, y), line, font=subtitle_font, fill=(225, 225, 225))
        y += 64
    font = _font("DejaVuSans-Bold.ttf", 64)
    draw.text((margin, 780), month_label.upper(), font=font, fill=PAPER)
    small = _font("DejaVuSans.ttf", 48)
    draw.text((width - margin, 792), issue_line, font=small, fill=(225, 225, 225), anchor="ra")

    y = 1040
    draw.text((margin, y), "IN THIS ISSUE", font=_font("DejaVuSans-Bold.ttf", 52), fill=ACCENT)
    y += 110
    headline_font = _font("DejaVuSerif-Bold.ttf", 76)
    shown = []
    for headline in headlines:
        lines = _wrap(headline, headline_font, width - 2 * margin)
        if y + len(lines[:3]) * 92 > height - 300:
            break
        shown.append(" ".join(lines[:3]))
        for line in lines[:3]:
            draw.text((margin, y), line, font=headline_font, fill=INK)
            y += 92
        y += 36
        draw.line((margin, y - 20, margin + 240, y - 20), fill=ACCENT, width=4)
        y += 20
    draw.line((margin, height - 200, width - margin, height - 200), fill=INK, width=3)
    draw.text((margin, height - 160), publisher, font=_font("DejaVuSans.ttf", 48), fill=INK)
    said = [title, subtitle, f"{month_label}, {issue_line}", "In this issue: " + "; ".join(shown) if shown else "",
            publisher]
    return _as_jpeg(image, ". ".join(part.rstrip(".") for part in said if part) + ".")


def draw_masthead(title: str) -> bytes:
    """A 600x100 GIF with the title: Kindle shows it above a periodical's article lists."""
    image = Image.new("L", MASTHEAD_SIZE, 255)
    draw = ImageDraw.Draw(image)
    font, lines = masthead_layout(title)
    draw.multiline_text((MASTHEAD_SIZE[0] // 2, MASTHEAD_SIZE[1] // 2), "\n".join(lines), font=font, fill=0,
                        anchor="mm", align="center", spacing=_line_gap(font))
    buffer = io.BytesIO()
    image.save(buffer, "GIF")
    return buffer.getvalue()


def masthead_layout(title: str) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The masthead's font and lines: the whole title, as large as fits with a margin (a title
    sized by its longest word loses its ends: "chitecture Month")."""
    return fit_text(title, "DejaVuSerif-Bold.ttf",
                    (MASTHEAD_SIZE[0] - 2 * MASTHEAD_MARGIN, MASTHEAD_SIZE[1] - 2 * MASTHEAD_MARGIN), 64)


def fit_text(text: str, font_name: str, box: tuple[int, int], largest: int,
             max_lines: int = 3) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest font (``largest`` px down to 10) at which all of ``text``, wrapped on up to
    ``max_lines`` lines, fits ``box`` (width, height); the smallest size if nothing fits."""
    for size in range(largest, 9, -2):
        font = _font(font_name, size)
        lines = _wrap(text, font, box[0], max_lines + 1)
        if len(lines) > max_lines:
            continue
        width, height = _block_size(lines, font)
        if width <= box[0] and height <= box[1]:
            return font, lines
    return font, _wrap(text, font, box[0], max_lines)  # still too long: cut, with an ellipsis


def _block_size(lines: list[str], font: ImageFont.FreeTypeFont) -> tuple[int, int]:
    """How far the ink of ``lines`` reaches right and down from where they are drawn."""
    _, _, right, bottom = _PROBE.multiline_textbbox((0, 0), "\n".join(lines), font=font, spacing=_line_gap(font))
    return math.ceil(right), math.ceil(bottom)


def _line_gap(font: ImageFont.FreeTypeFont) -> int:
    return max(2, int(font.size * 0.15))


def load_cover(path: Path) -> Cover:
    """The editor's own cover image, fitted to 1600x2560 and stored as JPEG."""
    try:
        with Image.open(path) as source:
            source.seek(0)
            image = ImageOps.exif_transpose(source.convert("RGBA"))
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise ConfigError(f"{path}: cover is not a readable image: {exc}") from None
    flattened = Image.new("RGB", image.size, PAPER)
    flattened.paste(image, mask=image.getchannel("A"))
    return _as_jpeg(ImageOps.fit(flattened, COVER_SIZE, Image.Resampling.LANCZOS))


def _as_jpeg(image: Image.Image, description: str = "") -> Cover:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88, optimize=True)
    return Cover(buffer.getvalue(), "image/jpeg", *image.size, _thumbnail(buffer.getvalue()), description)


def _thumbnail(cover: bytes) -> bytes:
    with Image.open(io.BytesIO(cover)) as image:
        small = image.convert("RGB")
        small.thumbnail(THUMBNAIL_SIZE, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, max_lines: int = 3) -> list[str]:
    """At most ``max_lines`` lines of ``text`` that fit ``width``, the last one ellipsized when cut.

    A word wider than a line is broken: drawn whole, a title of 40,000 letters would ask
    Pillow for a text mask so large that it stops as a decompression bomb.
    """
    words = text[:MAX_COVER_CHARS].split()
    lines: list[str] = []
    for word in words:
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
            continue
        while font.getlength(word) > width:
            cut = _fitting_prefix(word, font, width)
            lines.append(word[:cut])
            word = word[cut:]
        lines.append(word)
    if len(lines) > max_lines or len(text) > MAX_COVER_CHARS:
        lines = lines[:max_lines]
        last = lines[-1] if lines else ""
        while last and font.getlength(last + "…") > width:
            last = last[:-1]
        lines[-1:] = [last.rstrip() + "…"]
    return lines


def _fitting_prefix(word: str, font: ImageFont.FreeTypeFont, width: int) -> int:
    """How many leading characters of ``word`` fit ``width`` (at least one)."""
    low, high = 1, len(word)
    while low < high:
        middle = (low + high + 1) // 2
        if font.getlength(word[:middle]) <= width:
            low = middle
        else:
            high = middle - 1
    return low
