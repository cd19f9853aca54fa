"""``digest verify``: every file of a bundle against its manifest's sizes and SHA-256.

A bundle is a month folder, its ``manifest.json``, a month zip or a yearly zip (which
holds one manifest per month).
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from digest.core.errors import BundleError
from digest.publish.bundle import MANIFEST
from digest.publish.catalog import load_manifest, parse_manifest


@dataclass(frozen=True)
class Verification:
    checked: int
    mismatches: tuple[str, ...]


def verify(path: Path) -> Verification:
    """Compare every file of a bundle (month folder, month zip or yearly zip) with its manifest."""
    if path.is_dir():
        return _verify_folder(path)
    if path.name == MANIFEST:
        return _verify_folder(path.parent)
    if zipfile.is_zipfile(path):
        return _verify_zip(path)
    raise BundleError(f"{path}: not a bundle (expected a month folder, its manifest.json or a zip)")


def _verify_folder(folder: Path) -> Verification:
    manifest = load_manifest(folder / MANIFEST)
    checked, mismatches = 0, []
    listed = {MANIFEST, manifest.get("zip")}
    for entry in manifest["files"]:
        listed.add(entry["name"])
        target = folder / entry["name"]
        checked += 1
        if not target.is_file():
            mismatches.append(f"{target}: missing")
            continue
        mismatches.extend(_compare(str(target), target.read_bytes(), entry))
    mismatches.extend(f"{p}: not listed in the manifest" for p in sorted(folder.iterdir())
                      if p.name not in listed and not p.name.startswith("."))
    zip_path = folder / str(manifest.get("zip"))
    if manifest.get("zip") and zip_path.is_file():
        # The zip holds the same files: they are checked, not counted a second time.
        mismatches.extend(_verify_zip(zip_path).mismatches)
    return Verification(checked, tuple(mismatches))


def _verify_zip(path: Path) -> Verification:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BundleError(f"{path}: cannot read the zip: {exc}") from None
    with archive:
        names = set(archive.namelist())
        manifests = sorted(n for n in names if PurePosixPath(n).name == MANIFEST)
        if not manifests:
            raise BundleError(f"{path}: no {MANIFEST} inside")
        checked, mismatches = 0, []
        for manifest_name in manifests:
            manifest = parse_manifest(archive.read(manifest_name), f"{path}!{manifest_name}")
            base = PurePosixPath(manifest_name).parent
            for entry in manifest["files"]:
                member = str(base / entry["name"]) if str(base) != "." else entry["name"]
                checked += 1
                if member not in names:
                    mismatches.append(f"{path}!{member}: missing")
                    continue
                mismatches.extend(_compare(f"{path}!{member}", archive.read(member), entry))
    return Verification(checked, tuple(mismatches))


def _compare(where: str, data: bytes, entry: dict) -> list[str]:
    problems = []
    if len(data) != entry.get("size"):
        problems.append(f"{where}: size {len(data)} differs from the manifest's {entry.get('size')}")
    digest = hashlib.sha256(data).hexdigest()
    if digest != entry.get("sha256"):
        problems.append(f"{where}: SHA-256 {digest[:12]}... differs from the manifest's "
                        f"{str(entry.get('sha256'))[:12]}...")
    return problems
