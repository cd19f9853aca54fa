"""A book is written and checked a file at a time: its images stream from their own files and
are read back one by one, so a 50 MB issue never sits in memory whole (twice, as it once did)."""

from __future__ import annotations

import dataclasses
import os
import tracemalloc
import zipfile

from digest.core.models import BookImage
from digest.core.month import Month
from digest.ebook.check_rules import kindle_findings, read_book
from digest.ebook.epub import write_epub
from digest.pipeline import compose_issue

IMAGES = 16
IMAGE_BYTES = 2 * 1024 * 1024


def test_the_book_is_written_and_checked_one_image_at_a_time(sample_config, tmp_path):
    composed = compose_issue(sample_config, Month.parse("2018-02"))
    photos = []
    for number in range(IMAGES):
        path = tmp_path / f"photo-{number}.jpg"
        path.write_bytes(b"\xff\xd8\xff" + os.urandom(IMAGE_BYTES - 3))  # JPEG-headed, incompressible
        photos.append(BookImage(f"images/photo-{number}.jpg", "image/jpeg", path))
    issue = dataclasses.replace(composed.issue, images=(*composed.issue.images, *photos))
    book = tmp_path / "book.epub"

    tracemalloc.start()
    try:
        write_epub(issue, composed.pages, composed.theme, book)
        written = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        with read_book(book) as opened:
            kindle_findings(opened)
        checked = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    whole = IMAGES * IMAGE_BYTES
    assert written < whole / 4 and checked < whole / 4, (written, checked)
    with zipfile.ZipFile(book) as archive:
        assert archive.read("EPUB/images/photo-3.jpg") == photos[3].data.read_bytes()
