"""`digest verify` does not trust the manifest: it is checked against the schema before any file is read."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from factory import write_publication

from digest.cli import cli
from digest.core.cache import memory_cache
from digest.core.configfile import load_config
from digest.core.errors import BundleError
from digest.core.month import Month
from digest.pipeline import build_issue
from digest.publish.catalog import ValidManifests, parse_manifest
from digest.publish.verify import verify


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """A real month folder (EPUB only), built once."""
    config = write_publication(tmp_path_factory.mktemp("project"), sample=True)
    return build_issue(load_config(config), Month(2018, 1)).epub.parent


@pytest.fixture
def folder(bundle, tmp_path) -> Path:
    copy = tmp_path / "site" / "2018-01"
    shutil.copytree(bundle, copy)
    return copy


def rewrite(folder: Path, change) -> None:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    change(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def run_verify(path: Path):
    return CliRunner().invoke(cli, ["verify", str(path)])


def test_a_good_bundle_still_verifies(folder):
    result = run_verify(folder)
    assert result.exit_code == 0 and result.output.startswith("ok: ")


@pytest.mark.parametrize("name", ["../secret.txt", "../../secret.txt", "..", ".", "sub/file", "a\\b"])
def test_file_names_must_be_plain_names(folder, name):
    # A file outside the bundle whose size and checksum the manifest states correctly:
    # a verifier that followed the name would report it as fine.
    secret = folder.parent / "secret.txt"
    secret.write_bytes(b"not part of any bundle\n")
    entry = {"name": name, "role": "extra", "media_type": "text/plain", "size": secret.stat().st_size,
             "sha256": hashlib.sha256(secret.read_bytes()).hexdigest()}
    rewrite(folder, lambda manifest: manifest["files"].append(entry))

    result = run_verify(folder)

    assert result.exit_code == 2, result.output
    assert "not a valid digest manifest" in result.output and "$.files[" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("change", [
    lambda m: m.update(files=[1]),
    lambda m: m.update(files="manifest.json"),
    lambda m: m.update(files=None),
    lambda m: m["files"][0].update(size="12"),
    lambda m: m["files"][0].update(name=3),
    lambda m: m["files"][0].pop("sha256"),
    lambda m: m.update(zip=["x"]),
    lambda m: m.clear(),
], ids=["int-entry", "string-list", "null-list", "string-size", "int-name", "no-sha256", "list-zip", "empty"])
def test_wrong_types_are_a_clear_error(folder, change):
    rewrite(folder, change)
    result = run_verify(folder)
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    [line] = result.output.splitlines()
    assert line.startswith(f"error: {folder / 'manifest.json'}: not a valid digest manifest: $")


@pytest.mark.parametrize("document", [b"[1, 2]", b'"files"', b"null", b"[" * 100_000])
def test_a_manifest_that_is_not_an_object_is_a_clear_error(folder, document):
    (folder / "manifest.json").write_bytes(document)
    result = run_verify(folder)
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output and len(result.output.splitlines()) == 1


def test_a_hostile_manifest_inside_a_zip_is_refused(folder, tmp_path):
    rewrite(folder, lambda manifest: manifest["files"].append(
        {"name": "../../etc/passwd", "role": "extra", "media_type": "text/plain", "size": 1, "sha256": "0" * 64}))
    archive = tmp_path / "hostile.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in folder.iterdir():
            zipped.write(path, f"2018-01/{path.name}")
    with pytest.raises(BundleError, match=r"hostile.zip!2018-01/manifest.json: not a valid digest manifest"):
        verify(archive)


def test_a_manifest_remembered_as_valid_is_trusted_byte_for_byte_only(bundle):
    data = (bundle / "manifest.json").read_bytes()
    valid = ValidManifests(memory_cache())
    assert not valid.known(data)
    assert parse_manifest(data, "manifest.json", valid) == json.loads(data)
    assert valid.known(data)  # a rebuild reading it again skips the schema
    manifest = json.loads(data)
    manifest["files"] = [1]
    with pytest.raises(BundleError, match="not a valid digest manifest"):
        parse_manifest(json.dumps(manifest).encode(), "manifest.json", valid)
