"""`digest init`: a new publication that builds at once, from the files in ``templates/init/``.

It asks nothing: every choice has a default and a flag. Nothing is overwritten; if any file
it would write exists, it writes none and names them all.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from string import Template
from urllib.parse import urlsplit
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from digest import __version__
from digest.core.config import DEFAULT_CONFIG_NAME
from digest.core.errors import ConfigError
from digest.core.fields import LANG_RE
from digest.core.month import Month
from digest.core.suggest import did_you_mean
from digest.core.theme import theme_dir
from digest.editor.installsource import DISTRIBUTION

WELCOME_FEED = "feeds/welcome.atom"
WORKFLOW = ".github/workflows/publish.yml"
# The project's own workflow runs from a checkout (make, scripts/); a new publication has
# neither, so those lines become their pip and apt-get equivalents.
_WORKFLOW_LINES = {
    "make deps": 'python -m venv .venv && .venv/bin/pip install --quiet '
                 '"${DIGEST_PACKAGE:?set DIGEST_PACKAGE at the top of this workflow'
                 ' (the guide Publishing on a schedule)}"',
    "sudo sh scripts/install-system-deps.sh calibre java":
        "sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends calibre default-jre-headless",
    'run: make publish MONTH="$MONTH" CONFIG="$CONFIG"':
        'run: |\n  .venv/bin/digest build --config "$CONFIG" --month "$MONTH"\n'
        '  .venv/bin/digest bundle --config "$CONFIG" --year "${MONTH%%-*}"',
}


@dataclass(frozen=True)
class NewPublication:
    title: str = "My Digest"
    language: str = "en"
    timezone: str = "UTC"
    feed: str = ""
    """A feed URL or a local feed file; empty writes a sample feed so the first build works."""
    publisher: str = ""
    """Defaults to "The <title> editors"."""
    private_host: str = ""
    """The ``allow_private_hosts`` entry the feed needs (its host is not public); written commented out."""
    package: str = ""
    """What the workflow installs: this digest pinned (``package_source()``); empty asks the user."""


@dataclass(frozen=True)
class Scaffold:
    config_path: Path
    month: Month
    """This month in the publication's time zone: the first issue."""
    issue_path: Path
    written: tuple[Path, ...]
    notes: tuple[str, ...] = ()
    """What the user has to decide: the opt-in for a private feed, where the workflow gets digest."""


def create_publication(directory: Path, options: NewPublication, now: datetime | None = None) -> Scaffold:
    """Write the config, the sample feed, .gitignore and the workflow into ``directory``.

    The month's issue file is only reserved here (checked for, not written): ``digest
    new-issue`` writes it, with the feeds' candidates.
    """
    zone = _zone(options.timezone)
    if not LANG_RE.match(options.language):
        raise ConfigError(f"--language: invalid value {options.language!r} (a BCP 47 tag such as 'en')")
    moment = now.astimezone(zone) if now else datetime.now(zone)
    month = Month(moment.year, moment.month)
    feed_url, feed_name = _feed(directory, options.feed)
    slug = re.sub(r"[^a-z0-9]+", "-", options.title.lower()).strip("-") or "digest"
    values = {
        "name": " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", options.title).split()),
        "title": options.title, "publisher": options.publisher or f"The {options.title} editors",
        "slug": slug, "language": options.language, "timezone": options.timezone,
        "feed_url": feed_url, "feed_name": feed_name, "month": str(month),
        "updated": moment.replace(microsecond=0).isoformat(),
        "feed_id": f"urn:digest:{slug}:welcome", "entry_id": f"urn:digest:{slug}:welcome:{month}",
        "fetch_opt_in": _fetch_opt_in(options.private_host),
    }
    issue_path = directory / "issues" / f"{month}.toml"
    files = {
        directory / DEFAULT_CONFIG_NAME: _fill("digest.toml", values, _toml_string),
        directory / ".gitignore": (theme_dir("init") / "gitignore").read_text(encoding="utf-8"),
        directory / WORKFLOW: workflow_text(options.package),
    }
    if not options.feed:
        files[directory / WELCOME_FEED] = _fill("welcome.atom", values, escape)
    existing = sorted(str(path) for path in (*files, issue_path) if path.exists())
    if existing:
        raise ConfigError(["nothing written: these files exist already (digest init never overwrites):",
                           *existing])
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    issue_path.parent.mkdir(exist_ok=True)
    notes = []
    if options.private_host:
        notes.append(f"{DEFAULT_CONFIG_NAME}: the feed's host is not a public address; digest fetches from it "
                     f"once you uncomment allow_private_hosts = [\"{options.private_host}\"] under [fetch]")
    if not options.package:
        notes.append(f"{WORKFLOW}: set DIGEST_PACKAGE to a pinned digest (git+https://...@COMMIT), "
                     "as the guide \"Publishing on a schedule\" shows")
    return Scaffold(directory / DEFAULT_CONFIG_NAME, month, issue_path, tuple(files), tuple(notes))


def _fetch_opt_in(entry: str) -> str:
    if not entry:
        return '# [fetch]\n# allow_private_hosts = ["intranet.example", "127.0.0.1:8080"]'
    return ("# The feed's host is not public: uncomment these two lines to fetch it.\n"
            f"# [fetch]\n# allow_private_hosts = [{_toml_string(entry)}]")


def workflow_text(package: str = "") -> str:
    """The project's scheduled workflow, adapted to a publication that installs ``package`` with pip."""
    text = (theme_dir("init") / "publish.yml").read_text(encoding="utf-8")
    for old, new in _WORKFLOW_LINES.items():
        if old not in text:
            raise ConfigError(f"templates/init/publish.yml no longer contains {old!r}: update digest.editor.scaffold")
        indent = next(line[:len(line) - len(line.lstrip())] for line in text.splitlines() if old in line)
        text = text.replace(old, new.replace("\n", "\n" + indent))
    return text.replace("env:\n  CONFIG: digest.toml\n",
                        "env:\n  CONFIG: digest.toml\n"
                        f"  # What pip installs: digest {__version__}, pinned to what no one else can change: a\n"
                        "  # commit"
                        f" (\"{DISTRIBUTION} @ git+https://github.com/OWNER/REPO@COMMIT\") or a file and its\n"
                        "  # hash (\"URL#sha256=HASH\"), never a bare name. Empty stops the run\n"
                        "  # (the guide Publishing on a schedule).\n"
                        f"  DIGEST_PACKAGE: {json.dumps(package)}\n", 1)


def _fill(name: str, values: dict[str, str], quote) -> str:
    template = Template((theme_dir("init") / name).read_text(encoding="utf-8"))
    plain = {"name", "month", "slug", "updated", "fetch_opt_in"}  # safe as they are, and used inside comments and ids
    return template.substitute({key: value if key in plain else quote(value) for key, value in values.items()})


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"--timezone: unknown IANA time zone {name!r}"
                          f"{did_you_mean(name, available_timezones())}") from None


def _feed(directory: Path, feed: str) -> tuple[str, str]:
    """The source's url as the config should hold it, and a display name."""
    if not feed:
        return WELCOME_FEED, "Welcome"
    if urlsplit(feed).scheme in ("http", "https"):
        return feed, urlsplit(feed).hostname or feed
    path = Path(feed)
    if not path.is_file():
        raise ConfigError(f"--feed: neither an http(s) URL nor a feed file: {feed}")
    relative = os.path.relpath(path.resolve(), directory.resolve())
    return Path(relative).as_posix(), path.stem
