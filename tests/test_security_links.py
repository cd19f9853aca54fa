"""Stored XSS: a link from a feed is written as an href only when it is http(s), everywhere it is written."""

from __future__ import annotations

import json
import re
import zipfile

import pytest
from click.testing import CliRunner
from factory import write_publication

from digest.cli import cli
from digest.core.configfile import load_config
from digest.core.fields import web_url
from digest.core.month import Month
from digest.pipeline import build_issue

HOSTILE = ["javascript:alert(document.cookie)", " JaVaScRiPt:alert(2)", "java\tscript:alert(3)",
           "data:text/html,<script>alert(4)</script>", "vbscript:msgbox(5)"]
# The payloads themselves, or any href/src/url whose scheme runs code or embeds a document.
SCRIPTED = re.compile(rb"alert\(|msgbox\(|(href|src|url)\W{1,4}\s*(java\s*script|vbscript|data):", re.I)


@pytest.mark.parametrize("url", [*HOSTILE, "//evil.example/x", "http:///no-host", "ftp://example.org/x",
                                 "https://exa\x00mple.org/", "https://[::1/"])
def test_only_web_links_are_kept(url):
    assert web_url(url) == ""


@pytest.mark.parametrize("url", ["https://example.org/a?b=1#c", "http://example.org", "HTTPS://Example.org/"])
def test_web_links_are_kept_as_they_are(url):
    assert web_url(f"  {url} ") == url


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    """The sample January, EPUB only, with script links in place of the first posts' links."""
    root = tmp_path_factory.mktemp("project")
    config_path = write_publication(root, sample=True)
    feed = root / "assets" / "sample-feeds" / "architecture.xml"
    text = feed.read_text(encoding="utf-8")
    links = re.findall(r"<item>.*?<link>(.*?)</link>", text, re.S)
    for original, hostile in zip(links, HOSTILE):
        text = text.replace(f"<link>{original}</link>", f"<link>{hostile.replace('<', '&lt;')}</link>", 1)
    feed.write_text(text, encoding="utf-8")
    config = load_config(config_path)
    return config, build_issue(config, Month(2018, 1))


def test_the_book_has_no_script_links(hostile_build):
    _, result = hostile_build
    with zipfile.ZipFile(result.epub) as book:
        for name in book.namelist():
            assert not SCRIPTED.search(book.read(name)), name


def test_the_manifest_and_the_site_have_no_script_links(hostile_build):
    config, result = hostile_build
    manifest = result.epub.parent / "manifest.json"
    assert not SCRIPTED.search(manifest.read_bytes())
    site = result.epub.parent.parent
    pages = [p for p in site.iterdir() if p.is_file()]
    assert any(p.name == "2018-01.html" for p in pages)
    for page in pages:
        assert not SCRIPTED.search(page.read_bytes()), page.name


def test_a_manifest_with_a_script_link_is_not_published_on_the_site(hostile_build, tmp_path):
    """An issue folder restored from elsewhere (a release, a backup) is checked before the site lists it."""
    import shutil

    config, result = hostile_build
    out = tmp_path / "out"
    shutil.copytree(result.epub.parent, out / config.publication.slug / "2018-01")
    manifest_path = out / config.publication.slug / "2018-01" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["articles"][0]["url"] = "javascript:alert(1)"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")

    run = CliRunner().invoke(cli, ["site", "--config", str(config.path), "--out", str(out)])

    assert run.exit_code == 2, run.output
    assert "articles[0].url" in run.output and "Traceback" not in run.output
    assert not (out / config.publication.slug / "2018-01.html").exists()
