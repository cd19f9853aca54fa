"""The issue's cover (1600x2560, 1:1.6) and the Kindle periodical masthead, drawn with Pillow."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from digest.core.errors import ConfigError
from digest.core.models import Cover
from digest.core.theme import FONTS

COVER_SIZE = (1600, 2560)
MASTHEAD_SIZE = (600, 100)
INK, PAPER, ACCENT = (20, 20, 20), (255, 255, 255), (90, 90, 90)
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
    y = 170
    title_font = _fit_font("DejaVuSerif-Bold.ttf", title, width - 2 * margin, 190)
    for line in _wrap(title, title_font, width - 2 * margin):
        draw.text((margin, y), line, font=title_font, fill=PAPER)
        y += int(title_font.size * 1.15)
    if subtitle:
        font = _font("DejaVuSans.ttf", 54)
        for line in _wrap(subtitle, font, width - 2 * margin):
            y += 10
            draw.text((margin, y), line, font=font, fill=(225, 225, 225))
            y += 64
    font = _font("DejaVuSans-Bold.ttf", 64)
    draw.text((margin, 780), month_label.upper(), font=font, fill=PAPER)
    small = _font("DejaVuSans.ttf", 48)
    draw.text((width - margin, 792), issue_line, font=small, fill=(225, 225, 225), anchor="ra")

    y = 1040
    draw.text((margin, y), "IN THIS ISSUE", font=_font("DejaVuSans-Bold.ttf", 52), fill=ACCENT)
    y += 110
    headline_font = _font("DejaVuSerif-Bold.ttf", 76)
    for headline in headlines:
        lines = _wrap(headline, headline_font, width - 2 * margin)
        if y + len(lines) * 92 > height - 300:
            break
        for line in lines:
            draw.text((margin, y), line, font=headline_font, fill=INK)
            y += 92
        y += 36
        draw.line((margin, y - 20, margin + 240, y - 20), fill=ACCENT, width=4)
        y += 20
    draw.line((margin, height - 200, width - margin, height - 200), fill=INK, width=3)
    draw.text((margin, height - 160), publisher, font=_font("DejaVuSans.ttf", 48), fill=INK)
    return _as_jpeg(image)


def draw_masthead(title: str) -> bytes:
    """A 600x100 GIF with the title: Kindle shows it above a periodical's article lists."""
    image = Image.new("L", MASTHEAD_SIZE, 255)
    draw = ImageDraw.Draw(image)
    title = title[:MAX_COVER_CHARS]
    font = _fit_font("DejaVuSerif-Bold.ttf", title, MASTHEAD_SIZE[0] - 20, 64)
    draw.text((MASTHEAD_SIZE[0] // 2, MASTHEAD_SIZE[1] // 2), title, font=font, fill=0, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, "GIF")
    return buffer.getvalue()


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


def _as_jpeg(image: Image.Image) -> Cover:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88, optimize=True)
    return Cover(buffer.getvalue(), "image/jpeg", *image.size)


def _fit_font(name: str, text: str, width: int, size: int) -> ImageFont.FreeTypeFont:
    """The largest size up to ``size`` at which the longest word of ``text`` fits ``width``."""
    longest = max(text[:MAX_COVER_CHARS].split() or [text[:MAX_COVER_CHARS]], key=len)
    font = _font(name, size)
    while size > 24 and font.getlength(longest) > width:
        size -= 6
        font = _font(name, size)
    return font


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
