"""Sanitized bodies remembered in the cache, so a rebuild does not sanitize unchanged articles.

A build sanitizes each body twice: once to learn which images it shows (enrich), once to
write it with their hrefs in the book (assemble); on the real pages that was 1.9 s of a
3.5 s rebuild. The result depends on the HTML, its base URL, the id prefix and what each
image resolved to, and on the sanitizer's own code (its modules are in the key, as in
digest.content.text.extractcache). So the cache keeps, per body and base URL, the image URLs the
sanitizer asks for, in order; and per those plus the prefix and the answers, the fragment.
Asking the resolver the same questions in the same order is what the sanitizer would do
(each ``<img>`` asks once, whatever earlier ones were told), so its side effects are the same.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import cache

from digest import __version__
from digest.content.text import sanitize
from digest.content.text.sanitize import Fragment, ImageResolver, clean_html
from digest.core.cache import Cache, code_fingerprint, memo_key

# clean_html's signature: (html, *, base_url, id_prefix, resolve_image) -> Fragment.
Cleaner = Callable[..., Fragment]


class CleanBodies:
    """A ``clean=`` for enrich and assemble_issue: clean_html remembered in the cache."""

    def __init__(self, cache: Cache):
        self.cache = cache

    def clean(self, html: str, *, base_url: str, id_prefix: str,
              resolve_image: ImageResolver = lambda url: None) -> Fragment:
        body = _body_key(html, base_url)
        remembered = self.cache.recall("clean-asks", body)
        if remembered is not None:
            answers = [resolve_image(url) for url in json.loads(remembered)]
            fragment = self.cache.recall("clean", _fragment_key(body, id_prefix, answers))
            if fragment is not None:
                return Fragment(**json.loads(fragment))
        calls: list[tuple[str, str | None]] = []

        def recording(url: str) -> str | None:
            calls.append((url, resolve_image(url)))
            return calls[-1][1]

        cleaned = clean_html(html, base_url=base_url, id_prefix=id_prefix, resolve_image=recording)
        self.cache.remember("clean-asks", body, json.dumps([url for url, _ in calls]))
        self.cache.remember("clean", _fragment_key(body, id_prefix, [answer for _, answer in calls]),
                            json.dumps({"xhtml": cleaned.xhtml, "text": cleaned.text}))
        return cleaned


def _body_key(html: str, base_url: str) -> str:
    return memo_key([hashlib.sha256(html.encode("utf-8")).hexdigest(), base_url, sanitizer_fingerprint()])


def _fragment_key(body: str, id_prefix: str, answers: list[str | None]) -> str:
    return memo_key([body, id_prefix, answers])


@cache
def sanitizer_fingerprint() -> str:
    """A hash of the sanitizer's code (sanitize and every digest module it uses) and digest's
    version, for memos of what it makes."""
    return code_fingerprint((sanitize,), __version__)
