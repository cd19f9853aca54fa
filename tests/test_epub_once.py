"""A rebuild whose book files are the same copies the published EPUB instead of zipping it
again, and only while the published file is still the one zipped from them."""

from __future__ import annotations

import dataclasses
import hashlib
import os

from digest.core.cache import memory_cache
from digest.core.models import BookImage
from digest.core.month import Month
from digest.ebook.epub import DraftBook, write_epub
from digest.ebook.memo import epub_once
from digest.pipeline import compose_issue


def test_the_published_epub_is_copied_only_while_it_is_what_the_same_files_zip_to(sample_config, tmp_path,
                                                                                  monkeypatch):
    composed = compose_issue(sample_config, Month.parse("2018-02"))
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + os.urandom(4096))
    issue = dataclasses.replace(composed.issue,
                                images=(*composed.issue.images, BookImage("images/photo.jpg", "image/jpeg", photo)))

    def once(published, target):
        return epub_once(cache, published, issue, composed.pages, composed.theme, target)

    def fresh(name):
        path = tmp_path / name
        write_epub(issue, composed.pages, composed.theme, path)
        return path.read_bytes()

    zipped = []
    write = DraftBook.write
    monkeypatch.setattr(DraftBook, "write", lambda book, target: (zipped.append(target.name), write(book, target)))
    published = tmp_path / "published.epub"
    with memory_cache() as cache:
        sha256 = once(tmp_path / "nothing-yet.epub", published)
        expected = fresh("expected.epub")
        assert published.read_bytes() == expected and sha256 == hashlib.sha256(expected).hexdigest()

        zipped.clear()
        assert once(published, tmp_path / "copied.epub") == sha256
        assert zipped == [] and (tmp_path / "copied.epub").read_bytes() == expected
        # A hard link where it can be: a book written over the copy (a quarantine rewrites the
        # staged book) is a new file, the published one stays as it was.
        write_epub(composed.issue, composed.pages, composed.theme, tmp_path / "copied.epub")
        assert published.read_bytes() == expected and (tmp_path / "copied.epub").read_bytes() != expected
        once(published, tmp_path / "copied.epub")
        zipped.clear()

        published.write_bytes(expected[:-1] + b"\1")  # no longer what was zipped: zipped anew
        assert once(published, tmp_path / "rezipped.epub") == sha256
        assert zipped == ["rezipped.epub"] and (tmp_path / "rezipped.epub").read_bytes() == expected

        photo.write_bytes(photo.read_bytes() + b"\0")  # an image of another size: another book
        zipped.clear()
        changed = once(tmp_path / "copied.epub", tmp_path / "changed.epub")
        assert zipped == ["changed.epub"] and changed != sha256
        assert (tmp_path / "changed.epub").read_bytes() == fresh("changed-expected.epub")
