"""The preview prints each problem once per session, and again only when it changes."""

from __future__ import annotations

import logging

from factory import SAMPLE, write_publication
from loopback import LoopbackServer

from digest.core.month import Month
from digest.preview.watch import PreviewBuild


def with_missing_feed(root, server: LoopbackServer, name: str):
    broken = {"name": "Gone Blog", "url": server.url(f"/{name}.xml"), "section": "architecture"}
    return write_publication(root, sample=True, sources=[*SAMPLE["sources"], broken],
                             fetch={"retries": 0, "allow_private_hosts": [server.host]})


def printed(caplog) -> list[str]:
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    caplog.clear()
    return [line for line in lines if ".xml" in line]


def test_a_save_prints_only_the_problems_not_printed_before(project_copy, caplog):
    caplog.set_level(logging.INFO)
    with LoopbackServer() as server:
        build = PreviewBuild(with_missing_feed(project_copy, server, "gone"), Month(2018, 1))
        try:
            build.rebuild()
            first = printed(caplog)
            assert len(first) == 1 and "gone.xml" in first[0]
            build.rebuild()  # a save that changes nothing: nothing printed again
            assert "1 warning as printed before, not repeated" in caplog.text
            assert printed(caplog) == []
            with_missing_feed(project_copy, server, "moved")  # the problem changed: printed, once
            build.rebuild()
            again = printed(caplog)
            assert len(again) == 1 and "moved.xml" in again[0]
            build.rebuild()
            assert printed(caplog) == []
        finally:
            build.close()  # the served folder goes with it
