"""A rebuild takes sanitized bodies from the cache: the same fragment, the same questions to the
image resolver, and no sanitizing."""

from __future__ import annotations

import pytest

from digest.content.text import cleanmemo
from digest.content.text.cleanmemo import CleanBodies
from digest.content.text.sanitize import clean_html
from digest.core.stores import open_cache

BODY = ('<h2 id="top">Queues</h2><p>A queue <b>absorbs</b> bursts.<img src="/a.png" alt="A burst"></p>'
        '<script>alert(1)</script><p><a href="#top">Up</a><img src="https://cdn.example.org/b.gif" alt=""></p>')
BASE = "https://blog.example.org/posts/queues"


def resolver(answers: dict[str, str | None], asked: list[str]):
    def resolve(url: str) -> str | None:
        asked.append(url)
        return answers.get(url)
    return resolve


def test_a_sanitized_body_comes_back_the_same_without_sanitizing(tmp_path, monkeypatch):
    answers = {"https://blog.example.org/a.png": "images/a.png", "https://cdn.example.org/b.gif": "images/b.gif"}
    direct_asked: list[str] = []
    direct = clean_html(BODY, base_url=BASE, id_prefix="a01", resolve_image=resolver(answers, direct_asked))
    with open_cache(tmp_path / "cache.sqlite3") as cache:
        first = CleanBodies(cache).clean(BODY, base_url=BASE, id_prefix="a01", resolve_image=resolver(answers, []))
        monkeypatch.setattr(cleanmemo, "clean_html", lambda *a, **k: pytest.fail("sanitized again"))
        asked: list[str] = []
        again = CleanBodies(cache).clean(BODY, base_url=BASE, id_prefix="a01", resolve_image=resolver(answers, asked))
    assert first == again == direct and 'src="images/a.png"' in again.xhtml and "alert" not in again.xhtml
    assert asked == direct_asked == ["https://blog.example.org/a.png", "https://cdn.example.org/b.gif"]


def test_other_answers_or_another_prefix_sanitize_again(tmp_path):
    answers = {"https://blog.example.org/a.png": "images/a.png"}
    with open_cache(tmp_path / "cache.sqlite3") as cache:
        bodies = CleanBodies(cache)
        bodies.clean(BODY, base_url=BASE, id_prefix="a01", resolve_image=resolver(answers, []))
        missing = bodies.clean(BODY, base_url=BASE, id_prefix="a01", resolve_image=resolver({}, []))
        moved = bodies.clean(BODY, base_url=BASE, id_prefix="a02", resolve_image=resolver(answers, []))
    assert missing == clean_html(BODY, base_url=BASE, id_prefix="a01", resolve_image=resolver({}, []))
    assert "[Image: A burst]" in missing.xhtml
    assert moved == clean_html(BODY, base_url=BASE, id_prefix="a02", resolve_image=resolver(answers, []))
    assert 'id="a02' in moved.xhtml


def test_a_bodys_text_size_comes_back_without_parsing(tmp_path, monkeypatch):
    from digest.content.text import textmemo
    from digest.content.text.textmemo import StoredTextSizes, text_size

    direct = text_size(BODY)
    assert direct.words == len("Queues A queue absorbs bursts. Up".split())  # the script's words do not count
    with open_cache(tmp_path / "cache.sqlite3") as cache:
        first = StoredTextSizes(cache).size(BODY)
        monkeypatch.setattr(textmemo, "html_text", lambda html: pytest.fail("parsed again"))
        again = StoredTextSizes(cache).size(BODY)
        other = BODY.replace("bursts", "bursts and spikes")
        with pytest.raises(pytest.fail.Exception, match="parsed again"):
            StoredTextSizes(cache).size(other)  # another body is measured, not taken for this one
    assert first == again == direct and direct.utf8_bytes == len("Queues A queue absorbs bursts. Up")
