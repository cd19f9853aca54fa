"""A wheel built from the repository works on its own, as `pip install .` or pipx would leave it.

The wheel is installed (not editable) into a fresh virtualenv that sees the third-party
packages of this one but not its editable `digest`; the installed `digest` then builds
the sample issue in a folder holding only the config, the issue files and the feed
snapshots, and its EPUB passes EPUBCheck.
"""

from __future__ import annotations

import json
import os
import shutil
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


def test_installed_wheel_builds_the_sample_issue(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    source = tmp_path / "source"  # a copy, so the in-tree build writes nothing into the repository
    shutil.copytree(ROOT, source, ignore=NOT_SOURCES)
    # No build isolation: the build backend comes from this virtualenv, not from an index.
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
        "--wheel-dir", tmp_path / "wheels", source, cwd=tmp_path, env=env)
    [wheel] = (tmp_path / "wheels").glob("digest-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"digest/_theme/css/digest.css", "digest/_theme/templates/article.xhtml"} <= names, sorted(names)
    assert any(name.startswith("digest/_theme/fonts/") and name.endswith(".ttf") for name in names)
    assert "digest/ebook/EpubCheckServer.java" in names  # the warm java a build starts (digest.ebook.primed)

    fresh = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", fresh, cwd=tmp_path, env=env)
    python = fresh / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", wheel,
        cwd=tmp_path, env=env)
    # The third-party packages come from this virtualenv's site-packages, added as plain
    # paths: its .pth files (the editable digest's finder among them) are not run there.
    fresh_site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                          cwd=tmp_path, env=env).stdout.strip())
    ours = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (fresh_site / "third_party.pth").write_text("".join(f"{path}\n" for path in ours), encoding="utf-8")
    located = run(python, "-c", "import digest, digest.core.theme as t; print(digest.__file__); print(t.DEFAULT_CSS)",
                  cwd=tmp_path, env=env).stdout.split()
    assert all(Path(path).is_relative_to(fresh_site / "digest") for path in located), located

    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "digest.toml", project)
    for folder in ("issues", "assets/sample-feeds"):
        shutil.copytree(ROOT / folder, project / folder)
    digest = fresh / "bin" / "digest"
    run(digest, "build", "--month", "2018-01", cwd=project, env=env)
    epub = project / "dist" / "architecture-monthly" / "2018-01" / "architecture-monthly-2018-01.epub"
    assert epub.is_file()

    checked = subprocess.run([str(digest), "check", "--json", str(epub)], cwd=project, env=env,
                             capture_output=True, text=True, timeout=TIMEOUT)
    [book] = json.loads(checked.stdout)["books"]
    assert book["notes"] == []  # EPUBCheck did run
    assert [f for f in book["violations"] + book["warnings"] if f["rule"] == "epubcheck"] == []
    assert checked.returncode == 0 and book["ok"], checked.stdout
