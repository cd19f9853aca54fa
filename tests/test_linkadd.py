"""`digest link add`: a page described from the web, appended to an issue file the editor wrote."""

from __future__ import annotations

import io
import tomllib

import pytest
from loopback import LoopbackServer, Reply
from pypdf import PdfWriter

from digest.core.configfile import load_config
from digest.core.errors import ConfigError
from digest.core.month import Month
from digest.editor.linkadd import add_link, guess_kind
from digest.ingest.fetch import Fetcher, FetchPolicy
from digest.ingest.linkmeta import LinkMetadata


def pdf(title: str, pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    writer.add_metadata({"/Title": title, "/Subject": "How to run it well."})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_is_appended_as_a_whitepaper_and_the_file_keeps_every_byte_before_it(project_copy):
    issue = project_copy / "issues" / "2018-01.toml"
    before = issue.read_text(encoding="utf-8")
    config = load_config(project_copy / "digest.toml")
    with LoopbackServer() as server, Fetcher(FetchPolicy(allow_private_hosts=(server.host,))) as fetcher:
        server.routes["/docs/operations"] = Reply(body=pdf("Operating Queues", 3),
                                                  headers={"Content-Type": "application/pdf"})
        added = add_link(config, Month(2018, 1), server.url("/docs/operations"), fetcher)
    after = issue.read_text(encoding="utf-8")
    assert after.startswith(before) and after[len(before):].startswith("\n[[links]]\n")
    assert (added.kind, added.kind_reason) == ("whitepaper", "a PDF")
    link = tomllib.loads(after)["links"][-1]
    assert link == {"kind": "whitepaper", "title": "Operating Queues", "url": server.url("/docs/operations"),
                    "summary": "How to run it well. (PDF, 3 pages)"}
    assert len(tomllib.loads(after)["links"]) == len(tomllib.loads(before)["links"]) + 1


def test_a_page_that_cannot_be_read_is_added_by_its_url_and_the_reason_reported(project_copy):
    config = load_config(project_copy / "digest.toml")
    with LoopbackServer() as server, Fetcher(FetchPolicy(allow_private_hosts=(server.host,))) as fetcher:
        url = server.url("/gone")
        added = add_link(config, Month(2018, 1), url, fetcher, kind="solution")
    assert "404" in added.problem and added.kind_reason == "given"
    link = tomllib.loads((project_copy / "issues" / "2018-01.toml").read_text(encoding="utf-8"))["links"][-1]
    assert link == {"kind": "solution", "url": url}


def test_a_month_without_an_issue_file_says_how_to_start_one(project_copy):
    config = load_config(project_copy / "digest.toml")
    with Fetcher() as fetcher, pytest.raises(ConfigError, match="run `digest new-issue --month 2030-05` first"):
        add_link(config, Month(2030, 5), "https://example.org/x", fetcher)


@pytest.mark.parametrize(("url", "hint", "kind"), [
    ("https://github.com/awslabs/aws-serverless-express", None, "sample-code"),
    ("https://example.org/paper.PDF", None, "whitepaper"),
    ("https://example.org/learn/intro", "Course", "training"),
    ("https://example.org/reference-architecture/retail", None, "reference-architecture"),
    ("https://example.org/solutions/streaming", None, "solution"),
    ("https://example.org/blog/post", "article", "industry-trend"),
])
def test_kind_guesses(url, hint, kind):
    assert guess_kind(url, LinkMetadata(kind_hint=hint))[0] == kind
