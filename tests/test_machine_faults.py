"""The machine, not the input: a build killed while swapping a month, leftovers of killed runs,
a full, read-only or unnameable output folder, and bundles that unpack to gigabytes.

Builds run as real `digest` subprocesses. A build is held between two steps of its swap by a
wrapper around os.symlink in that child (it sleeps right after creating the link), then killed
with SIGKILL; the published month, `verify`, the site and the next build are checked after.
Full and read-only disks are real tmpfs mounts (root only; skipped with the reason otherwise).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
from factory import write_publication

pytestmark = pytest.mark.slow  # `digest build` subprocesses

DIGEST = Path(sys.executable).parent / "digest"
MONTH = "2018-01"
HOLD_AT_LINK = """
import os, sys, time
real = os.symlink
def held(source, name, *args, **kwargs):
    real(source, name, *args, **kwargs)
    if os.path.basename(name).startswith(".{month}.link-"):
        open(sys.argv[1], "w").close()
        time.sleep(600)
os.symlink = held
from digest.cli import cli
cli(sys.argv[2:])
""".replace("{month}", MONTH)


def digest(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(DIGEST), *args], capture_output=True, text=True, timeout=600,
                          env=env)


def build(config: Path, *extra: str) -> subprocess.CompletedProcess:
    return digest("-q", "build", "--config", str(config), "--month", MONTH, *extra)


def tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def killed_at_link(config: Path, tmp_path: Path) -> None:
    """Run a build that holds right after creating its new month link, and SIGKILL it there."""
    marker = tmp_path / "holding"
    marker.unlink(missing_ok=True)
    victim = subprocess.Popen([sys.executable, "-c", HOLD_AT_LINK, str(marker), "-q", "build",
                               "--config", str(config), "--month", MONTH],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 600
    while not marker.exists():
        assert victim.poll() is None, victim.stdout.read().decode()
        assert time.monotonic() < deadline, "the build never reached its swap"
        time.sleep(0.05)
    os.kill(victim.pid, signal.SIGKILL)
    assert victim.wait(30) == -signal.SIGKILL


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """The sample publication (EPUB only) with 2018-01 built once; tests copy it."""
    root = tmp_path_factory.mktemp("published")
    config = write_publication(root, sample=True, output={"dir": "out"})
    done = build(config)
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def project(published, tmp_path) -> Path:
    """A copy of the published sample; its month folder stays a link into the versions."""
    shutil.copytree(published, tmp_path / "p", symlinks=True)
    return tmp_path / "p"


def months(project: Path) -> Path:
    return project / "out" / "architecture-monthly"


def assert_published_and_clean(project: Path, config: Path) -> None:
    """verify passes, the site lists the month, and nothing a killed run left remains."""
    month = months(project) / MONTH
    checked = digest("verify", str(month))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    site = digest("site", "--config", str(config))
    assert site.returncode == 0, site.stderr
    assert f"{MONTH}.html" in (months(project) / "index.html").read_text(encoding="utf-8")
    assert [p.name for p in months(project).iterdir() if p.name.startswith(".")] == []


def test_kill_during_the_swap_keeps_a_month_in_place(project, tmp_path):
    config = project / "digest.toml"
    before = tree_hashes(months(project) / MONTH)
    killed_at_link(config, tmp_path)
    # The new link exists beside the month, not yet over it: the month is the one published.
    assert tree_hashes(months(project) / MONTH) == before
    assert_published_and_clean(project, config)
    versions = project / "out" / ".architecture-monthly-versions"
    assert len(list(versions.iterdir())) == 1, "the killed build's version is swept"


def test_kill_while_a_real_month_folder_is_moved_aside_is_completed_by_the_next_run(project, tmp_path):
    """A month folder restored from a release zip is a real folder: replacing it takes two steps."""
    config = project / "digest.toml"
    month = months(project) / MONTH
    real = tree_hashes(month)
    target = month.resolve()
    month.unlink()
    shutil.copytree(target, month)
    killed_at_link(config, tmp_path)
    assert not month.exists(), "held between moving the folder aside and linking the new month"
    # verify completes the swap the killed build journaled: the new month, complete and checked.
    assert_published_and_clean(project, config)
    assert month.is_symlink() and tree_hashes(month) == real  # same inputs, same bytes
    rebuilt = build(config)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert tree_hashes(month) == real
    assert len(list((project / "out" / ".architecture-monthly-versions").iterdir())) == 1


def test_an_older_release_killed_between_its_two_renames_is_restored(project):
    """Before versions, the swap was two renames; a kill between them left `.previous-*` and no month."""
    config = project / "digest.toml"
    month = months(project) / MONTH
    published = tree_hashes(month)
    target = month.resolve()
    month.unlink()
    shutil.copytree(target, months(project) / f".{MONTH}.previous-k2j4x")
    shutil.copytree(target, months(project) / f".{MONTH}.building-4194000-abc")  # a dead process id
    shutil.rmtree(target)
    assert_published_and_clean(project, config)
    assert tree_hashes(month) == published
    rebuilt = build(config)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert month.is_symlink() and tree_hashes(month) == published


def test_temporary_folders_of_killed_runs_are_swept_by_the_next(project):
    scratch = Path(tempfile.gettempdir())
    dead = [scratch / f"digest-kindle-4194001-x{n}" for n in range(2)] + [scratch / "digest-epubcheck-4194002-y"]
    # A live process (this one) that started before its folder was made: kept.
    live = scratch / f"digest-kindle-{os.getpid()}-z"
    for folder in (*dead, live):
        folder.mkdir()
        (folder / "book.epub").write_bytes(b"left by a killed run")
    try:
        done = build(project / "digest.toml", "--out", str(project / "elsewhere"))
        assert done.returncode == 0, done.stderr
        assert [folder for folder in dead if folder.exists()] == []
        assert live.is_dir()
    finally:
        for folder in (*dead, live):
            shutil.rmtree(folder, ignore_errors=True)


# -- a full, read-only or unnameable output folder -------------------------------------------

@pytest.fixture
def mount(tmp_path):
    """Mount a tmpfs of the given size (bytes) at a fresh folder; unmounted afterwards."""
    mounted = []

    def make(size: int) -> Path:
        point = tmp_path / f"mnt{len(mounted)}"
        point.mkdir()
        if os.geteuid() != 0 or shutil.which("mount") is None:
            pytest.skip("mounting a tmpfs needs root: a full or read-only disk cannot be made otherwise "
                        "(chmod does not stop root)")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"this machine cannot mount a tmpfs: {done.stderr.strip()}")
        mounted.append(point)
        return point

    yield make
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


def published_into(project: Path, out: Path) -> Path:
    """Copy the published month (as a real folder, like a release zip restores it) into ``out``."""
    source = months(project) / MONTH
    target = out / "architecture-monthly" / MONTH
    shutil.copytree(source.resolve(), target)
    return target


def assert_one_line_error(done: subprocess.CompletedProcess, path: Path, condition: str) -> None:
    assert done.returncode == 3, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, done.stderr
    assert str(path) in errors[0] and condition in errors[0], errors[0]
    assert "nothing published was replaced" in errors[0]


def test_a_full_output_disk_is_one_line_and_replaces_nothing(project, mount):
    size = sum(p.stat().st_size for p in (months(project) / MONTH).resolve().iterdir())
    out = mount(size + 64_000)  # room for the published month, not for a second one
    month = published_into(project, out)
    before = tree_hashes(month)
    done = build(project / "digest.toml", "--out", str(out))
    assert_one_line_error(done, out, "no space left on the device")
    assert tree_hashes(month) == before


def test_a_read_only_output_is_one_line_and_replaces_nothing(project, mount):
    out = mount(20_000_000)
    month = published_into(project, out)
    before = tree_hashes(month)
    subprocess.run(["mount", "-o", "remount,ro", str(out)], check=True)
    done = build(project / "digest.toml", "--out", str(out))
    assert_one_line_error(done, out, "read-only")
    assert tree_hashes(month) == before
    site = digest("site", "--config", str(project / "digest.toml"), "--out", str(out))
    assert_one_line_error(site, out, "read-only")


def test_an_output_name_too_long_is_one_line(project):
    out = project / ("x" * 300)
    done = build(project / "digest.toml", "--out", str(out))
    assert_one_line_error(done, out, "file name too long")


# -- bundles and books that unpack to gigabytes ---------------------------------------------

GIB = 1 << 30
# VmHWM, not getrusage: the kernel carries the peak of the process that forked the child
# (this test process) into the child's ru_maxrss across exec.
PEAK_RSS = """
import sys
from digest.cli import cli
try:
    cli(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
peak = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print("peak-kb", peak, "exit", code)
"""


def peak_run(*args: str) -> tuple[int, int, str]:
    """(peak RSS in MB, exit code, output) of a digest command run in a child process."""
    done = subprocess.run([sys.executable, "-c", PEAK_RSS, *args], capture_output=True, text=True, timeout=600)
    words = done.stdout.split()
    at = words.index("peak-kb")
    return int(words[at + 1]) // 1024, int(words[at + 3]), done.stdout + done.stderr


def write_spaces(archive: zipfile.ZipFile, name: str, size: int) -> None:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as member:
        block = b" " * (1 << 20)
        for _ in range(size // len(block)):
            member.write(block)


def test_verify_streams_a_zip_bomb_in_bounded_memory(project, tmp_path):
    """A month zip whose EPUB member unpacks to 1 GiB of spaces, and a manifest that agrees."""
    month = months(project) / MONTH
    manifest = json.loads((month / "manifest.json").read_text(encoding="utf-8"))
    epub = next(f for f in manifest["files"] if f["role"] == "epub")
    spaces = hashlib.sha256()
    for _ in range(GIB >> 20):
        spaces.update(b" " * (1 << 20))
    epub["size"], epub["sha256"] = GIB, spaces.hexdigest()
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("test-2018-01/manifest.json", json.dumps(manifest))
        write_spaces(archive, f"test-2018-01/{epub['name']}", GIB)
    assert bomb.stat().st_size < 5_000_000
    peak, code, output = peak_run("verify", str(bomb))
    assert code == 1, output
    # Reading stops at the first megabyte past the cap: the size it names is where it stopped.
    assert re.search(rf"{re.escape(epub['name'])}: 50\d MB or more, over the 500 MB cap", output), output
    assert peak < 200, f"verify peaked at {peak} MB"


def test_check_refuses_a_book_that_unpacks_to_gigabytes_in_bounded_memory(tmp_path):
    book = tmp_path / "bomb.epub"
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/epub+zip", zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", "<container/>")
        write_spaces(archive, "OEBPS/chapter.xhtml", GIB)
    assert book.stat().st_size < 5_000_000
    peak, code, output = peak_run("check", str(book))
    assert code == 2, output
    assert "OEBPS/chapter.xhtml" in output and "over the 100 MB cap" in output
    assert peak < 200, f"check peaked at {peak} MB"
