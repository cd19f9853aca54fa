"""AZW3 and the MOBI periodical: what a Kindle owner gets, checked with real calibre.

The sample issue is built once per session (``sample_builds`` in conftest.py); these tests
unpack its AZW3 and MOBI with the ``mobi`` package (KindleUnpack) and read them back with
calibre's ``ebook-meta``, never comparing bytes (calibre's output has random ids).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import struct
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import mobi
import pytest
from lxml import etree
from PIL import Image

from conftest import Epub
from digest.core.configfile import load_config
from digest.core.errors import ConversionError
from digest.ebook.kindle import build_kindle_formats
from digest.core.month import Month
from digest.pipeline import build_issue, compose_issue

NCX = {"ncx": "http://www.daisy.org/z3986/2005/ncx/"}
XHTML = {"x": "http://www.w3.org/1999/xhtml"}

pytestmark = [pytest.mark.skipif(shutil.which("ebook-convert") is None, reason="calibre is not installed"),
              pytest.mark.slow]  # calibre conversions


@pytest.fixture(scope="module")
def january(sample_builds):
    return sample_builds["2018-01"]


def _book(result, suffix: str) -> Path:
    return next(path for path in result.files if path.suffix == suffix)


@pytest.fixture(scope="module")
def unpacked():
    """Unpack a MOBI/AZW3 once per file with KindleUnpack; yields (temp folder, main file)."""
    done: dict[Path, tuple[Path, Path]] = {}

    def unpack(path: Path) -> tuple[Path, Path]:
        if path not in done:
            folder, main = mobi.extract(str(path))
            done[path] = (Path(folder), Path(main))
        return done[path]

    yield unpack
    for folder, _ in done.values():
        shutil.rmtree(folder, ignore_errors=True)


def _exth(data: bytes) -> dict[int, bytes]:
    """The EXTH records of a MOBI's first record (the metadata Kindle reads)."""
    record0 = data[struct.unpack(">I", data[78:82])[0]:]
    header_length = struct.unpack(">I", record0[20:24])[0]
    exth = record0[16 + header_length:]
    assert exth[:4] == b"EXTH"
    records, offset = {}, 12
    for _ in range(struct.unpack(">I", exth[8:12])[0]):
        kind, length = struct.unpack(">II", exth[offset:offset + 8])
        records[kind] = exth[offset + 8:offset + length]
        offset += length
    return records


def _mobi_version(data: bytes) -> int:
    record0 = data[struct.unpack(">I", data[78:82])[0]:]
    return struct.unpack(">I", record0[36:40])[0]


def _sections(ncx: etree._Element, parent_xpath: str) -> list[tuple[str, list[str]]]:
    """(section title, [article titles]) for every navPoint under ``parent_xpath`` that has children."""
    result = []
    for point in ncx.xpath(parent_xpath, namespaces=NCX):
        children = point.xpath("ncx:navPoint/ncx:navLabel/ncx:text/text()", namespaces=NCX)
        if children:
            title = point.xpath("normalize-space(ncx:navLabel/ncx:text)", namespaces=NCX)
            result.append((title, [c.strip() for c in children]))
    return result


def _epub_sections(result) -> list[tuple[str, list[str]]]:
    return _sections(Epub(result.epub).xml("toc.ncx"), "/ncx:ncx/ncx:navMap/ncx:navPoint")


def test_build_writes_azw3_and_mobi_beside_the_epub(january):
    books = [path for path in january.files if path.suffix in (".epub", ".azw3", ".mobi")]
    assert [path.suffix for path in books] == [".epub", ".azw3", ".mobi"]
    assert all(path.parent == january.epub.parent and path.stat().st_size > 10_000 for path in books)
    assert not list(january.epub.parent.glob("*periodical*")), "the EPUB 2 copy for calibre must not be published"
    assert january.notes == ()


def test_mobi_is_a_kindle_periodical(january):
    data = _book(january, ".mobi").read_bytes()
    assert data[60:68] == b"BOOKMOBI"
    exth = _exth(data)
    assert exth[501] in (b"NWPR", b"MAGZ")
    assert _mobi_version(data) == 6, "Kindle periodicals are MOBI 6 only"
    # The ASIN is the issue's stable identifier, so a rebuilt issue replaces the old one on the Kindle.
    assert exth[113].decode() == january.issue.identifier.removeprefix("urn:uuid:")


def test_mobi_unpacks_with_the_epubs_sections_and_articles(january, unpacked):
    folder, main = unpacked(_book(january, ".mobi"))
    assert main.name == "book.html"
    ncx = etree.parse(str(folder / "mobi7" / "toc.ncx")).getroot()
    periodical = ncx.xpath("/ncx:ncx/ncx:navMap/ncx:navPoint", namespaces=NCX)
    assert len(periodical) == 1
    assert periodical[0].xpath("normalize-space(ncx:navLabel/ncx:text)", namespaces=NCX) == january.issue.title
    sections = _sections(ncx, "/ncx:ncx/ncx:navMap/ncx:navPoint/ncx:navPoint")
    # The editor's note is a section holding itself, so Kindle lists it like the others.
    assert sections[0] == ("From the editor", ["From the editor"])
    assert sections[1:] == _epub_sections(january)
    issue_sections = [(s.section.title, [a.title for a in s.articles]) for s in january.issue.sections]
    assert sections[1:len(issue_sections) + 1] == issue_sections
    further = [titles for title, titles in sections if title == "Further reading"]
    # The kinds of link, then the whitepaper briefs and reference architectures as articles of their own.
    briefs = [link.title for group in january.issue.curated for link in group.links if link.brief]
    assert len(briefs) == 3
    assert further == [[group.title for group in january.issue.curated] + briefs]
    assert sum(len(articles) for _, articles in issue_sections) == len(january.issue.articles)


def test_mobi_article_lists_carry_descriptions_and_authors(january, tmp_path):
    """Read the periodical index back with calibre's own MOBI inspector."""
    book = tmp_path / "issue.mobi"
    shutil.copy(_book(january, ".mobi"), book)
    subprocess.run(["calibre-debug", "--inspect-mobi", str(book)], cwd=tmp_path, capture_output=True,
                   check=True, timeout=300, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    index = next(tmp_path.rglob("index.txt")).read_text(encoding="utf-8")
    descriptions = set(re.findall(r"Description offset in cncx : \d+ \['(.*)'\]", index))
    authors = set(re.findall(r"Author offset in cncx : \d+ \['(.*)'\]", index))
    articles = january.issue.articles
    for article in articles:
        assert any(article.description in entry and f"{article.reading_minutes} min read" in entry
                   for entry in descriptions), article.title
    assert all(any(article.authors[0] in entry for entry in authors) for article in articles if article.authors)
    # No entry is left as calibre's "Unknown" author or a bare "1 link": the note is signed,
    # each kind of curated link is described by its titles and bylined by its sites.
    assert "Unknown" not in authors
    assert not any(re.fullmatch(r"\d+ links?", entry) for entry in descriptions)
    whitepapers = next(g for g in january.issue.curated if g.kind == "whitepaper")
    assert any(entry.startswith(f"{len(whitepapers.links)} whitepaper") and whitepapers.links[0].title in entry
               for entry in descriptions), descriptions
    assert any(whitepapers.links[0].domain in entry for entry in authors), authors
    assert any(january.issue.publication.editor in entry for entry in authors), authors
    assert any(entry.startswith("Welcome to the first issue") for entry in descriptions), descriptions


def test_azw3_unpacks_as_kf8_with_the_epubs_sections_and_articles(january, unpacked):
    data = _book(january, ".azw3").read_bytes()
    assert data[60:68] == b"BOOKMOBI" and _mobi_version(data) == 8
    folder, main = unpacked(_book(january, ".azw3"))
    assert main.suffix == ".epub" and main.parent.name == "mobi8"
    ncx = etree.parse(str(folder / "mobi8" / "OEBPS" / "toc.ncx")).getroot()
    assert _sections(ncx, "//ncx:navPoint") == _epub_sections(january)


@pytest.mark.parametrize("suffix", [".azw3", ".mobi"])
def test_ebook_meta_reads_title_author_language_and_cover(january, suffix, tmp_path):
    cover = tmp_path / "cover.jpg"
    out = subprocess.run(["ebook-meta", str(_book(january, suffix)), f"--get-cover={cover}"],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    fields = dict(re.findall(r"^(\S[^:]*?)\s*: (.*)$", out, re.M))
    publication = january.issue.publication
    assert fields["Title"] == january.issue.title
    assert fields["Author(s)"] == publication.publisher
    assert fields["Publisher"] == publication.publisher
    assert fields["Languages"] == "eng"
    with Image.open(cover) as image:
        width, height = image.size
    assert width >= 625 and 1.55 <= height / width <= 1.65


def test_next_and_previous_links_land_on_the_article_in_the_mobi(january, unpacked):
    folder, main = unpacked(_book(january, ".mobi"))
    html = main.read_text(encoding="utf-8", errors="replace")
    ncx = etree.parse(str(folder / "mobi7" / "toc.ncx")).getroot()
    position = {point.xpath("normalize-space(ncx:navLabel/ncx:text)", namespaces=NCX):
                point.xpath("string(ncx:content/@src)", namespaces=NCX).partition("#")[2]
                for point in ncx.iter("{%s}navPoint" % NCX["ncx"])}
    # Links are underlined (<u>): the one cue that they can be tapped on e-ink.
    links = re.findall(r'<a href="#(filepos\d+)"><font[^>]*><u>(Next|← Previous): (.*?)(?: →)?</u></font></a>', html)
    articles = [a.title for a in january.issue.articles]
    assert sorted(title for _, kind, title in links if kind == "Next") == sorted(articles[1:])
    assert sorted(title for _, kind, title in links if kind != "Next") == sorted(articles[:-1])
    assert all(position[title] == target for target, _, title in links)


def test_next_links_open_the_next_article_in_the_azw3(january, unpacked):
    folder, _ = unpacked(_book(january, ".azw3"))
    text = folder / "mobi8" / "OEBPS" / "Text"
    followed = []
    for page in sorted(text.glob("*.xhtml")):
        doc = etree.parse(str(page)).getroot()
        for link in doc.iterfind(".//x:a[@href]", XHTML):
            label = "".join(link.itertext()).strip()
            if label.startswith("Next: "):
                target = etree.parse(str(text / link.get("href").partition("#")[0])).getroot()
                heading = "".join(target.find(".//x:h1", XHTML).itertext()).strip()
                assert label == f"Next: {heading} →"
                followed.append(heading)
    assert followed == [a.title for a in january.issue.articles][1:]


@pytest.fixture(scope="module")
def composed(sample_config):
    return compose_issue(sample_config, Month.parse("2018-01"))


@pytest.fixture
def staged_epub(january, tmp_path):
    """A folder holding only a copy of the sample EPUB, standing in for the publishing stage."""
    stage = tmp_path / "stage"
    stage.mkdir()
    return Path(shutil.copy(january.epub, stage))


def _fake_calibre(tmp_path: Path, body: str) -> str:
    """A PATH whose ebook-convert misbehaves like a broken or hung calibre install."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "ebook-convert"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    return f"{bin_dir}{os.pathsep}{os.environ['PATH']}"


def test_a_calibre_crash_is_a_clear_error_naming_the_file_and_leaves_no_partial_book(
        sample_config, composed, staged_epub, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", _fake_calibre(tmp_path, 'head -c 5000 /dev/zero > "$2"\n'
                                                       'echo "Traceback (most recent call last):" >&2\n'
                                                       'echo "ValueError: Invalid section layout" >&2\n'
                                                       "exit 1\n"))
    output = sample_config.output
    with pytest.raises(ConversionError, match=r"\.azw3: ebook-convert failed \(exit 1\): ValueError: Invalid section"):
        build_kindle_formats(output, staged_epub, composed.issue, composed.pages, composed.theme)
    assert [p.name for p in staged_epub.parent.iterdir()] == [staged_epub.name]


def test_a_hung_calibre_is_stopped_with_its_children(sample_config, composed, staged_epub, tmp_path, monkeypatch):
    child_pid = tmp_path / "child.pid"
    monkeypatch.setenv("PATH", _fake_calibre(tmp_path, f'head -c 5000 /dev/zero > "$2"\n'
                                                       f"sleep 600 &\necho $! > {child_pid}\nwait\n"))
    output = replace(sample_config.output, convert_timeout=1)
    with pytest.raises(ConversionError, match=r"\.azw3: ebook-convert did not finish within 1 s"):
        build_kindle_formats(output, staged_epub, composed.issue, composed.pages, composed.theme)
    assert [p.name for p in staged_epub.parent.iterdir()] == [staged_epub.name]
    pid = int(child_pid.read_text())
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
        pytest.fail("the helper process calibre started outlived the timeout")


def test_an_unknown_output_profile_is_calibres_message_not_a_traceback(sample_config, composed, staged_epub):
    output = replace(sample_config.output, formats=("epub", "azw3"), kindle_profile="kindle_9000")
    with pytest.raises(ConversionError, match=r"\.azw3: .*kindle_9000"):
        build_kindle_formats(output, staged_epub, composed.issue, composed.pages, composed.theme)
    assert [p.name for p in staged_epub.parent.iterdir()] == [staged_epub.name]


def test_without_calibre_the_epub_still_ships_and_the_report_says_how_to_install(project_copy, tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin-without-calibre"
    bin_dir.mkdir()
    (bin_dir / "java").symlink_to(shutil.which("java"))  # EPUBCheck still runs
    monkeypatch.setenv("PATH", str(bin_dir))
    result = build_issue(_all_formats(project_copy), Month.parse("2018-02"))
    assert result.epub.is_file()
    assert not [p for p in result.epub.parent.iterdir() if p.suffix in (".azw3", ".mobi")]
    assert not [p for p in result.files if p.suffix in (".azw3", ".mobi")]
    skipped = [note for note in result.notes if "AZW3 and MOBI skipped" in note]
    assert skipped and "sudo apt-get install calibre" in skipped[0]
    manifest = json.loads((result.epub.parent / "manifest.json").read_text(encoding="utf-8"))
    assert skipped[0] in manifest["notes"]


def test_a_failed_conversion_publishes_nothing(project_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", _fake_calibre(tmp_path, 'echo "calibre: killed" >&2\nexit 137\n'))
    config = _all_formats(project_copy)
    with pytest.raises(ConversionError, match=r"architecture-monthly-2018-02\.azw3"):
        build_issue(config, Month.parse("2018-02"))
    assert not (config.output.dir / config.publication.slug / "2018-02").exists()
    assert not [p for p in config.output.dir.rglob("*") if p.suffix in (".azw3", ".mobi", ".epub")]


def _all_formats(project: Path):
    """The project copy's config with AZW3 and MOBI back on (``project_copy`` builds only the EPUB)."""
    config = load_config(project / "digest.toml")
    return replace(config, output=replace(config.output, formats=("epub", "azw3", "mobi")))
