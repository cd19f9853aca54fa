"""``digest verify``: every file of a bundle against its manifest's sizes and SHA-256.

A bundle is a month folder, its ``manifest.json``, a month zip or a yearly zip (which
holds one manifest per month). Files and members are hashed as they stream, each read no
further than a cap, and a zip no further than a total cap: a small zip that unpacks to
gigabytes (a zip bomb) is reported, not unpacked into memory.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from digest.core.errors import BundleError
from digest.core.vocabulary import MB
from digest.core.zips import OverCap, hash_stream, read_capped
from digest.publish.bundle import MANIFEST
from digest.publish.catalog import MANIFEST_CAP, MONTH_DIR_RE, load_manifest, parse_manifest
from digest.publish.staging import settle

FILE_CAP = 500 * MB
"""Largest file or member hashed: a month's three ebooks (EPUB under Send to Kindle's 50 MB)
and their month zip fit several times over."""
TOTAL_CAP = 8_000 * MB
"""Largest sum of members unpacked from one zip (a yearly zip holds twelve month zips)."""


@dataclass(frozen=True)
class Verification:
    checked: int
    mismatches: tuple[str, ...]


def verify(path: Path) -> Verification:
    """Compare every file of a bundle (month folder, month zip or yearly zip) with its manifest."""
    if MONTH_DIR_RE.match(path.name):
        settle(path)  # a build killed while swapping this month: finish its swap first
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
        with target.open("rb") as source:
            mismatches.extend(_compare(str(target), source, entry))
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
        members = {info.filename: info for info in archive.infolist()}
        manifests = sorted(n for n in members if PurePosixPath(n).name == MANIFEST)
        if not manifests:
            raise BundleError(f"{path}: no {MANIFEST} inside")
        checked, mismatches, unpacked = 0, [], 0
        for manifest_name in manifests:
            where = f"{path}!{manifest_name}"
            try:
                manifest = parse_manifest(read_capped(archive, members[manifest_name], MANIFEST_CAP), where)
            except OverCap as exc:
                raise BundleError(f"{where}: {exc}") from None
            base = PurePosixPath(manifest_name).parent
            for entry in manifest["files"]:
                member = str(base / entry["name"]) if str(base) != "." else entry["name"]
                checked += 1
                if member not in members:
                    mismatches.append(f"{path}!{member}: missing")
                    continue
                declared = members[member].file_size
                if declared != entry.get("size"):  # zipfile unpacks exactly this much, or fails
                    mismatches.append(f"{path}!{member}: size {declared} differs from the manifest's "
                                      f"{entry.get('size')}")
                    continue
                unpacked += declared
                if unpacked > TOTAL_CAP:
                    raise BundleError(f"{path}: its members unpack to more than {TOTAL_CAP // MB} MB "
                                      "in all; not verified further")
                try:
                    with archive.open(members[member]) as source:
                        mismatches.extend(_compare(f"{path}!{member}", source, entry))
                except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError) as exc:
                    mismatches.append(f"{path}!{member}: cannot be unpacked: {exc}")
    return Verification(checked, tuple(mismatches))


def _compare(where: str, source: IO[bytes], entry: dict) -> list[str]:
    try:
        size, digest = hash_stream(source, FILE_CAP)
    except OverCap as exc:
        return [f"{where}: {exc}; the manifest says {entry.get('size')} bytes"]
    problems = []
    if size != entry.get("size"):
        problems.append(f"{where}: size {size} differs from the manifest's {entry.get('size')}")
    if digest != entry.get("sha256"):
        problems.append(f"{where}: SHA-256 {digest[:12]}... differs from the manifest's "
                        f"{str(entry.get('sha256'))[:12]}...")
    return problems
