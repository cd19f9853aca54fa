"""`digest check`: each Kindle rule caught by a book that breaks exactly that rule.

Every fixture book is the sample issue (built once per session, ``sample_builds`` in
conftest.py) with one edit. The Kindle rules run on all of them; EPUBCheck (java, a few
seconds a run) runs on the sample and on one broken book.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from digest.core.cache import memory_cache
from digest.ebook.check import check_epub, check_path, run_epubcheck
from digest.ebook.check_rules import RULES
from digest.cli import cli
from digest.core.configfile import load_config
from digest.core.errors import NotKindleReady
from digest.core.month import Month
from digest.pipeline import build_issue
from digest.ebook.memo import kindle_ready_once
from digest.ebook.render import DEFAULT_CSS
from factory import write_publication

Files = dict[str, bytes]


@pytest.fixture(scope="module")
def sample_epub(sample_builds) -> Path:
    return sample_builds["2018-01"].epub


def mutate(source: Path, target: Path, edit: Callable[[Files], None]) -> Path:
    """Copy an EPUB with ``edit`` applied to its files; big padding entries are stored uncompressed."""
    with zipfile.ZipFile(source) as original:
        files = {info.filename: original.read(info) for info in original.infolist()}
    edit(files)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("mimetype", files.pop("mimetype"), compress_type=zipfile.ZIP_STORED)
        for name, data in files.items():
            stored = name.endswith(".bin")
            book.writestr(name, data, compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    return target


def replace_once(files: Files, name: str, old: str, new: str) -> None:
    text = files[name].decode("utf-8")
    assert text.count(old) == 1, f"{old!r} not found once in {name}"
    files[name] = text.replace(old, new).encode("utf-8")


def first_article(files: Files) -> str:
    return min(name for name in files if re.match(r"EPUB/a\d+-.*\.xhtml$", name))


def in_article(snippet: str) -> Callable[[Files], None]:
    return lambda files: replace_once(files, first_article(files), '<div class="article-body">',
                                      f'<div class="article-body">\n{snippet}')


def in_head(snippet: str) -> Callable[[Files], None]:
    return lambda files: replace_once(files, first_article(files), "</head>", f"{snippet}\n</head>")


def in_css(css: str, *, first: bool = False) -> Callable[[Files], None]:
    def edit(files: Files) -> None:
        old = files["EPUB/digest.css"].decode("utf-8")
        files["EPUB/digest.css"] = (f"{css}\n{old}" if first else f"{old}\n{css}\n").encode("utf-8")
    return edit


def in_opf(old: str, new: str) -> Callable[[Files], None]:
    return lambda files: replace_once(files, "EPUB/content.opf", old, new)


def image(mode: str, fmt: str, size: tuple[int, int] = (60, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "white" if mode != "CMYK" else (0, 0, 0, 0)).save(buffer, fmt)
    return buffer.getvalue()


def with_image(data: bytes, href: str, media_type: str, alt: str | None = "A diagram") -> Callable[[Files], None]:
    def edit(files: Files) -> None:
        files[f"EPUB/{href}"] = data
        replace_once(files, "EPUB/content.opf", "</manifest>",
                     f'<item href="{href}" id="photo" media-type="{media_type}"/>\n</manifest>')
        alt_attribute = f' alt="{alt}"' if alt is not None else ""
        in_article(f'<p><img src="{href}"{alt_attribute}/></p>')(files)
    return edit


def cover(data: bytes) -> Callable[[Files], None]:
    def edit(files: Files) -> None:
        files["EPUB/images/cover.jpg"] = data
    return edit


def padding(size: int) -> Callable[[Files], None]:
    def edit(files: Files) -> None:
        files["EPUB/padding.bin"] = b"\0" * size
    return edit


BREAKS: dict[str, Callable[[Files], None]] = {
    "remote-resource": in_article('<p><img src="https://example.org/chart.png" alt="Chart"/></p>'),
    "image-format": with_image(image("RGB", "WEBP"), "images/photo.webp", "image/webp"),
    "image-color": with_image(image("CMYK", "JPEG"), "images/photo.jpg", "image/jpeg"),
    "img-alt": with_image(image("RGB", "PNG"), "images/photo.png", "image/png", alt=None),
    "cover-declared": in_opf(' properties="cover-image"', ""),
    "cover-ratio": cover(image("RGB", "JPEG", (1600, 1600))),
    "cover-size": cover(image("RGB", "JPEG", (500, 800))),
    "single-title": in_opf("</dc:title>", "</dc:title>\n<dc:title>Another title</dc:title>"),
    "language": in_opf("<dc:language>en</dc:language>", ""),
    "file-size": padding(51_000_000),
    "xml-declaration": lambda files: replace_once(files, first_article(files),
                                                  '<?xml version="1.0" encoding="utf-8"?>\n', ""),
    "xml-comment": in_article("<!-- first draft -- do not ship -->"),
    "css-variables": in_css(":root { --ink: #111; }\np.byline { color: var(--ink); }"),
    "css-negative-margin": in_css("blockquote { margin-left: -1.5em; }"),
    "css-body-font": in_css("body { font-family: Georgia, serif; }"),
    "css-body-color": in_css("body { color: #222; }"),
    "css-position-fixed": in_css(".article-nav { position: fixed; bottom: 0; }"),
}

# Rules that only warn: the book stays Kindle-ready.
WARNS: dict[str, Callable[[Files], None]] = {
    "xhtml-size": in_article("<p>" + "A long article goes on and on. " * 10_000 + "</p>"),
}

REMOTE_VARIANTS: dict[str, Callable[[Files], None]] = {
    "stylesheet": in_head('<link rel="stylesheet" type="text/css" href="https://cdn.example.org/site.css"/>'),
    "script": in_head('<script src="//cdn.example.org/app.js"></script>'),
    "iframe": in_article('<iframe src="https://www.example.org/embed/1" title="Video"></iframe>'),
    "css-font": in_css('@font-face { font-family: "Web"; src: url(https://fonts.example.org/web.woff2); }'),
    "css-import": in_css('@import url("https://cdn.example.org/more.css");', first=True),
    "manifest": in_opf("</manifest>",
                       '<item href="https://example.org/x.png" id="remote" media-type="image/png"/>\n</manifest>'),
}


def test_every_rule_has_a_fixture_book():
    assert sorted(BREAKS | WARNS) == sorted(rule for rule, _ in RULES)


@pytest.mark.parametrize("rule", sorted(WARNS))
def test_a_book_tripping_a_warning_rule_is_ready_with_that_warning_only(rule, sample_epub, tmp_path):
    report = check_epub(mutate(sample_epub, tmp_path / f"{rule}.epub", WARNS[rule]), epubcheck=False)
    assert report.ok
    [warning] = report.warnings
    assert warning.rule == rule and warning.where.startswith("EPUB/a") and "kB" in warning.message


def test_the_sample_issue_passes_every_kindle_rule(sample_epub):
    report = check_epub(sample_epub, epubcheck=False)
    assert report.findings == ()


@pytest.mark.parametrize("rule", sorted(BREAKS))
def test_a_book_breaking_one_rule_fails_that_rule_only(rule, sample_epub, tmp_path):
    book = mutate(sample_epub, tmp_path / f"{rule}.epub", BREAKS[rule])
    report = check_epub(book, epubcheck=False)
    assert not report.ok
    assert {finding.rule for finding in report.violations} == {rule}
    assert all(finding.where and finding.message for finding in report.violations)


@pytest.mark.parametrize("variant", sorted(REMOTE_VARIANTS))
def test_every_kind_of_remote_resource_is_caught(variant, sample_epub, tmp_path):
    report = check_epub(mutate(sample_epub, tmp_path / "remote.epub", REMOTE_VARIANTS[variant]), epubcheck=False)
    assert {finding.rule for finding in report.violations} == {"remote-resource"}


def test_transparent_images_must_be_flattened(sample_epub, tmp_path):
    alpha = with_image(image("RGBA", "PNG"), "images/logo.png", "image/png")
    book = mutate(sample_epub, tmp_path / "alpha.epub", alpha)
    [finding] = check_epub(book, epubcheck=False).violations
    assert finding.rule == "image-color" and "transparency" in finding.message


def test_an_image_declared_with_the_wrong_type_is_caught(sample_epub, tmp_path):
    mislabelled = with_image(image("RGB", "JPEG"), "images/p.png", "image/png")
    book = mutate(sample_epub, tmp_path / "mislabel.epub", mislabelled)
    [finding] = check_epub(book, epubcheck=False).violations
    assert finding.rule == "image-format" and "declared as image/png" in finding.message


def test_a_book_close_to_the_send_to_kindle_limit_passes_with_a_warning(sample_epub, tmp_path):
    report = check_epub(mutate(sample_epub, tmp_path / "big.epub", padding(46_000_000)), epubcheck=False)
    assert report.ok
    assert [finding.rule for finding in report.warnings] == ["file-size"]


def test_the_built_month_passes_epubcheck_and_every_rule(sample_epub):
    report = check_path(sample_epub.parent)
    assert [book.path for book in report.books] == [sample_epub]
    assert report.ok and report.books[0].findings == () and report.books[0].notes == ()


def test_epubcheck_errors_are_violations(sample_epub, tmp_path):
    book = mutate(sample_epub, tmp_path / "no-language.epub", BREAKS["language"])
    report = check_epub(book)
    assert {finding.rule for finding in report.violations} == {"language", "epubcheck"}
    epubcheck = [f for f in report.violations if f.rule == "epubcheck"]
    assert any("dc:language" in f.message and f.where.startswith("EPUB/content.opf") for f in epubcheck)


def test_cli_passes_a_book_without_epubcheck_but_does_not_call_it_kindle_ready(sample_epub):
    result = CliRunner().invoke(cli, ["check", str(sample_epub), "--no-epubcheck"])
    assert result.exit_code == 0, result.output
    assert "Kindle rules passed; EPUBCheck not run (--no-epubcheck)" in result.output
    assert "Kindle-ready" not in result.output  # that takes EPUBCheck (the README's definition)


def test_cli_names_the_file_and_rule_and_exits_one(sample_epub, tmp_path):
    book = mutate(sample_epub, tmp_path / "no-alt.epub", BREAKS["img-alt"])
    result = CliRunner().invoke(cli, ["check", str(book), "--no-epubcheck"])
    assert result.exit_code == 1
    assert "NOT Kindle-ready" in result.output
    assert re.search(r"\[img-alt\] EPUB/a01-[^:]+\.xhtml:\d+: <img src=\"images/photo\.png\"> has no alt",
                     result.output)


def test_cli_json_lists_violations_for_machines(sample_epub, tmp_path):
    book = mutate(sample_epub, tmp_path / "fixed.epub", BREAKS["css-position-fixed"])
    result = CliRunner().invoke(cli, ["check", str(book), "--json", "--no-epubcheck"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False and "epubcheck" in report["rules"]
    [entry] = report["books"]
    assert entry["path"] == str(book) and entry["size"] == book.stat().st_size
    assert [(v["rule"], v["where"]) for v in entry["violations"]] == [("css-position-fixed", "EPUB/digest.css")]


@pytest.mark.parametrize("make", [
    lambda tmp: tmp / "missing.epub",
    lambda tmp: (tmp / "notes.epub").write_text("not a zip") and tmp / "notes.epub",
    lambda tmp: tmp,
], ids=["missing", "not-a-zip", "folder-without-epub"])
def test_cli_unreadable_input_exits_two_naming_it(make, tmp_path):
    path = make(tmp_path)
    result = CliRunner().invoke(cli, ["check", str(path), "--no-epubcheck"])
    assert result.exit_code == 2
    assert f"error: {path}" in result.output


@pytest.mark.slow  # a whole build
def test_build_refuses_to_publish_a_book_that_breaks_a_rule(project_copy):
    theme = project_copy / "theme"
    theme.mkdir()
    (theme / "digest.css").write_text(DEFAULT_CSS.read_text(encoding="utf-8") + "\nbody { color: #222; }\n")
    config = load_config(write_publication(project_copy, sample=True, output={"templates": "theme"}))
    with pytest.raises(NotKindleReady, match=r"architecture-monthly-2018-02\.epub is not Kindle-ready") as raised:
        build_issue(config, Month.parse("2018-02"))
    assert "[css-body-color] EPUB/digest.css" in str(raised.value)
    assert not (config.output.dir / config.publication.slug / "2018-02").exists()


def test_a_rebuilt_book_with_the_same_bytes_gets_its_first_checks_report_warnings_included(sample_epub, tmp_path):
    book = mutate(sample_epub, tmp_path / "long.epub", WARNS["xhtml-size"])
    sha256 = hashlib.sha256(book.read_bytes()).hexdigest()
    ran = []

    def epubcheck(path):
        ran.append(path.name)
        return run_epubcheck(path)

    with memory_cache() as cache:
        first = kindle_ready_once(cache, book, sha256, epubcheck)
        again = kindle_ready_once(cache, book, sha256, epubcheck)
        assert ran == ["long.epub"]
        assert [f.rule for f in first.warnings] == ["xhtml-size"] and first.ok and not first.notes
        assert again == first

        broken = mutate(sample_epub, tmp_path / "broken.epub", BREAKS["remote-resource"])
        broken_sha256 = hashlib.sha256(broken.read_bytes()).hexdigest()
        assert not kindle_ready_once(cache, broken, broken_sha256, epubcheck).ok
        assert not kindle_ready_once(cache, broken, broken_sha256, epubcheck).ok
        assert ran == ["long.epub", "broken.epub", "broken.epub"]  # a failed check is run again
