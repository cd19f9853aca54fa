"""A rebuild finds each fitted image by the hash of its stored original, without reading the original;
an original whose stored bytes changed, or that failed, is processed again."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from datetime import datetime, timezone

import pytest
from loopback import LoopbackServer, Reply
from PIL import Image

from digest.content.images import cache as imagecache
from digest.content.images.cache import ImageCache
from digest.content.images.fit import ImageProfile
from digest.content.issue.enrich import enrich
from digest.core.models import Entry
from digest.core.stores import open_cache
from digest.ingest.fetch import Fetcher, FetchPolicy, Response, StoredBody
from digest.ingest.httpcache import StoreCache


def encoded(image: Image.Image, image_format: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format)
    return buffer.getvalue()


PHOTO = encoded(Image.linear_gradient("L").convert("RGB").resize((900, 600)), "JPEG")
DIAGRAM = encoded(Image.new("RGB", (500, 300), (230, 240, 255)), "PNG")
PIXEL = encoded(Image.new("RGB", (1, 1)), "GIF")


def post(urls: list[str]) -> Entry:
    words = " ".join(["A paragraph of an ordinary article about images."] * 20)
    body = f"<p>{words}</p>" + "".join(f'<p><img src="{url}" alt="picture {i}"/></p>' for i, url in enumerate(urls))
    return Entry(source="AWS Architecture Blog", section="architecture", guid="post", title="Post", link="",
                 authors=("A. Writer",), published=datetime(2018, 1, 10, tzinfo=timezone.utc), updated=None,
                 summary="", content=body, categories=(), language="en")


@pytest.fixture
def served():
    with LoopbackServer() as server:
        for path, data in {"/photo.jpg": PHOTO, "/diagram.png": DIAGRAM, "/pixel.gif": PIXEL}.items():
            server.routes[path] = Reply(200, data, {"Content-Type": "image/" + path.rsplit(".", 1)[1]})
        yield server


@pytest.fixture
def watched(monkeypatch):
    """The URLs whose stored bodies were read, and the sources handed to process_image."""
    seen: dict[str, list[str]] = {"read": [], "processed": []}
    lookup, process = StoreCache.lookup, imagecache.process_image

    def reading(self, url):
        seen["read"].append(url)
        return lookup(self, url)

    def processing(data, profile, *, source=""):
        seen["processed"].append(source)
        return process(data, profile, source=source)

    monkeypatch.setattr(StoreCache, "lookup", reading)
    monkeypatch.setattr(imagecache, "process_image", processing)
    return seen


def run(config, store, server, urls):
    with Fetcher(FetchPolicy(retries=0, allow_private_hosts=(server.host,)), StoreCache(store)) as fetcher:
        cache = ImageCache(store)
        return enrich(config, (post(urls),), fetcher, fitted=cache)


def test_a_rebuild_neither_reads_nor_processes_an_image_it_fitted_before(sample_config, tmp_path, served, watched):
    urls = [served.url(path) for path in ("/photo.jpg", "/diagram.png", "/pixel.gif")]
    with open_cache(tmp_path / "s.sqlite3") as store:
        first = run(sample_config, store, served, urls)
        processed_first, requests_first = list(watched["processed"]), len(served.requests)
        watched["read"].clear()
        watched["processed"].clear()
        again = run(sample_config, store, served, urls)
    assert set(first.images) == set(urls[:2]) and again.images == first.images
    assert again.problems == first.problems and "tracking pixel" in first.problems[0].reason
    assert sorted(processed_first) == sorted(urls) and requests_first == 3
    assert watched["read"] == [urls[2]] and watched["processed"] == [urls[2]]  # only the failed one, as before
    assert len(served.requests) == requests_first


def test_an_original_stored_anew_is_processed_again(sample_config, tmp_path, served, watched):
    urls = [served.url(path) for path in ("/photo.jpg", "/diagram.png")]
    with open_cache(tmp_path / "s.sqlite3") as store:
        first = run(sample_config, store, served, urls)
        redrawn = encoded(Image.new("RGB", (500, 300), (255, 220, 200)), "PNG")
        StoreCache(store).save(Response(urls[1], urls[1], 200, redrawn, {"content-type": "image/png"}))
        watched["processed"].clear()
        again = run(sample_config, store, served, urls)
    assert watched["processed"] == [urls[1]]
    assert again.images[urls[0]] == first.images[urls[0]]
    assert again.images[urls[1]] != first.images[urls[1]] and again.images[urls[1]].original_bytes == len(redrawn)


def test_a_body_stored_before_its_hash_was_kept_is_hashed_when_next_read(tmp_path):
    body = b"\x89PNG old bytes"
    with open_cache(tmp_path / "s.sqlite3") as store:
        store.store.execute("INSERT INTO http_cache (url, final_url, status, headers, body, fetched_at) "
                      "VALUES ('https://example.org/a.png', 'https://example.org/a.png', 200, '{}', ?, 'then')", (body,))
        cache = StoreCache(store)
        before = cache.digest("https://example.org/a.png")
        assert cache.lookup("https://example.org/a.png").body == body
        after = cache.digest("https://example.org/a.png")
        fetcher = Fetcher(FetchPolicy(), cache)
        small = fetcher.stored("https://example.org/a.png", max_bytes=len(body) - 1)
        fetcher.close()
    assert before is None
    assert after == StoredBody(hashlib.sha256(body).hexdigest(), len(body), 'https://example.org/a.png')
    assert small is None  # get() would not serve a copy over max_bytes from the store either



def test_a_rebuild_over_budget_starts_down_the_ladder_where_the_same_images_settled(sample_config, tmp_path, served,
                                                                                    monkeypatch):
    tight = dataclasses.replace(sample_config, images=dataclasses.replace(sample_config.images, budget_mb=0.001))
    urls = [served.url(path) for path in ("/photo.jpg", "/diagram.png")]
    asked: list[ImageProfile] = []
    remembered = ImageCache.remembered
    monkeypatch.setattr(ImageCache, "remembered",
                        lambda self, sha256, size, profile: asked.append(profile) or remembered(self, sha256, size,
                                                                                                  profile))
    with open_cache(tmp_path / "s.sqlite3") as store:
        first = run(tight, store, served, urls)
        steps_first = list(dict.fromkeys(asked))
        asked.clear()
        again = run(tight, store, served, urls)
    assert len(steps_first) > 5 and "over the 0.001 MB budget" in first.problems[-1].reason  # the whole ladder
    assert set(asked) == {steps_first[-1]}  # a rebuild goes straight to the step it ended at
    assert again.images == first.images and again.problems == first.problems
