"""`digest link add`: describe a page from the web and append it to the issue file's curated links.

The file is edited with tomlkit, so the editor's comments, order and layout stay as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import tomlkit
from tomlkit.exceptions import TOMLKitError

from digest.core.config import Config
from digest.core.errors import ConfigError, SourceError
from digest.core.month import Month
from digest.core.suggest import did_you_mean
from digest.core.tomltext import USER_TEXT_ENCODING
from digest.core.urls import canonical_url
from digest.core.vocabulary import LINK_KINDS
from digest.ingest.fetch import Fetcher
from digest.ingest.linkmeta import LinkMetadata, page_metadata
from digest.ingest.wire import url_problem

CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org")
# Words in a URL's path, or a page's og:type / JSON-LD @type, that name a kind.
_KIND_WORDS = (
    ("whitepaper", "whitepaper"), ("reference-architecture", "reference-architecture"),
    ("course", "training"), ("training", "training"), ("certification", "training"),
    ("solution", "solution"), ("implementation-guide", "solution"),
)
DEFAULT_KIND = "industry-trend"


@dataclass(frozen=True)
class AddedLink:
    path: Path
    """The issue file that now carries the link."""
    kind: str
    kind_reason: str
    """Why this kind: given, or what the guess rests on."""
    title: str
    summary: str
    image_url: str
    problem: str = ""
    """Why the page could not be described (the link is added all the same; the build retries)."""


def add_link(config: Config, month: Month, url: str, fetcher: Fetcher, kind: str | None = None) -> AddedLink:
    """Fetch ``url``'s title, summary and image, guess its kind unless given, and append it."""
    if kind is not None and kind not in LINK_KINDS:
        raise ConfigError(f"--kind: unknown kind {kind!r}{did_you_mean(kind, LINK_KINDS)}"
                          f" (expected one of: {', '.join(LINK_KINDS)})")
    if problem := url_problem(url):
        raise ConfigError(f"{url!r}: {problem}")
    path = config.output.issues_dir / f"{month}.toml"
    document = _read(path, month)
    links = document.get("links", [])
    if any(canonical_url(str(link.get("url", ""))) == canonical_url(url) for link in links):
        raise ConfigError(f"{path}: already has a link to {url}")

    meta, problem = LinkMetadata(), ""
    try:
        response = fetcher.get(url)
        meta = page_metadata(response.body, response.content_type, response.final_url)
    except SourceError as exc:
        problem = exc.reason  # said once, in the command's report
    chosen, reason = (kind, "given") if kind else guess_kind(url, meta)

    table = tomlkit.table()
    table.trivia.indent = "\n"  # a blank line before its [[links]] header, as an editor writes it
    table.add("kind", chosen)
    if meta.title:
        table.add("title", meta.title)
    table.add("url", url)
    if meta.description:
        summary = meta.description + (f" (PDF, {meta.page_count} pages)" if meta.page_count else "")
        table.add("summary", summary)
    if meta.image_url:
        table.add("image", meta.image_url)
    if "links" in document:
        document["links"].append(table)
    else:
        array = tomlkit.aot()
        array.append(table)
        document.append("links", array)
    path.write_text(tomlkit.dumps(document), encoding="utf-8")
    return AddedLink(path, chosen, reason, meta.title or "", str(table.get("summary", "")),
                     meta.image_url or "", problem)


def guess_kind(url: str, meta: LinkMetadata) -> tuple[str, str]:
    """The likely kind of a curated link, and what the guess rests on."""
    parts = urlsplit(url)
    if meta.kind_hint == "pdf" or parts.path.lower().endswith(".pdf"):
        return "whitepaper", "a PDF"
    host = (parts.hostname or "").lower()
    if host in CODE_HOSTS or host.endswith(tuple(f".{h}" for h in CODE_HOSTS)):
        return "sample-code", f"hosted on {host}"
    hint = (meta.kind_hint or "").lower()
    for word, kind in _KIND_WORDS:
        if word in hint:
            return kind, f"the page says it is a {meta.kind_hint}"
        if word in parts.path.lower():
            return kind, f"{word!r} in the URL"
    return DEFAULT_KIND, "nothing better to go on; give --kind to change it"


def _read(path: Path, month: Month) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(path.read_text(encoding=USER_TEXT_ENCODING))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no issue file for {month}: "
                          f"run `digest new-issue --month {month}` first") from None
    except (OSError, UnicodeDecodeError, TOMLKitError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
