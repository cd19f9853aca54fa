"""The java kit of EPUBCheck (digest.ebook.javakit): made once and reused, no signed jar on its
classpath, the same findings as EPUBCheck's own jar, made again when damaged, and the server's
source mode when it cannot be made.

Real java, its compiler and the real EPUBCheck jar throughout; each test has a cache of its own.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import zipfile

import pytest
from test_check import mutate

from digest.core.machinecache import DAY
from digest.core.machinecache import UNUSED_DAYS as KIT_UNUSED_DAYS
from digest.ebook import check
from digest.ebook.check import epubcheck_jar, run_epubcheck
from digest.ebook.javakit import MAIN_CLASS, SERVER, SIGNATURE, java_kit
from digest.ebook.primed import WarmJava, _write_primer, primed_checkers

JAVA = shutil.which("java")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder


@pytest.fixture
def primer(tmp_path):
    return _write_primer(tmp_path / "primer.epub")


def make_kit():
    jar = epubcheck_jar()
    assert JAVA is not None and jar is not None
    return java_kit(JAVA, jar, SERVER), jar


def test_the_kit_is_made_once_and_reused(cache):
    kit, _ = make_kit()
    assert kit is not None and kit.server.parent.parent == cache / "digest"
    made = kit.server.stat().st_mtime_ns, kit.saxon.stat().st_mtime_ns
    again, _ = make_kit()
    assert again == kit and (again.server.stat().st_mtime_ns, again.saxon.stat().st_mtime_ns) == made
    assert [path.name for path in (cache / "digest").iterdir()] == [kit.server.parent.name]  # nothing left over


def test_a_new_kit_removes_the_kits_unused_for_a_month_and_a_used_kit_is_dated_to_its_use(cache):
    old, recent = cache / "digest" / "javakit-0000000000000000", cache / "digest" / "javakit-1111111111111111"
    for folder, days in ((old, KIT_UNUSED_DAYS + 1), (recent, KIT_UNUSED_DAYS - 1)):  # kits of older javas
        (folder / "saxon.jar").parent.mkdir(parents=True)
        (folder / "saxon.jar").write_bytes(b"x" * 1000)
        os.utime(folder, (time.time() - days * DAY,) * 2)
    kit, _ = make_kit()
    assert kit is not None
    assert sorted(path.name for path in (cache / "digest").iterdir()) == sorted(
        [recent.name, kit.server.parent.name])  # the month-old one went, the other may still serve
    os.utime(kit.server.parent, (time.time() - 2 * DAY,) * 2)
    assert make_kit()[0] == kit
    assert time.time() - kit.server.parent.stat().st_mtime < DAY  # used today


def test_the_kits_classpath_holds_no_signed_jar(cache):
    kit, jar = make_kit()
    assert kit is not None
    classpath = kit.classpath(jar).split(os.pathsep)
    for path in classpath:
        with zipfile.ZipFile(path) as archive:
            assert not [name for name in archive.namelist() if SIGNATURE.fullmatch(name)], path
    # Saxon's classes come first, from the unsigned copy, not from the signed jar epubcheck's manifest names.
    with zipfile.ZipFile(classpath[0]) as saxon:
        assert "net/sf/saxon/Transform.class" in saxon.namelist()
        assert b"Digest" not in saxon.read("META-INF/MANIFEST.MF")


def test_epubcheck_from_the_kit_finds_what_it_finds_from_its_jar(cache, primer, tmp_path, monkeypatch):
    broken = mutate(primer, tmp_path / "no-language.epub", lambda files: files.update(
        {"OEBPS/content.opf": files["OEBPS/content.opf"].replace(b"<dc:language>en</dc:language>", b"")}))
    with primed_checkers() as checkers:
        warm = checkers.epubcheck
        assert isinstance(warm, WarmJava)
        found = warm(broken)
        assert warm._process.args[-1] == MAIN_CLASS  # the compiled server, not its source
    assert found == run_epubcheck(broken)  # a one-off java, with the kit's Saxon
    monkeypatch.setattr(check, "java_kit", lambda *args: None)
    assert found == run_epubcheck(broken)  # java -jar epubcheck.jar, as without a kit
    assert any("dc:language" in finding.message for finding in found[0])


def test_a_damaged_kit_is_made_again(cache, primer, caplog):
    kit, _ = make_kit()
    assert kit is not None
    kit.server.write_bytes(kit.server.read_bytes()[:100])  # cut short, as by a full disk
    with caplog.at_level(logging.INFO, logger="digest.core.machinecache"):
        with primed_checkers() as checkers:
            warm = checkers.epubcheck
            assert isinstance(warm, WarmJava)
            assert warm(primer) == ((), ())
            assert warm._process.args[-1] == MAIN_CLASS
    assert "damaged" in caplog.text
    with zipfile.ZipFile(kit.server) as server:
        assert server.testzip() is None


def test_a_kit_left_half_made_is_removed_when_the_kit_is_made(cache):
    # A process killed while making a kit leaves its hidden folder, never renamed into place.
    left = cache / "digest" / ".javakit-0123456789abcdef-killed"
    (left / "classes").mkdir(parents=True)
    (left / "server.jar").write_bytes(b"PK\x03\x04 cut short")
    os.utime(left, (0, 0))
    kit, _ = make_kit()
    assert kit is not None and kit.server.is_file()
    assert not left.exists()


def test_without_a_writable_cache_the_server_runs_from_its_source(tmp_path, monkeypatch, primer, caplog):
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "a-file" / "cache"))
    with caplog.at_level(logging.INFO, logger="digest.ebook.javakit"):
        kit, _ = make_kit()
        assert kit is None
        with primed_checkers() as checkers:
            warm = checkers.epubcheck
            assert isinstance(warm, WarmJava)
            assert warm(primer) == ((), ())
            assert warm._process.args[-1] == str(SERVER)
    assert caplog.text.count("no java kit") == 2  # one line each time


def test_a_server_that_does_not_compile_gives_no_kit(cache, tmp_path, caplog):
    broken = tmp_path / "EpubCheckServer.java"
    broken.write_text("public class EpubCheckServer { oops }\n", encoding="utf-8")
    jar = epubcheck_jar()
    assert JAVA is not None and jar is not None
    with caplog.at_level(logging.INFO, logger="digest.ebook.javakit"):
        assert java_kit(JAVA, jar, broken) is None
    assert "compiling EpubCheckServer.java failed" in caplog.text
    assert [path.name for path in (cache / "digest").iterdir()] == []  # the half-made kit is gone
