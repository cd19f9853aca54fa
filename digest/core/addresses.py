"""E-mail addresses and header text: the checks shared by the config (sender, title) and the subscriber list."""

from __future__ import annotations

import re
import unicodedata
from email.utils import parseaddr

# Deliberately plain: one @, no spaces or angle brackets, a dotted domain. Stricter
# RFC 5322 forms (quoted local parts, IP literals) never occur as Kindle addresses.
_ADDRESS_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")

KINDLE_DOMAINS = ("kindle.com", "free.kindle.com")


def address_problem(address: str) -> str:
    """Why ``address`` is not a usable bare e-mail address, or '' when it is."""
    if not address:
        return "empty address"
    _, parsed = parseaddr(address)
    if parsed != address or not _ADDRESS_RE.match(address):
        return f"not a valid e-mail address: {address!r}"
    local, _, domain = address.rpartition("@")
    if local.startswith(".") or local.endswith(".") or ".." in local or len(address) > 254:
        return f"not a valid e-mail address: {address!r}"
    if any(label.startswith("-") or label.endswith("-") for label in domain.split(".")):
        return f"not a valid e-mail address: {address!r}"
    return ""


def header_text_problem(text: str) -> str:
    """Why ``text`` cannot go into a mail header (a display name, a subject), or '' when it can.

    A CR or LF would start a new header (or make the mail library refuse the message at
    send time); other control characters have no business in a name either.
    """
    bad = sorted({char for char in text if unicodedata.category(char) in ("Cc", "Zl", "Zp")})
    if bad:
        return f"control characters are not allowed ({', '.join(repr(char) for char in bad)})"
    return ""


def is_kindle_address(address: str) -> bool:
    return address.rpartition("@")[2].lower() in KINDLE_DOMAINS
