"""A lost record rebuilt from the published issues, so that no article is ever carried twice.

Each month folder's ``manifest.json`` lists the articles its issue carried (by URL). A
record started afresh, or one rebuilt by hand with ``digest record rebuild``, takes them
back, so the next issue leaves them out as the lost record would have. Entries seen in the
feeds are not in any manifest: those of a past month no feed shows any more are gone with it.
"""

from __future__ import annotations

import logging

from digest.core.config import Config
from digest.core.store import Store
from digest.core.urls import canonical_url
from digest.ingest.archive import replace_published
from digest.publish.catalog import published_issues

log = logging.getLogger(__name__)


def restore_record(config: Config, record: Store) -> int:
    """Record what every published month carried, from its manifest; the number of months."""
    issues = published_issues(config)
    for issue in issues:
        replace_published(record, issue.month, [(canonical_url(a.url), a.url, a.title)
                                                for a in issue.articles if a.url])
    if issues:
        log.warning("%s: the record was missing; what %d published issues carried was taken back from "
                    "their manifests", config.store.path, len(issues))
    return len(issues)
