"""A stranger's first issue: init -> new-issue -> link add -> build, in an empty folder, offline.

The feed is a local file; the curated link is a page (with its image) on a loopback server.
"""

from __future__ import annotations

import io
import json
import tomllib
from datetime import datetime, timezone
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from PIL import Image

from conftest import NS, ROOT, Epub
from digest.cli import cli
from digest.core.month import Month
from loopback import LoopbackServer, Reply

SCHEMA = json.loads((ROOT / "schemas" / "build-report.schema.json").read_text(encoding="utf-8"))


def atom_feed(entries: list[tuple[str, str, datetime, str]]) -> str:
    """An Atom feed of (title, url, date, language) entries, each long enough to need no full-text fetch."""
    sentence = {"en": "A paragraph about designing systems that keep working. ",
                "de": "Ein Absatz über Systeme, die weiterlaufen. "}
    items = "".join(
        f"<entry><title>{title}</title><id>{url}</id><link href='{url}'/>"
        f"<published>{date.isoformat()}</published><updated>{date.isoformat()}</updated>"
        f"<content type='html' xml:lang='{lang}'>&lt;p&gt;{sentence[lang] * 20}&lt;/p&gt;</content></entry>"
        for title, url, date, lang in entries)
    return ("<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
            "<title>Systems Blog</title><id>urn:systems-blog</id>"
            f"<updated>{datetime(2020, 1, 1, tzinfo=timezone.utc).isoformat()}</updated>{items}</feed>")


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 160)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def run(runner: CliRunner, *args: str, code: int = 0):
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


@pytest.mark.slow  # two whole builds (18 s of CPU)
def test_init_new_issue_link_add_build(runner, tmp_path):
    this_month = Month(datetime.now(timezone.utc).year, datetime.now(timezone.utc).month)
    last_month = this_month.previous()
    start = datetime(last_month.year, last_month.month, 10, 12, tzinfo=timezone.utc)
    (tmp_path / "blog.atom").write_text(atom_feed([
        ("Queues Before Databases", "https://blog.example.org/queues", start, "en"),
        ("Warum Backpressure wichtig ist", "https://blog.example.org/backpressure-de", start, "de"),
        ("Idempotent Handlers", "https://blog.example.org/idempotent",
         datetime(this_month.year, this_month.month, 1, 12, tzinfo=timezone.utc), "en"),
    ]), encoding="utf-8")

    created = run(runner, "init", "pub", "--title", "Systems Monthly", "--feed", "blog.atom").output
    publication = tmp_path / "pub"
    assert f"created {Path('pub') / 'digest.toml'}" in created
    assert f"digest build               # the {this_month.label} issue" in created and "cd pub" in created
    for name in ("digest.toml", ".gitignore", ".github/workflows/publish.yml", f"issues/{this_month}.toml"):
        assert (publication / name).is_file(), name
    assert not (publication / "feeds").exists(), "a given feed replaces the sample one"
    first = tomllib.loads((publication / "issues" / f"{this_month}.toml").read_text(encoding="utf-8"))
    assert (first["number"], first["volume"]) == (1, 1)
    # EPUB only: the flow is the subject here, not calibre.
    config = publication / "digest.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('formats = ["epub", "azw3", "mobi"]',
                                                                 'formats = ["epub"]'), encoding="utf-8")
    runner_in_pub = ("--config", str(config))
    refused = run(runner, "new-issue", *runner_in_pub, "--month", str(this_month), code=2).output
    assert f"{this_month}.toml: exists already" in refused

    drafted = run(runner, "new-issue", *runner_in_pub, "--month", str(last_month)).output
    issue_file = publication / "issues" / f"{last_month}.toml"
    assert "1 article go in, 1 left out by a rule" in drafted
    text = issue_file.read_text(encoding="utf-8")
    assert '# "https://blog.example.org/queues",  # Queues Before Databases (blog;' in text
    assert ('# "https://blog.example.org/backpressure-de",  '
            "# Warum Backpressure wichtig ist (blog; language 'de'") in text
    parsed = tomllib.loads(text)
    assert (parsed["excluded"], parsed["pinned"]) == ([], []), "candidates are comments until uncommented"

    with LoopbackServer() as server:
        server.routes["/training/course-42"] = Reply(body=(
            "<!doctype html><html><head><title>ignored</title>"
            "<meta property='og:title' content='Designing for Failure, a Course'>"
            "<meta property='og:description' content='Six lessons on systems that degrade gracefully.'>"
            "<meta property='og:image' content='/course.png'></head><body><p>hi</p></body></html>").encode(),
            headers={"Content-Type": "text/html; charset=utf-8"})
        server.routes["/course.png"] = Reply(body=png(800, 450), headers={"Content-Type": "image/png"})
        url = server.url("/training/course-42")
        with config.open("a", encoding="utf-8") as toml:  # the loopback page stands in for an intranet host
            toml.write(f'\n[fetch]\nallow_private_hosts = ["{server.host}"]\n')

        added = run(runner, "link", "add", url, *runner_in_pub, "--month", str(last_month)).output
        assert "kind: training ('course' in the URL)" in added
        assert "Designing for Failure, a Course" in added
        text = issue_file.read_text(encoding="utf-8")
        assert text.index("# Every article the feeds offer") < text.index("[[links]]"), "comments kept, link appended"
        link = tomllib.loads(text)["links"][0]
        assert link == {"kind": "training", "title": "Designing for Failure, a Course", "url": url,
                        "summary": "Six lessons on systems that degrade gracefully.",
                        "image": server.url("/course.png")}
        again = run(runner, "link", "add", url, *runner_in_pub, "--month", str(last_month), code=2)
        assert "already has a link" in again.output

        report = json.loads(run(runner, "build", *runner_in_pub, "--month", str(last_month), "--json").output)

    jsonschema.validate(report, SCHEMA)
    assert (report["month"], report["articles"], report["curated_links"]) == (str(last_month), 1, 1)
    assert report["sections"] == [{"id": "articles", "title": "Articles", "articles": 1}]
    epub_path = Path(report["files"][0]["path"])
    assert epub_path.suffix == ".epub" and epub_path.stat().st_size == report["files"][0]["bytes"]
    assert report["check"]["kindle_ready"] and Path(report["site"]).is_dir()
    book = Epub(epub_path)
    text = book.text()
    assert "Queues Before Databases" in text and "Warum Backpressure" not in text
    assert "Designing for Failure, a Course" in text and "Six lessons on systems" in text
    [lead] = book.xml("further.xhtml").iterfind(".//x:img[@class='lead-image']", NS)
    assert book.read(lead.get("src"))[:3] in (b"\xff\xd8\xff", b"\x89PN"), "the link's image is inside the book"

    # The same issue again, for people: the report names files with sizes, the check and the site.
    shown = run(runner, "build", *runner_in_pub, "--month", str(last_month)).output
    assert f"{epub_path.name}  " in shown and " KB" in shown
    assert "check: Kindle-ready" in shown and f"site: {report['site']}" in shown and "built in " in shown

    # The next issue (the month after the latest issue file, without --month) continues the numbering.
    assert f"{this_month.next()}.toml" in run(runner, "new-issue", *runner_in_pub).output
    following = tomllib.loads((publication / "issues" / f"{this_month.next()}.toml").read_text(encoding="utf-8"))
    assert (following["number"], following["volume"]) == (2, 1 + this_month.next().year - this_month.year)


def test_init_never_overwrites(runner, tmp_path):
    run(runner, "init")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".sqlite3"}
    (tmp_path / "digest.toml").write_text("# mine\n", encoding="utf-8")
    refused = run(runner, "init", "--title", "Other", code=2).output
    assert "nothing written" in refused and "digest.toml" in refused and ".gitignore" in refused
    assert (tmp_path / "digest.toml").read_text(encoding="utf-8") == "# mine\n"
    assert all(p.read_bytes() == data for p, data in before.items() if p.name != "digest.toml")


def test_init_alone_builds_a_first_issue_from_its_sample_feed(runner, tmp_path):
    """No flags, no network: the sample feed gives the first issue one article."""
    out = run(runner, "init", "--timezone", "Europe/Paris").output
    assert "1 article from the feeds" in out
    [issue] = (tmp_path / "issues").glob("*.toml")
    assert f"the {Month.parse(issue.stem).label} issue" in out
    assert "Welcome to My Digest" in issue.read_text(encoding="utf-8")


def test_init_suggests_a_time_zone(runner):
    out = run(runner, "init", "--timezone", "Europe/Pari", code=2).output
    assert "unknown IANA time zone 'Europe/Pari' (did you mean 'Europe/Paris'?)" in out
