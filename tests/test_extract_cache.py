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


def test_a_rebuild_takes_remembered_articles_without_reading_the_stored_pages(sample_config, tmp_path, monkeypatch):
    from datetime import datetime, timezone

    from loopback import LoopbackServer, Reply

    from digest.content.issue.enrich import full_text
    from digest.core.models import Entry
    from digest.ingest.fetch import Fetcher, FetchPolicy
    from digest.ingest.httpcache import StoreCache

    menu = b"<!DOCTYPE html><html><head><title>Menu</title></head><body><nav>Home | About</nav></body></html>"

    def entry(link: str, title: str) -> Entry:
        return Entry(source="AWS Architecture Blog", section="architecture", guid=link, title=title, link=link,
                     authors=(), published=datetime(2018, 1, 10, tzinfo=timezone.utc), updated=None,
                     summary="", content="<p>A short summary. Read more</p>", categories=(), language="en")

    read: list[str] = []
    lookup = StoreCache.lookup
    monkeypatch.setattr(StoreCache, "lookup", lambda self, url: read.append(url) or lookup(self, url))
    with LoopbackServer() as server, open_cache(tmp_path / "s.sqlite3") as store:
        for path, page in {"/queues": PAGE, "/menu": menu}.items():
            server.routes[path] = Reply(200, page, {"Content-Type": "text/html; charset=utf-8"})
        entries = (entry(server.url("/queues"), "Queues at scale"), entry(server.url("/menu"), "Menu"))

        def run():
            with Fetcher(FetchPolicy(retries=0, allow_private_hosts=(server.host,)), StoreCache(store)) as fetcher:
                return full_text(sample_config, entries, fetcher, ExtractionCache(store))

        first, first_problems = run()
        requests, read[:] = len(server.requests), []
        again, again_problems = run()
    assert again == first and again_problems == first_problems
    assert "steady pace" in again[0].content and "no main content" in again_problems[0].reason
    assert read == [] and len(server.requests) == requests == 2  # neither asked for nor read from the store


def test_a_page_is_extracted_while_a_slower_one_still_downloads(sample_config, tmp_path, monkeypatch):
    import threading
    from datetime import datetime, timezone

    from loopback import LoopbackServer, Reply

    from digest.content.issue import enrich
    from digest.core.models import Entry
    from digest.ingest.fetch import Fetcher, FetchPolicy
    from digest.ingest.httpcache import StoreCache

    extracted, order = threading.Event(), []
    extract = enrich.extract_article
    monkeypatch.setattr(enrich, "extract_article",
                        lambda body, url: order.append(("extracted", url)) or extracted.set() or extract(body, url))

    def slow(handler):
        order.append(("slow page answered", extracted.wait(20)))
        return Reply(200, PAGE.replace(b"a queue absorbs", b"a stream absorbs"), {"Content-Type": "text/html; charset=utf-8"})

    def entry(link: str) -> Entry:
        return Entry(source="AWS Architecture Blog", section="architecture", guid=link, title=link, link=link,
                     authors=(), published=datetime(2018, 1, 10, tzinfo=timezone.utc), updated=None,
                     summary="", content="<p>A short summary. Read more</p>", categories=(), language="en")

    with LoopbackServer() as server, open_cache(tmp_path / "s.sqlite3") as store:
        server.routes["/slow"] = slow
        server.routes["/quick"] = Reply(200, PAGE, {"Content-Type": "text/html; charset=utf-8"})
        entries = (entry(server.url("/slow")), entry(server.url("/quick")))
        with Fetcher(FetchPolicy(retries=0, allow_private_hosts=(server.host,)), StoreCache(store)) as fetcher:
            articles, problems = enrich.full_text(sample_config, entries, fetcher)
    # The slow page answered only once the quick one, listed after it, had been extracted.
    assert order == [("extracted", server.url("/quick")), ("slow page answered", True),
                     ("extracted", server.url("/slow"))]
    assert problems == [] and "a stream absorbs" in articles[0].content and "steady pace" in articles[1].content


def test_a_memos_code_fingerprint_changes_with_a_module_the_code_uses_however_far_down(tmp_path, monkeypatch):
    import sys
    import types

    from digest.core.cache import code_fingerprint

    def module(name: str, source: str, **names) -> types.ModuleType:
        path = tmp_path / f"{name.rpartition('.')[2]}.py"
        path.write_text(source, encoding="utf-8")
        made = types.ModuleType(name)
        made.__file__ = str(path)
        vars(made).update(names)
        monkeypatch.setitem(sys.modules, name, made)
        return made

    def helper():
        return "deepest"

    helper.__module__ = "digest.fp_deepest"
    module("digest.fp_deepest", "LIMIT = 1\n")
    middle = module("digest.fp_middle", "from digest.fp_deepest import helper\n", helper=helper)
    top = module("digest.fp_top", "from digest import fp_middle\n", fp_middle=middle)
    before = code_fingerprint((top,), "1.0")
    assert code_fingerprint((top,), "1.0") == before
    (tmp_path / "fp_deepest.py").write_text("LIMIT = 2\n", encoding="utf-8")  # two imports down
    assert code_fingerprint((top,), "1.0") != before
