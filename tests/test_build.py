"""The sample issues end to end: what an editor and a reader get from `digest build`."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from conftest import DATA, NS, Epub, epubcheck_problems
from digest.core.configfile import load_config
from digest.core.month import Month
from digest.pipeline import build_issue
from factory import write_publication

pytestmark = pytest.mark.slow  # whole builds: EPUBCheck, and calibre for the sample issues


@pytest.mark.parametrize("month", ["2018-01", "2018-02"])
def test_sample_issue_passes_epubcheck_with_no_errors_or_warnings(sample_builds, month):
    assert epubcheck_problems(sample_builds[month].epub) == []


def test_same_inputs_give_the_same_epub_bytes(sample_config, sample_builds, tmp_path):
    again = build_issue(sample_config.with_output_dir(tmp_path), Month.parse("2018-01"))
    first = hashlib.sha256(sample_builds["2018-01"].epub.read_bytes()).hexdigest()
    assert hashlib.sha256(again.epub.read_bytes()).hexdigest() == first


def test_toc_matches_the_golden_structure(sample_builds):
    """Golden test: sections and article titles, in order, in nav.xhtml."""
    for month in ("2018-01", "2018-02"):
        book = Epub(sample_builds[month].epub)
        lines = []
        for title, children in book.nav_toc():
            lines.append(title)
            lines.extend(f"  {child}" for child in children)
        golden = (DATA / "golden" / f"{month}-toc.txt").read_text(encoding="utf-8").splitlines()
        assert lines == golden, f"{month} table of contents changed; update tests/data/golden if intended"


def test_ncx_mirrors_nav_and_spine_follows_toc_order(sample_builds):
    book = Epub(sample_builds["2018-01"].epub)
    ncx = book.xml("toc.ncx")
    top = ncx.findall("ncx:navMap/ncx:navPoint", NS)
    ncx_toc = [(p.findtext("ncx:navLabel/ncx:text", namespaces=NS),
                [c.findtext("ncx:navLabel/ncx:text", namespaces=NS) for c in p.findall("ncx:navPoint", NS)])
               for p in top]
    assert ncx_toc == book.nav_toc()
    # Curated-link kinds are places inside the one further-reading page.
    targets = [p.find("ncx:content", NS).get("src").split("#")[0] for p in ncx.iter("{%s}navPoint" % NS["ncx"])]
    spine = book.spine_hrefs()
    positions = [spine.index(t) for t in targets]
    assert positions == sorted(positions), "TOC order differs from reading order"
    orders = [int(p.get("playOrder")) for p in ncx.iter("{%s}navPoint" % NS["ncx"])]
    assert orders == list(range(1, len(orders) + 1))


def test_foreign_language_posts_from_the_mixed_feed_are_not_in_the_english_issue(sample_builds):
    result = sample_builds["2018-01"]
    text = Epub(result.epub).text()
    assert "България" not in text and "билборда" not in text
    assert not any("\u0400" <= ch <= "\u04ff" for ch in text), "Cyrillic text leaked into the issue"
    reasons = {s.title: s.reason for s in result.skipped}
    assert any("language 'bg'" in r for r in reasons.values()), reasons


def test_post_published_late_on_the_last_evening_of_the_month_in_the_publication_zone(sample_builds):
    """2018-02-01T05:30Z is still January 31 in Los Angeles: the January issue carries it."""
    january = {a.title for a in sample_builds["2018-01"].issue.articles}
    february = {a.title for a in sample_builds["2018-02"].issue.articles}
    title = "Combine Transactional and Analytical Data Using Amazon Aurora and Amazon Redshift"
    assert title in january and title not in february


def test_the_same_post_in_two_feeds_appears_once(sample_builds):
    titles = [a.title for a in sample_builds["2018-02"].issue.articles]
    assert titles.count("AWS Architecture Monthly for Kindle") == 1
    assert any("duplicate" in s.reason for s in sample_builds["2018-02"].skipped)


def test_opf_metadata_is_kindle_ready(sample_builds):
    book = Epub(sample_builds["2018-01"].epub)
    meta = book.opf.find("opf:metadata", NS)
    assert [t.text for t in meta.findall("dc:title", NS)] == ["Architecture Monthly, January 2018"]
    assert meta.findtext("dc:language", namespaces=NS) == "en"
    identifier = meta.findtext("dc:identifier", namespaces=NS)
    assert identifier.startswith("urn:uuid:")
    # derived from publication + month: the February issue differs, a rebuild does not
    other = Epub(sample_builds["2018-02"].epub).opf.find("opf:metadata", NS).findtext("dc:identifier", namespaces=NS)
    assert other != identifier
    properties = {m.get("property"): m.text for m in meta.findall("opf:meta", NS) if m.get("property")}
    for key in ("schema:accessMode", "schema:accessibilityFeature", "schema:accessibilityHazard",
                "schema:accessibilitySummary"):
        assert properties.get(key), key
    assert properties["dcterms:modified"] == "2018-01-01T00:00:00Z"


def test_one_cover_declared_at_kindle_size(sample_builds):
    book = Epub(sample_builds["2018-01"].epub)
    covers = [i for i in book.manifest().values() if "cover-image" in i.get("properties", "")]
    assert len(covers) == 1
    image = Image.open(io.BytesIO(book.read(covers[0]["href"])))
    assert image.size == (1600, 2560) and image.mode in ("RGB", "L")
    pages_showing_cover = [h for h in book.spine_hrefs() if covers[0]["href"].encode() in book.read(h)]
    assert pages_showing_cover == ["cover.xhtml"]


def test_every_xhtml_has_an_xml_declaration_and_no_remote_resources(sample_builds):
    book = Epub(sample_builds["2018-01"].epub)
    for item in book.manifest().values():
        if item["media-type"] != "application/xhtml+xml":
            continue
        raw = book.read(item["href"])
        assert raw.startswith(b'<?xml version="1.0" encoding="utf-8"?>'), item["href"]
        tree = book.xml(item["href"])
        for element in tree.iter():
            src = element.get("src") or ""
            assert not src.startswith(("http:", "https:", "//")), (item["href"], src)
        assert not tree.findall(".//x:script", NS)


def test_contents_page_lists_every_article_with_author_and_description(sample_builds):
    result = sample_builds["2018-01"]
    contents = Epub(result.epub).xml("contents.xhtml")
    text = " ".join("".join(contents.itertext()).split())
    for article in result.issue.articles:
        assert article.title in text
        assert article.authors[0] in text
        assert article.description[:40] in text


def test_article_pages_link_to_neighbours_section_and_contents(sample_builds):
    book = Epub(sample_builds["2018-01"].epub)
    articles = sample_builds["2018-01"].issue.articles
    second = book.xml(f"{articles[1].id}.xhtml")
    hrefs = [a.get("href") for a in second.iterfind(".//x:div[@class='article-nav']//x:a", NS)]
    assert f"{articles[0].id}.xhtml" in hrefs and f"{articles[2].id}.xhtml" in hrefs
    assert "contents.xhtml" in hrefs and any(h.startswith("section-") for h in hrefs)


def test_editor_note_and_curated_links_are_in_the_book(sample_builds):
    text = Epub(sample_builds["2018-01"].epub).text()
    assert "Welcome to the first issue" in text
    for title in ("Glenn Gore's Take on re:Invent 2017", "Java Microservices Deployed on EC2 Container Service",
                  "Node.js Microservices Deployed on EC2 Container Service", "aws-serverless-express",
                  "AWS Certified Solutions Architect – Associate",
                  "Serverless Architectures with AWS Lambda: Overview and Best Practices"):
        assert title in text, title


def test_an_issue_without_an_issue_file_builds_from_the_feeds(project_copy):
    for path in (project_copy / "issues").iterdir():
        path.unlink()
    config = load_config(project_copy / "digest.toml")
    result = build_issue(config, Month.parse("2018-02"))
    assert len(result.issue.articles) == 4 and result.issue.curated == ()
    assert epubcheck_problems(result.epub) == []


def test_failed_build_leaves_no_partial_file_and_keeps_the_published_issue(project_copy):
    config = load_config(project_copy / "digest.toml")
    published = build_issue(config, Month.parse("2018-01")).epub
    before = published.read_bytes()
    broken = project_copy / "theme"
    broken.mkdir()
    (broken / "article.xhtml").write_text("{% extends 'layout.xhtml' %}{% block body %}<p>{{ article.nope }}</p>"
                                          "{% endblock %}")
    write_publication(project_copy, sample=True, output={"templates": "theme"})
    from digest.core.errors import BuildError

    with pytest.raises(BuildError, match="article.xhtml"):
        build_issue(load_config(project_copy / "digest.toml"), Month.parse("2018-01"))
    assert published.read_bytes() == before
    leftovers = [p.name for p in published.parent.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []
