"""The publication's static site and catalogs, regenerated from the manifests in place.

Next to the month folders: ``index.html`` (every issue, newest first), one page per
issue (``YYYY-MM.html``), an Atom feed of issues (``feed.atom``), an OPDS 1.2
acquisition catalog (``opds.xml``, one ``opds-YYYY.xml`` per year and the navigation
feed ``opds-years.xml``). HTML links are relative so the site works from ``file://``;
feeds and catalogs carry absolute URLs from ``publication.base_url``.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote, urljoin

import jinja2
from lxml import etree

from digest.core.config import Config
from digest.core.errors import BuildError
from digest.core.theme import DEFAULT_TEMPLATES
from digest.core.vocabulary import MEDIA_TYPES, size_text
from digest.ebook.render import template_environment
from digest.publish.catalog import PublishedIssue, published_issues
from digest.publish.staging import publication_root, write_atomically
from digest.publish.yearbundle import write_year_bundle, year_bundle_name

log = logging.getLogger(__name__)

SITE_TEMPLATES = "site"
STYLESHEET = "site.css"
# Files the site owns that depend on which issues exist; others of that shape are stale.
PER_ITEM_FILE_RE = re.compile(r"^(\d{4}-\d{2}\.html|opds-\d{4}\.xml)$")
OPDS_ACQUISITION = "application/atom+xml;profile=opds-catalog;kind=acquisition"
OPDS_NAVIGATION = "application/atom+xml;profile=opds-catalog;kind=navigation"
FORMAT_LABELS = {"epub": "EPUB", "azw3": "AZW3 (Kindle)", "mobi": "MOBI (older Kindles)"}
EPOCH = "1970-01-01T00:00:00Z"


def publish_site(config: Config) -> tuple[Path, ...]:
    """Regenerate the site and catalogs from what is in place; returns the files that changed."""
    return write_site(config, render_site(config))


def publish_year_bundle(config: Config, year: int) -> Path:
    """Write the yearly subscription bundle, then list it on the site."""
    target = write_year_bundle(config, year)
    publish_site(config)
    return target


def render_site(config: Config, issues: Sequence[PublishedIssue] | None = None,
                code: jinja2.BytecodeCache | None = None) -> dict[str, bytes]:
    """Every site file's bytes, nothing written.

    ``issues`` are listed newest first, as ``published_issues`` returns them; by default
    the ones in place. ``code`` keeps the compiled templates (a build passes its cache's
    TemplateCode, as for the theme).
    """
    pub = config.publication
    root = publication_root(config)
    issues = published_issues(config) if issues is None else tuple(issues)
    years = sorted({i.month.year for i in issues}, reverse=True)
    base = pub.base_url.rstrip("/") + "/" if pub.base_url else ""

    def url(path: str) -> str:
        return urljoin(base, quote(path)) if base else quote(path)

    def feed_id(name: str) -> str:
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, (base or 'digest:') + f'{pub.slug}/{name}')}"

    year_bundles = [(year, year_bundle_name(config, year), (root / year_bundle_name(config, year)).stat().st_size)
                    for year in years if (root / year_bundle_name(config, year)).is_file()]
    env = _environment(config.output.templates_dir, code)
    context = {"publication": pub, "issues": issues, "years": years, "year_bundles": year_bundles,
               "url": url, "feed_id": feed_id, "updated": issues[0].issued if issues else EPOCH,
               "labels": FORMAT_LABELS, "summary": issue_summary, "stylesheet": STYLESHEET, "media_types": MEDIA_TYPES,
               "acquisition": OPDS_ACQUISITION, "navigation": OPDS_NAVIGATION}

    files = {
        "index.html": _render(env, "index.html", context),
        "feed.atom": _render(env, "feed.atom", context, xml=True),
        "opds.xml": _render(env, "opds.xml", context, xml=True, self_name="opds.xml", year=None, listed=issues),
        "opds-years.xml": _render(env, "opds-years.xml", context, xml=True),
        STYLESHEET: _render(env, STYLESHEET, context),
    }
    for index, issue in enumerate(issues):
        files[f"{issue.month}.html"] = _render(
            env, "issue.html", context, issue=issue,
            newer=issues[index - 1] if index > 0 else None,
            older=issues[index + 1] if index + 1 < len(issues) else None)
    for year in years:
        in_year = tuple(i for i in issues if i.month.year == year)
        files[f"opds-{year}.xml"] = _render(env, "opds.xml", context, xml=True, self_name=f"opds-{year}.xml",
                                            year=year, listed=in_year)
    return files


def write_site(config: Config, files: dict[str, bytes]) -> tuple[Path, ...]:
    """Write each file whole (temp file + rename) and drop pages of issues no longer in place."""
    root = publication_root(config)
    root.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, data in files.items():
        path = root / name
        if path.is_file() and path.read_bytes() == data:
            continue
        write_atomically(path, data)
        changed.append(path)
    for stale in sorted(root.iterdir()):
        if PER_ITEM_FILE_RE.match(stale.name) and stale.name not in files:
            stale.unlink()
            changed.append(stale)
    log.info("site: %d files changed in %s", len(changed), root)
    return tuple(changed)


def _environment(user_dir: Path | None, code: jinja2.BytecodeCache | None) -> jinja2.Environment:
    env = template_environment(([user_dir / SITE_TEMPLATES] if user_dir else []) + [DEFAULT_TEMPLATES / SITE_TEMPLATES],
                               code)
    env.filters["filesize"] = size_text
    return env


def _render(env: jinja2.Environment, template: str, context: dict, *, xml: bool = False, **extra) -> bytes:
    try:
        text = env.get_template(template).render(**context, **extra)
    except jinja2.TemplateSyntaxError as exc:
        raise BuildError(f"{exc.filename or exc.name}:{exc.lineno}: template syntax error: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise BuildError(f"site template {template}: {exc}") from None
    data = text.encode("utf-8")
    if xml:
        try:
            etree.fromstring(data)
        except etree.XMLSyntaxError as exc:
            raise BuildError(f"site template {template} produced malformed XML: {exc}") from None
    return data


def issue_summary(issue: PublishedIssue) -> str:
    """One line for feeds: how many articles in which sections."""
    parts = [f"{title} ({len(articles)})" for title, articles in issue.sections]
    count = len(issue.articles)
    return f"Vol. {issue.volume}, No. {issue.number}: {count} article{'s' if count != 1 else ''}" + (
        f" in {', '.join(parts)}" if parts else "")
