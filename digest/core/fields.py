"""Checks for values that come from outside (feed entries, issue files) before any stage uses them.

Feeds are written by hand, by plugins and by attackers: a title may hold a terminal
escape or a right-to-left override, a "URL" may be a sentence or a ``javascript:``
link, a language may be a list. Each function here returns a value every later stage
can use as it is (plain text, an http(s) URL, a BCP 47 tag) or says there is none.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

# C0 and C1 controls (XML forbids most of them and a terminal obeys them), bidirectional
# embeddings, overrides and isolates (they reorder the text around them: "Trojan Source"),
# the byte-order mark, lone surrogates (unencodable) and the two noncharacters XML forbids.
INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u202a-\u202e\u2066-\u2069"
                       "\ufeff\ud800-\udfff\ufffe\uffff]")
LINE_BREAKS = re.compile("[\t\n\r\u2028\u2029\x85]+")
# RFC 5646 (BCP 47) well-formed tags: language-extlang-script-region-variants-extensions-privateuse,
# a private-use tag, or one of the irregular grandfathered tags still met in feeds.
_LANGTAG = (r"[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8}")
BCP47 = re.compile(
    rf"(?:{_LANGTAG})(?:-[A-Za-z]{{4}})?(?:-(?:[A-Za-z]{{2}}|[0-9]{{3}}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
    r"(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*(?:-x(?:-[A-Za-z0-9]{1,8})+)?"
    r"|x(?:-[A-Za-z0-9]{1,8})+|i-(?:ami|bnn|default|enochian|hak|klingon|lux|mingo|navajo|pwn|tao|tay|tsu)",
    re.IGNORECASE)
# What a config file or `digest init` accepts as a publication or source language: a 2-3 letter
# language with optional subtags ('en', 'pt-BR', 'zh-Hant-TW'); stricter than BCP47 above.
LANG_RE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
TITLE_CHARS = 200
"""Longer titles are shortened where space is counted: contents, navigation, cover, Kindle lists."""
WEB_SCHEMES = ("http", "https")


def visible_text(value: str) -> str:
    """``value`` without control, bidi-override and unencodable characters, line breaks kept."""
    return INVISIBLE.sub("", value)


def one_line_text(value: object) -> str | None:
    """A string field as one line of plain text; numbers are taken as their digits.

    None when ``value`` is of another type (a list, an object, a boolean): the caller
    reports the field and ignores it.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    return " ".join(LINE_BREAKS.sub(" ", visible_text(str(value))).split())


def web_url(value: object, base: str = "") -> str:
    """``value`` resolved against ``base`` if that gives an http(s) URL with a host, else "".

    A relative value against a local file's location gives a ``file:`` URL: no link.
    """
    text = value.strip() if isinstance(value, str) else None
    # A control character (NUL, a tab inside "java\tscript:") makes it no URL at all.
    if not text or any(c.isspace() or ord(c) < 32 or ord(c) == 127 or c in '<>"{}|\\^`' for c in text):
        return ""
    try:
        url = urljoin(base, text) if base else text
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port
    except ValueError:  # an unbalanced IPv6 bracket, a port that is not a number...
        return ""
    return url if parts.scheme.lower() in WEB_SCHEMES and host else ""


def language_tag(value: object) -> str | None:
    """A well-formed BCP 47 tag ('en', 'pt-BR', 'zh-Hant-TW'; 'en_US' read as 'en-US'), else None."""
    if not isinstance(value, str):
        return None
    tag = value.strip().replace("_", "-")
    return tag if BCP47.fullmatch(tag) else None


def short_title(title: str, limit: int = TITLE_CHARS) -> str:
    """``title`` cut at a word before ``limit`` characters, with an ellipsis when cut."""
    if len(title) <= limit:
        return title
    cut = title[:limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-–—") + "…"
