"""A wheel built from the repository works on its own, as `pip install .` or pipx would leave it.

The wheel is built without a warning and installed (not editable) into a fresh virtualenv
that sees the third-party packages of this one but not its editable `digest`; the
installed `digest` then builds the sample issue in a folder holding only the config, the
issue files and the feed snapshots, and its EPUB passes EPUBCheck. And the oldest pip
supported installs the wheel with its dependencies from the package index.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from factory import ROOT

pytestmark = pytest.mark.slow
TIMEOUT = 600
# What a source tree holds beyond the sources: build output, caches, local state.
NOT_SOURCES = shutil.ignore_patterns(".git", ".venv", "venv", "dist", "build", "*.egg-info", "__pycache__",
                                     ".pytest_cache", "*.sqlite3*")


def run(*command, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done


ENV = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
OLDEST_PIP = "23.2.1"
"""The oldest pip the project supports: the one `python3 -m venv` brings with Python 3.11.
pip before 23.3 fails when two dependencies spell one extra differently (lxml[html-clean]
and lxml[html_clean]), so this is the pip that tells whether the dependencies agree."""
INDEX = ("pypi.org", 443)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built as `pip install .` builds it; setuptools may print no warning doing so."""
    tmp_path = tmp_path_factory.mktemp("wheel")
    source = tmp_path / "source"  # a copy, so the in-tree build writes nothing into the repository
    shutil.copytree(ROOT, source, ignore=NOT_SOURCES)
    # No build isolation: the build backend comes from this virtualenv (the locked setuptools), not an index.
    built = run(sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation", "--no-index",
                "--wheel-dir", tmp_path / "wheels", source, cwd=tmp_path, env=ENV)
    warnings = [line for line in (built.stdout + built.stderr).splitlines() if re.search(r"(?i)warning", line)]
    assert warnings == [], "\n".join(warnings)  # e.g. a `project.license` table, deprecated by setuptools
    [found] = (tmp_path / "wheels").glob("digest_publisher-*.whl")
    return found


def test_the_wheel_carries_the_theme_and_declares_its_license(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"digest/_theme/css/digest.css", "digest/_theme/templates/article.xhtml"} <= names, sorted(names)
    assert any(name.startswith("digest/_theme/fonts/") and name.endswith(".ttf") for name in names)
    assert "digest/ebook/EpubCheckServer.java" in names  # the warm java a build starts (digest.ebook.primed)
    [metadata] = [name for name in names if name.endswith(".dist-info/METADATA")]
    fields = zipfile.ZipFile(wheel).read(metadata).decode("utf-8").split("\n\n")[0].splitlines()
    assert "Name: digest-publisher" in fields and "License-Expression: MIT" in fields
    assert "digest_publisher-0.1.0.dist-info/licenses/LICENSE" in names


def test_the_oldest_supported_pip_installs_the_wheel_in_a_fresh_virtualenv(wheel, tmp_path):
    """`python3 -m venv v && v/bin/pip install .` as a stranger runs it, dependencies from the index."""
    try:
        socket.create_connection(INDEX, timeout=5).close()
    except OSError as exc:
        pytest.skip(f"the package index is out of reach ({exc}): the dependencies come from it")
    fresh = tmp_path / "venv"
    run(sys.executable, "-m", "venv", fresh, cwd=tmp_path, env=ENV)
    pip = [str(fresh / "bin" / "python"), "-m", "pip"]
    if run(*pip, "--version", cwd=tmp_path, env=ENV).stdout.split()[1] != OLDEST_PIP:
        run(*pip, "install", "--quiet", f"pip=={OLDEST_PIP}", cwd=tmp_path, env=ENV)
    assert run(*pip, "--version", cwd=tmp_path, env=ENV).stdout.split()[1] == OLDEST_PIP
    installed = subprocess.run([*pip, "install", str(wheel)], cwd=tmp_path, env=ENV, capture_output=True,
                               text=True, timeout=TIMEOUT)
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    assert "AssertionError" not in installed.stderr
    version = run(fresh / "bin" / "python", "-c",
                  "import importlib.metadata as m; print(m.version('digest-publisher'))",
                  cwd=tmp_path, env=ENV)
    assert version.stdout.strip() == "0.1.0"
    # What an extra spelt two ways could leave out: pip 23.2 takes lxml[html_clean] for another
    # extra than lxml's html-clean and installs nothing for it; jusText needs lxml.html.clean.
    run(fresh / "bin" / "python", "-c", "import lxml.html.clean, justext, trafilatura, readability",
        cwd=tmp_path, env=ENV)
    assert "Usage: digest" in run(fresh / "bin" / "digest", "--help", cwd=tmp_path, env=ENV).stdout


def test_installed_wheel_builds_the_sample_issue(wheel, tmp_path):
    fresh = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", fresh, cwd=tmp_path, env=ENV)
    python = fresh / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", wheel,
        cwd=tmp_path, env=ENV)
    # The third-party packages come from this virtualenv's site-packages, added as plain
    # paths: its .pth files (the editable digest's finder among them) are not run there.
    fresh_site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                          cwd=tmp_path, env=ENV).stdout.strip())
    ours = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (fresh_site / "third_party.pth").write_text("".join(f"{path}\n" for path in ours), encoding="utf-8")
    located = run(python, "-c", "import digest, digest.core.theme as t; print(digest.__file__); print(t.DEFAULT_CSS)",
                  cwd=tmp_path, env=ENV).stdout.split()
    assert all(Path(path).is_relative_to(fresh_site / "digest") for path in located), located

    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "digest.toml", project)
    for folder in ("issues", "assets/sample-feeds", "assets/sample-documents"):
        shutil.copytree(ROOT / folder, project / folder)
    digest = fresh / "bin" / "digest"
    run(digest, "build", "--month", "2018-01", cwd=project, env=ENV)
    epub = project / "dist" / "architecture-monthly" / "2018-01" / "architecture-monthly-2018-01.epub"
    assert epub.is_file()

    checked = subprocess.run([str(digest), "check", "--json", str(epub)], cwd=project, env=ENV,
                             capture_output=True, text=True, timeout=TIMEOUT)
    [book] = json.loads(checked.stdout)["books"]
    assert book["notes"] == []  # EPUBCheck did run
    assert [f for f in book["violations"] + book["warnings"] if f["rule"] == "epubcheck"] == []
    assert checked.returncode == 0 and book["ok"] and book["kindle_ready"], checked.stdout
