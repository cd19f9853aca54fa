"""The month bundle, the yearly bundle, `digest verify`, and atomic publishing."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from conftest import ROOT
from digest.publish.bundle import MANIFEST, write_bundle
from digest.cli import cli
from digest.core.errors import BuildError
from digest.core.month import Month
from digest.pipeline import build_issue
from digest.publish.site import publish_year_bundle

pytestmark = pytest.mark.slow  # publishes the sample issues, built whole (EPUBCheck, calibre)

SCHEMA = json.loads((ROOT / "schemas" / "manifest.schema.json").read_text(encoding="utf-8"))
SLUG = "architecture-monthly"


def tree_hashes(root: Path) -> dict[str, str]:
    """Every file under ``root`` (hidden ones too) and the SHA-256 of its bytes."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def publication_root(sample_builds) -> Path:
    return sample_builds["2018-01"].epub.parent.parent


@pytest.fixture
def published_copy(sample_config, sample_builds, tmp_path):
    """A config whose output folder is a private copy of the published samples (a test may break it)."""
    shutil.copytree(publication_root(sample_builds), tmp_path / "dist" / SLUG)
    config = sample_config.with_output_dir(tmp_path / "dist")
    return replace(config, store=replace(config.store, path=tmp_path / "store.sqlite3"))


def epub_only(config):
    """Skip calibre where a test is about publishing, not the Kindle formats."""
    return replace(config, output=replace(config.output, formats=("epub",)))


@pytest.mark.parametrize("month", ["2018-01", "2018-02"])
def test_manifest_validates_against_its_schema_and_its_checksums_match(sample_builds, month):
    folder = sample_builds[month].epub.parent
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(manifest)

    for entry in manifest["files"]:
        data = (folder / entry["name"]).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["size"], entry["sha256"]), entry["name"]
    listed = {e["name"] for e in manifest["files"]} | {MANIFEST, manifest["zip"]}
    assert listed == {p.name for p in folder.iterdir()}, "every file in the folder is described"


def test_manifest_describes_what_the_reader_gets(sample_builds):
    result = sample_builds["2018-01"]
    manifest = json.loads((result.epub.parent / MANIFEST).read_text(encoding="utf-8"))
    issue = result.issue
    assert (manifest["month"], manifest["volume"], manifest["number"]) == ("2018-01", 1, 1)
    assert manifest["identifier"] == issue.identifier
    assert manifest["issued"] == "2018-01-01T00:00:00Z" and manifest["time_source"].startswith("issue-month")
    assert [a["title"] for a in manifest["articles"]] == [a.title for a in issue.articles]
    assert all(a["word_count"] > 0 and a["url"].startswith("https://") for a in manifest["articles"])
    assert {a["section_title"] for a in manifest["articles"]} == {s.section.title for s in issue.sections}
    assert len(manifest["curated_links"]) == sum(len(g.links) for g in issue.curated)
    assert [s["title"] for s in manifest["skipped"]] == [s.title for s in result.skipped]
    roles = {e["role"]: e["media_type"] for e in manifest["files"]}
    assert roles["epub"] == "application/epub+zip" and roles["cover"] == "image/jpeg"
    assert "thumbnail" in roles
    if shutil.which("ebook-convert"):
        assert roles["azw3"] == "application/x-mobi8-ebook"
        assert roles["mobi"] == "application/x-mobipocket-ebook"
    assert {p.name for p in result.files} >= {e["name"] for e in manifest["files"]}


def test_zip_holds_the_whole_bundle_with_fixed_timestamps(sample_builds):
    folder = sample_builds["2018-02"].epub.parent
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    with zipfile.ZipFile(folder / manifest["zip"]) as archive:
        names = archive.namelist()
        assert names[0] == f"{SLUG}-2018-02/{MANIFEST}"
        assert names[1:] == [f"{SLUG}-2018-02/{e['name']}" for e in manifest["files"]]
        for name in names:
            assert archive.read(name) == (folder / Path(name).name).read_bytes()
        assert {info.date_time for info in archive.infolist()} == {(2018, 2, 1, 0, 0, 0)}


def test_same_ebooks_give_the_same_manifest_and_zip_bytes(sample_builds, tmp_path):
    result = sample_builds["2018-01"]
    outputs = []
    for name in ("one", "two"):
        stage = tmp_path / name
        stage.mkdir()
        shutil.copy(result.epub, stage / result.epub.name)
        files = write_bundle(stage, f"{SLUG}-2018-01", result.issue, skipped=result.skipped)
        outputs.append({f: (stage / f).read_bytes() for f in files})
    assert outputs[0] == outputs[1]


def test_verify_accepts_a_good_bundle_and_reports_each_tampered_file(published_copy):
    runner = CliRunner()
    folder = published_copy.output.dir / SLUG / "2018-01"
    good = runner.invoke(cli, ["verify", str(folder)])
    assert good.exit_code == 0, good.output
    listed = len(json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["files"])
    assert good.output == f"ok: {listed} files match the manifest\n"  # the zip's copies are not counted again

    epub = next(folder.glob("*.epub"))
    data = bytearray(epub.read_bytes())
    data[len(data) // 2] ^= 0xFF
    epub.write_bytes(bytes(data))
    next(folder.glob("*-thumbnail.jpg")).unlink()
    (folder / "stray.txt").write_text("not from the build")

    bad = runner.invoke(cli, ["verify", str(folder)])
    assert bad.exit_code == 1
    assert f"{epub.name}: SHA-256" in bad.output
    assert "-thumbnail.jpg: missing" in bad.output
    assert "stray.txt: not listed in the manifest" in bad.output
    # The zip still holds the original files, so only the folder is reported.
    assert ".zip!" not in bad.output


def test_verify_reports_a_tampered_zip_member(published_copy, tmp_path):
    source = published_copy.output.dir / SLUG / "2018-02" / f"{SLUG}-2018-02.zip"
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(tampered, "w") as out:
        for info in original.infolist():
            data = original.read(info)
            out.writestr(info, data + b"x" if info.filename.endswith(".epub") else data)
    result = CliRunner().invoke(cli, ["verify", str(tampered)])
    assert result.exit_code == 1
    assert f"{SLUG}-2018-02.epub: size" in result.output

    not_a_bundle = CliRunner().invoke(cli, ["verify", str(tmp_path)])
    assert not_a_bundle.exit_code == 2 and "manifest" in not_a_bundle.output


def test_yearly_bundle_holds_every_issue_of_the_year(published_copy):
    target = publish_year_bundle(published_copy, 2018)
    assert target.name == f"{SLUG}-2018.zip"
    with zipfile.ZipFile(target) as archive:
        manifests = sorted(n for n in archive.namelist() if n.endswith(MANIFEST))
    assert manifests == [f"{SLUG}-2018/2018-01/{MANIFEST}", f"{SLUG}-2018/2018-02/{MANIFEST}"]
    check = CliRunner().invoke(cli, ["verify", str(target)])
    assert check.exit_code == 0, check.output
    assert target.name in (target.parent / "index.html").read_text(encoding="utf-8")

    nothing = CliRunner().invoke(cli, ["bundle", "--config", str(ROOT / "digest.toml"),
                                       "--out", str(published_copy.output.dir), "--year", "2016"])
    assert nothing.exit_code == 2 and "no issues of 2016" in nothing.output


def test_a_build_that_fails_midway_leaves_everything_published_byte_identical(published_copy, tmp_path):
    root = published_copy.output.dir / SLUG
    before = tree_hashes(root)
    theme = tmp_path / "theme"
    (theme / "site").mkdir(parents=True)
    # The book renders with the default theme; the site template breaks after the ebooks are staged.
    (theme / "site" / "index.html").write_text("{{ this_variable_does_not_exist }}\n")
    broken = replace(epub_only(published_copy),
                     output=replace(epub_only(published_copy).output, templates_dir=theme))

    with pytest.raises(BuildError, match="index.html"):
        build_issue(broken, Month.parse("2018-01"))
    assert tree_hashes(root) == before
    assert not [p.name for p in root.iterdir() if p.name.startswith(".")], "no staging folder left behind"


def test_rebuilding_a_month_replaces_it_whole(published_copy):
    root = published_copy.output.dir / SLUG
    result = build_issue(epub_only(published_copy), Month.parse("2018-01"))
    folder = root / "2018-01"
    assert not list(folder.glob("*.azw3")) and not list(folder.glob("*.mobi")), "old formats removed"
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    assert [e["role"] for e in manifest["files"]] == ["epub", "cover", "thumbnail"]
    assert {p.name for p in result.files} == {p.name for p in folder.iterdir()}
    opds = (root / "opds.xml").read_text(encoding="utf-8")
    assert opds.count(f"<id>{result.issue.identifier}</id>") == 1


def test_a_month_without_articles_publishes_nothing_unless_forced(published_copy):
    root = published_copy.output.dir / SLUG
    before = tree_hashes(root)
    config = epub_only(published_copy)
    with pytest.raises(BuildError, match="no articles for March 2018"):
        build_issue(config, Month.parse("2018-03"))
    assert tree_hashes(root) == before

    forced = build_issue(config, Month.parse("2018-03"), allow_empty=True)
    manifest = json.loads((forced.epub.parent / MANIFEST).read_text(encoding="utf-8"))
    jsonschema.validate(manifest, SCHEMA)
    assert manifest["articles"] == []
    assert "2018-03.html" in (root / "index.html").read_text(encoding="utf-8")
