"""A lost record rebuilt from the published issues, so that no article is ever carried twice.

Each month folder's ``manifest.json`` lists the articles its issue carried (by URL). Every
build (and ``digest record rebuild``) takes back those of the months the record does not
know, so the next issue leaves them out as the lost record would have. Entries seen in the
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
    """Record what each published month the record does not know carried, from its manifest;
    the number of such months (none, unless the record was lost or started elsewhere)."""
    known = {row["issue_month"] for row in record.query("SELECT DISTINCT issue_month FROM published_articles")}
    missing = published_issues(config, unread=known)
    for issue in missing:
        # Curated links too: a link source must not bring back what an issue already carried.
        replace_published(record, issue.month, [(canonical_url(a.url), a.url, a.title)
                                                for a in issue.articles if a.url]
                          + [(canonical_url(url), url, title) for _, title, url in issue.curated])
    if missing:
        log.warning("%s: the record did not know what %d published issues carried (%s); taken back from their "
                    "manifests", config.store.path, len(missing), ", ".join(sorted(str(i.month) for i in missing)))
    return len(missing)
