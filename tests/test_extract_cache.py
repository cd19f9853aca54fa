"""A rebuild takes extracted articles from the store: the same article, without extracting again."""

from __future__ import annotations

import pytest

from digest.content.text.extract import extract_article
from digest.content.text.extractcache import ExtractionCache
from digest.core.stores import open_cache

PAGE = ("<!DOCTYPE html><html><head><title>Queues at scale</title><meta name='author' content='Grace Hopper'>"
        "<meta property='article:published_time' content='2018-01-10'></head><body><nav>Home</nav><article>"
        "<h1>Queues at scale</h1>" + "".join(f"<p>Paragraph {n}: a queue absorbs burst number {n} so that the "
                                           f"consumer keeps a steady pace of {n * 10} messages.</p>" for n in range(12))
        + "</article><footer>(c) Example</footer></body></html>").encode()


def test_an_extracted_page_is_remembered_and_comes_back_the_same(tmp_path):
    direct = extract_article(PAGE, "https://blog.example.org/queues")
    with open_cache(tmp_path / "s.sqlite3") as store:
        first = ExtractionCache(store).extract(PAGE, "https://blog.example.org/queues")
        stored = store.store.query("SELECT key FROM build_memo WHERE kind = 'extracted'")
        again = ExtractionCache(store).extract(PAGE, "https://blog.example.org/queues")
        elsewhere = ExtractionCache(store).extract(PAGE, "https://mirror.example.net/queues")
        assert len(stored) == 1
        assert len(store.store.query("SELECT key FROM build_memo WHERE kind = 'extracted'")) == 2  # keyed by URL too
    assert first == again == direct
    assert again.authors == direct.authors and "steady pace" in again.html
    assert elsewhere.text_length == direct.text_length


def test_a_page_without_an_article_fails_again_from_the_cache_without_extracting(tmp_path, monkeypatch):
    from digest.content.text import extractcache
    from digest.core.errors import ExtractionError

    empty = b"<!DOCTYPE html><html><head><title>Menu</title></head><body><nav>Home | About</nav></body></html>"
    with pytest.raises(ExtractionError) as direct:
        extract_article(empty, "https://blog.example.org/menu")
    with open_cache(tmp_path / "s.sqlite3") as store:
        with pytest.raises(ExtractionError) as first:
            ExtractionCache(store).extract(empty, "https://blog.example.org/menu")
        monkeypatch.setattr(extractcache, "extract_article", lambda *args: pytest.fail("extracted again"))
        with pytest.raises(ExtractionError) as again:
            ExtractionCache(store).extract(empty, "https://blog.example.org/menu")
    assert str(first.value) == str(again.value) == str(direct.value)
    assert "no main content" in again.value.reason
