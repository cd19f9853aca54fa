"""The generated cover and the Kindle periodical masthead: the whole title, always inside the image."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageOps

from digest.content.images.cover import MASTHEAD_SIZE, draw_cover, draw_masthead, fit_text, masthead_layout

WORDS = ("Architecture", "Monthly", "Cloud", "Digest", "of", "the", "Serverless", "Review", "AWS", "Data",
         "Engineering", "Quarterly", "and", "Kindle", "Notes")


def title_of(length: int, offset: int) -> str:
    """A plausible title of exactly ``length`` characters, built from real words."""
    words, index = [], offset
    while len(" ".join(words)) < length:
        words.append(WORDS[index % len(WORDS)])
        index += 1
    return " ".join(words)[:length].rstrip() or "Title"


@pytest.mark.parametrize("length", range(5, 61, 5))
@pytest.mark.parametrize("offset", [0, 4, 9])
def test_masthead_keeps_the_whole_title_inside_the_image(length, offset):
    title = title_of(length, offset)
    image = Image.open(io.BytesIO(draw_masthead(title))).convert("L")
    assert image.size == MASTHEAD_SIZE
    left, top, right, bottom = ImageOps.invert(image).getbbox()
    # Ink touching an edge means the title was cut there.
    assert left > 0 and top > 0 and right < MASTHEAD_SIZE[0] and bottom < MASTHEAD_SIZE[1], (title, image.getbbox())
    font, lines = masthead_layout(title)
    assert " ".join(lines) == " ".join(title.split()), "words were dropped"
    assert font.size >= 12, f"{title!r} shrunk to {font.size} px"


def test_short_title_is_drawn_large_on_one_line():
    font, lines = masthead_layout("Architecture Monthly")
    assert lines == ["Architecture Monthly"] and font.size >= 40


@pytest.mark.parametrize("length", [5, 20, 35, 60])
@pytest.mark.parametrize("subtitle", ["", "The best architecture writing of the month, chosen and edited for e-ink readers"])
def test_cover_title_is_whole_and_stays_above_the_month_line(length, subtitle):
    title = title_of(length, 3)
    cover = draw_cover(title, subtitle, "January 2018", "Vol. 1 · No. 1", ["A headline"], "Publisher")
    image = Image.open(io.BytesIO(cover.data)).convert("L")
    # The band just above the month line (drawn at y 780) stays plain ink: no title or
    # subtitle text ran into it.
    assert image.crop((0, 745, 1600, 775)).getextrema()[1] < 90, title
    font, lines = fit_text(title, "DejaVuSerif-Bold.ttf", (1380, 500), 190)
    assert " ".join(lines) == " ".join(title.split()) and font.size >= 60
