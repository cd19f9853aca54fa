"""The publication site, Atom feed and OPDS catalog, as a browser, feed reader or reading app sees them."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import lxml.html
import pytest

from digest.core.errors import BuildError
from digest.publish.site import publish_site, render_site

pytestmark = pytest.mark.slow  # publishes the sample issues, built whole (EPUBCheck, calibre)

SLUG = "architecture-monthly"
EBOOK_TYPES = {".epub": "application/epub+zip", ".azw3": "application/x-mobi8-ebook",
               ".mobi": "application/x-mobipocket-ebook"}
ACQUISITION = "http://opds-spec.org/acquisition"
OPDS_KIND = "application/atom+xml;profile=opds-catalog;kind="


@pytest.fixture(scope="module")
def site(sample_builds):
    """The publication folder holding both sample issues and the site generated beside them."""
    return sample_builds["2018-01"].epub.parent.parent


@pytest.fixture
def published_copy(sample_config, site, tmp_path):
    shutil.copytree(site, tmp_path / "dist" / SLUG)
    return sample_config.with_output_dir(tmp_path / "dist")


def local_file(site: Path, base_url: str, url: str) -> Path:
    """Where an absolute catalog URL points inside the published folder."""
    assert url.startswith(base_url), url
    return site / unquote(url[len(base_url):])


def parse(path: Path):
    feed = feedparser.parse(path.read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


@pytest.mark.parametrize("catalog", ["opds.xml", "feed.atom"])
def test_catalog_and_feed_list_each_issue_once_with_downloads_that_exist(sample_config, sample_builds, site, catalog):
    base = sample_config.publication.base_url
    feed = parse(site / catalog)
    assert [e.id for e in feed.entries] == [sample_builds[m].issue.identifier for m in ("2018-02", "2018-01")]
    wanted_rel = ACQUISITION if catalog == "opds.xml" else "enclosure"
    for entry, month in zip(feed.entries, ("2018-02", "2018-01")):
        downloads = [link for link in entry.links if link.rel == wanted_rel]
        built = {p.suffix for p in sample_builds[month].files if p.suffix in EBOOK_TYPES}
        assert {Path(urlsplit(link.href).path).suffix for link in downloads} == built
        for link in downloads:
            target = local_file(site, base, link.href)
            assert target.is_file(), link.href
            assert link.type == EBOOK_TYPES[target.suffix]
            assert int(link.length) == target.stat().st_size
        page = next(link for link in entry.links if link.rel == "alternate")
        assert local_file(site, base, page.href).is_file()


def test_opds_entries_carry_cover_and_thumbnail_images(sample_config, site):
    base = sample_config.publication.base_url
    for entry in parse(site / "opds.xml").entries:
        rels = {link.rel: link for link in entry.links}
        for rel in ("http://opds-spec.org/image", "http://opds-spec.org/image/thumbnail"):
            assert rels[rel].type == "image/jpeg"
            assert local_file(site, base, rels[rel].href).read_bytes()[:3] == b"\xff\xd8\xff"
        assert entry.dcterms_language == "en" and entry.summary.startswith("Vol. 1, No.")


def test_opds_has_per_year_navigation(sample_config, site):
    base = sample_config.publication.base_url
    root = parse(site / "opds.xml")
    facets = [link for link in root.feed.links if link.rel == "http://opds-spec.org/facet"]
    assert [f.title for f in facets] == ["2018"]
    assert all(link.type == OPDS_KIND + "acquisition" for link in facets)

    years = parse(site / "opds-years.xml")
    self_link = next(link for link in years.feed.links if link.rel == "self")
    assert self_link.type == OPDS_KIND + "navigation"
    (entry,) = years.entries
    (subsection,) = [link for link in entry.links if link.rel == "subsection"]
    year_feed = parse(local_file(site, base, subsection.href))
    assert len(year_feed.entries) == 2
    assert [link for link in year_feed.feed.links if link.rel == "up"]


def test_html_pages_link_relatively_to_files_that_exist(site):
    pages = ["index.html", "2018-01.html", "2018-02.html"]
    for name in pages:
        doc = lxml.html.fromstring((site / name).read_bytes())
        local = [value for value in doc.xpath("//a/@href | //img/@src | //link/@href")
                 if not urlsplit(value).scheme]
        assert local, name
        for href in local:
            assert not href.startswith("/"), f"{name}: {href} breaks under file://"
            assert (site / unquote(href)).is_file(), f"{name}: {href}"
    index = lxml.html.fromstring((site / "index.html").read_bytes())
    titles = index.xpath("//article[@class='issue']//h2/a/text()")
    assert titles == ["Architecture Monthly, February 2018", "Architecture Monthly, January 2018"]
    downloads = index.xpath("//article[@class='issue'][1]//ul[@class='downloads']//a/@href")
    assert "2018-02/architecture-monthly-2018-02.epub" in downloads
    assert "2018-02/architecture-monthly-2018-02.zip" in downloads


def test_text_is_escaped_in_html_and_feeds(published_copy):
    hostile = replace(published_copy, publication=replace(published_copy.publication,
                                                          title="Bits & <b>Bytes</b>"))
    files = render_site(hostile)
    assert b"Bits &amp; &lt;b&gt;Bytes&lt;/b&gt;" in files["index.html"]
    assert parse_bytes(files["opds.xml"]).feed.title == "Bits & <b>Bytes</b>"


def parse_bytes(data: bytes):
    feed = feedparser.parse(data)
    assert not feed.bozo
    return feed


def test_site_follows_what_is_in_place(published_copy):
    root = published_copy.output.dir / SLUG
    shutil.rmtree(root / "2018-01")
    changed = publish_site(published_copy)
    assert root / "2018-01.html" in changed and not (root / "2018-01.html").exists()
    assert len(parse(root / "opds.xml").entries) == 1
    assert "2018-01" not in (root / "index.html").read_text(encoding="utf-8")
    assert publish_site(published_copy) == (), "regenerating an unchanged site writes nothing"


def test_a_broken_site_template_changes_nothing(published_copy, tmp_path):
    root = published_copy.output.dir / SLUG
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.iterdir() if p.is_file()}
    theme = tmp_path / "theme" / "site"
    theme.mkdir(parents=True)
    (theme / "opds.xml").write_text("<feed>{{ issues | length }}<unclosed></feed>\n")
    broken = replace(published_copy, output=replace(published_copy.output, templates_dir=theme.parent))
    with pytest.raises(BuildError, match="opds.xml produced malformed XML"):
        publish_site(broken)
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.iterdir() if p.is_file()} == before
