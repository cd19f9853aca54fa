"""What a reader gets from an issue: how long each article is, the curated links on one page
with QR codes, series and date metadata that Kindle and calibre agree on, and the site."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile

import pytest
import segno
from conftest import NS, Epub
from lxml import etree
from PIL import Image

from digest.content.images.qrcodes import MODULE_PIXELS
from digest.content.issue.assemble import cover_headlines
from digest.core.configfile import load_config
from digest.core.month import Month
from digest.core.vocabulary import LINK_KINDS
from digest.ebook.epub import write_epub
from digest.ebook.epub2 import periodical_epub
from digest.ebook.render import brief_files
from digest.ingest.issuefile import load_issue
from digest.pipeline import compose_issue

OPF = "{http://www.idpf.org/2007/opf}"


def text_of(element) -> str:
    return " ".join("".join(element.itertext()).split())


def test_contents_page_and_bylines_say_how_long_each_article_is(sample_builds):
    result = sample_builds["2018-01"]
    book = Epub(result.epub)
    contents = text_of(book.xml("contents.xhtml"))
    for article in result.issue.articles:
        line = f"{article.reading_minutes} min read · {article.word_count:,} words"
        assert line in contents, article.title
        byline = book.xml(f"{article.id}.xhtml").find(".//x:p[@class='byline']", NS)
        assert line in text_of(byline)
    assert max(a.word_count for a in result.issue.articles) > 230  # not every article is "1 min"
    assert len({a.reading_minutes for a in result.issue.articles}) > 1


def qr_modules(png: bytes) -> list[list[bool]]:
    """The dark/light modules of a QR code drawn at MODULE_PIXELS per module with a 2-module border."""
    with Image.open(io.BytesIO(png)) as image:
        grey = image.convert("L")
    count = grey.width // MODULE_PIXELS - 4
    centre = MODULE_PIXELS // 2
    return [[grey.getpixel(((2 + x) * MODULE_PIXELS + centre, (2 + y) * MODULE_PIXELS + centre)) < 128
             for x in range(count)] for y in range(count)]


def test_curated_links_are_one_page_grouped_by_kind_with_site_description_and_qr_code(sample_builds):
    result = sample_builds["2018-01"]
    book = Epub(result.epub)
    assert not [h for h in book.spine_hrefs() if h.startswith("links-")], "one page, not a page per kind"
    page = book.xml("further.xhtml")
    groups = page.findall(".//x:section[@class='link-group']", NS)
    assert [g.findtext("x:h2", namespaces=NS) for g in groups] == [g.title for g in result.issue.curated]
    assert [g.get("id") for g in groups] == [g.id for g in result.issue.curated]
    assert list(LINK_KINDS).index(result.issue.curated[0].kind) < list(LINK_KINDS).index(result.issue.curated[-1].kind)
    for group, section in zip(result.issue.curated, groups):
        blocks = section.findall("x:div[@class='curated-link']", NS)
        assert len(blocks) == len(group.links)
        for link, block in zip(group.links, blocks):
            title = block.find("x:p[@class='link-title']/x:a", NS)
            assert title.text == link.title and title.get("href") == link.url
            assert block.findtext("x:p[@class='link-domain']", namespaces=NS) == link.domain
            assert link.domain and "/" not in link.domain and not link.domain.startswith("www.")
            assert link.url not in text_of(block), "the raw URL is printed"
            qr = block.find("x:img[@class='qr']", NS)
            assert qr.get("alt") and qr.get("src").startswith("images/")
            expected = [[bool(m) for m in row] for row in segno.make(link.url, error="m", micro=False).matrix]
            assert qr_modules(book.read(qr.get("src"))) == expected, f"QR code of {link.url} does not encode it"


def test_nav_lists_each_kind_of_link_as_a_place_in_the_further_reading_page(sample_builds):
    book = Epub(sample_builds["2018-01"].epub)
    nav = book.xml("nav.xhtml")
    further = next(li for li in nav.iterfind(".//x:nav[@id='toc']/x:ol/x:li", NS)
                   if li.findtext("x:a", namespaces=NS) == "Further reading")
    hrefs = [a.get("href") for a in further.iterfind("x:ol/x:li/x:a", NS)]
    issue = sample_builds["2018-01"].issue
    briefs = brief_files(issue)
    # The places on the page first (reading order), then the pages of the briefed links after it.
    assert briefs, "the sample's curated links include whitepapers and architectures with pages"
    assert hrefs == [f"further.xhtml#{g.id}" for g in issue.curated] + list(briefs.values())


def test_opf_carries_the_series_and_issue_number(sample_builds):
    for month, number in (("2018-01", "1"), ("2018-02", "2")):
        metadata = Epub(sample_builds[month].epub).opf.find("opf:metadata", NS)
        metas = metadata.findall("opf:meta", NS)
        collection = next(m for m in metas if m.get("property") == "belongs-to-collection")
        assert collection.text == "Architecture Monthly"
        refines = {m.get("property"): m.text for m in metas if m.get("refines") == f"#{collection.get('id')}"}
        assert refines == {"collection-type": "series", "group-position": number}
        named = {m.get("name"): m.get("content") for m in metas if m.get("name")}
        assert named["calibre:series"] == "Architecture Monthly" and named["calibre:series_index"] == number


@pytest.mark.skipif(shutil.which("ebook-meta") is None, reason="calibre is not installed")
def test_ebook_meta_reads_the_same_date_in_every_format_and_the_series_in_the_epub(sample_builds):
    result = sample_builds["2018-01"]
    books = {path.suffix: path for path in result.files if path.suffix in (".epub", ".azw3", ".mobi")}
    assert set(books) == {".epub", ".azw3", ".mobi"}
    fields = {}
    for suffix, path in books.items():
        out = subprocess.run(["ebook-meta", str(path)], capture_output=True, text=True, check=True,
                             timeout=120).stdout
        fields[suffix] = dict(re.findall(r"^(\S[^:]*?)\s*: (.*)$", out, re.M))
    assert {f["Published"][:10] for f in fields.values()} == {"2018-01-01"}, fields
    assert fields[".epub"]["Series"] == "Architecture Monthly #1"


def test_the_periodical_copy_for_calibre_keeps_the_series(sample_config, tmp_path):
    composed = compose_issue(sample_config, Month.parse("2018-02"))
    epub, periodical = tmp_path / "book.epub", tmp_path / "periodical.epub"
    write_epub(composed.issue, composed.pages, composed.theme, epub)
    periodical_epub(epub, composed.issue, composed.pages, composed.theme, periodical)
    with zipfile.ZipFile(periodical) as book:
        opf = etree.fromstring(book.read(next(n for n in book.namelist() if n.endswith(".opf"))))
    named = {m.get("name"): m.get("content") for m in opf.iter(f"{OPF}meta") if m.get("name")}
    assert named["calibre:series_index"] == "2" and named["calibre:series"] == "Architecture Monthly"
    assert opf.find(".//{http://purl.org/dc/elements/1.1/}date").text == "2018-02-01T00:00:00Z"


def test_masthead_and_site_say_volume_and_number_once(sample_builds):
    result = sample_builds["2018-02"]
    masthead = text_of(Epub(result.epub).xml("masthead.xhtml"))
    assert "February 2018 · Vol. 1, No. 2" in masthead
    page = (result.epub.parent.parent / "2018-02.html").read_text(encoding="utf-8")
    assert page.count("Vol. 1, No. 2") == 1
    assert "From the editor" in page and "min read" in page


def test_without_an_issue_file_volume_one_is_the_first_issues_year(project_copy):
    for path in (project_copy / "issues").glob("2018-02.*"):
        path.unlink()
    (project_copy / "issues" / "2018-01.toml").write_text("", encoding="utf-8")  # no number, no volume
    config = load_config(project_copy / "digest.toml")
    assert (compose_issue(config, Month.parse("2018-01")).issue.volume,
            compose_issue(config, Month.parse("2018-01")).issue.number) == (1, 1)
    february = compose_issue(config, Month.parse("2018-02")).issue
    assert (february.volume, february.number) == (1, 2)


def with_architecture_setting(project, line: str):
    """The project's config with ``line`` added to the architecture feed's [[sources]] table."""
    config_path = project / "digest.toml"
    text = config_path.read_text(encoding="utf-8")
    feed = 'url = "assets/sample-feeds/architecture.xml"\n'
    assert feed in text
    config_path.write_text(text.replace(feed, feed + line + "\n"), encoding="utf-8")
    return config_path


def test_min_words_leaves_short_articles_out_and_reports_each(project_copy):
    config_path = with_architecture_setting(project_copy, 'min_words = 500')
    before = compose_issue(load_config(config_path), Month.parse("2018-01"))
    short = [s for s in before.skipped if "min_words" in s.reason]
    assert short, "the architecture feed has articles under 500 words"
    for skipped in short:
        assert skipped.source == "AWS Architecture Blog"
        assert re.fullmatch(r"\d+ words?, under the source's min_words of 500", skipped.reason)
        assert skipped.title not in {a.title for a in before.issue.articles}
    kept = [a for a in before.issue.articles if a.source == "AWS Architecture Blog"]
    assert kept and all(a.word_count >= 475 for a in kept)  # counted on the cleaned page, near the raw count


def test_an_article_in_another_language_carries_its_own_lang(project_copy):
    config_path = with_architecture_setting(project_copy, 'languages = ["en", "bg"]')
    composed = compose_issue(load_config(config_path), Month.parse("2018-01"))
    by_language = {a.language for a in composed.issue.articles}
    assert by_language == {None, "bg"}  # None: the publication's own language
    for page in composed.pages:
        if page.kind != "article":
            continue
        article = next(a for a in composed.issue.articles if f"{a.id}.xhtml" == page.file_name)
        # The heading and the text carry the article's language; kicker and byline stay the publication's.
        heading = re.search(r"<h1[^>]*>", page.xhtml).group(0)
        body = re.search(r'<div class="article-body"[^>]*>', page.xhtml).group(0)
        if article.language == "bg":
            assert all('lang="bg"' in tag and 'xml:lang="bg"' in tag for tag in (heading, body))
        else:
            assert "lang=" not in heading + body  # the page's own lang (the publication's) applies


def test_cover_headlines_are_pinned_first_then_the_longest_reads(sample_config):
    issue = compose_issue(sample_config, Month.parse("2018-01")).issue
    articles = issue.articles
    shortest = min(articles, key=lambda a: a.word_count)
    chosen = cover_headlines(issue.sections, (shortest.link,), 3)
    longest = sorted((a for a in articles if a is not shortest), key=lambda a: -a.word_count)
    assert chosen == [shortest.title, longest[0].title, longest[1].title]
    by_length = sorted(articles, key=lambda a: -a.word_count)
    assert cover_headlines(issue.sections, (), 2) == [a.title for a in by_length[:2]]


def test_the_editor_can_write_the_cover_lines(project_copy):
    config = load_config(project_copy / "digest.toml")
    default_cover = compose_issue(config, Month.parse("2018-01")).issue.cover
    issue_file = project_copy / "issues" / "2018-01.toml"
    issue_file.write_text('cover_headlines = ["Microservices, reactive", "Lambda at scale"]\n'
                          + issue_file.read_text(encoding="utf-8"), encoding="utf-8")
    spec = load_issue(config, Month.parse("2018-01"))
    assert spec.cover_headlines == ("Microservices, reactive", "Lambda at scale")
    assert compose_issue(config, Month.parse("2018-01")).issue.cover.data != default_cover.data
