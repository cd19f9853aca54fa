"""The yearly subscription bundle: every issue of a year in place, in one zip.

Read from the catalog, so it holds exactly what is published; its timestamps come
from the year's last issue month, like the month zips.
"""

from __future__ import annotations

import logging
from pathlib import Path

from digest.core.config import Config
from digest.core.errors import BundleError
from digest.core.zips import write_zip
from digest.publish.bundle import MANIFEST
from digest.publish.catalog import published_issues
from digest.publish.staging import publication_root, write_atomically

log = logging.getLogger(__name__)


def year_bundle_name(config: Config, year: int) -> str:
    """The yearly zip's name, beside the month folders."""
    return f"{config.publication.slug}-{year:04d}.zip"


def write_year_bundle(config: Config, year: int) -> Path:
    """Zip every issue of ``year`` in place (each month's files and manifest) into one file.

    The month zips are left out: the yearly zip already holds their contents.
    """
    issues = sorted((i for i in published_issues(config) if i.month.year == year), key=lambda i: i.month)
    if not issues:
        raise BundleError(f"no issues of {year} in {publication_root(config)}: nothing to bundle")
    root = publication_root(config)
    prefix = f"{config.publication.slug}-{year:04d}"
    members = []
    for issue in issues:
        folder = root / str(issue.month)
        for name in (MANIFEST, *(f.name for f in issue.files)):
            members.append((f"{prefix}/{issue.month}/{name}", folder / name))
    target = root / year_bundle_name(config, year)
    write_atomically(target, lambda out: write_zip(out, members, issues[-1].month.issue_date))
    log.info("wrote %s (%d issues)", target, len(issues))
    return target
