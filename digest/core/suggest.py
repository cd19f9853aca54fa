"""'Did you mean ...?' for a word that is close to one the program knows (a typo)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_match(word: str, known: Iterable[str]) -> str | None:
    """The known word nearest to ``word``, if one is near enough to be a typo of it."""
    found = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return found[0] if found else None


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` to append to an error message, or nothing."""
    match = close_match(word, known)
    return f" (did you mean {match!r}?)" if match else ""
