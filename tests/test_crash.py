"""kill -9 during `digest build`: the published month, the store and the next run survive.

A real `digest build` subprocess reads a loopback blog. It is killed (SIGKILL) once while
stalled on an image download, and once while its staging folder exists (checking and
packaging the EPUB). After each kill the month published earlier is byte-identical and
the store passes PRAGMA integrity_check; the next build succeeds and leaves no staging
folder, and no version but the published one.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from factory import write_publication
from test_faults import item, png, rss, xml_reply
from loopback import LoopbackServer, Reply

pytestmark = pytest.mark.slow  # `digest build` subprocesses, killed and run again

DIGEST = Path(sys.executable).parent / "digest"
TEXT = "Idempotent consumers make retries safe. " * 30


def write_project(root: Path, server: LoopbackServer) -> Path:
    return write_publication(root, publication={"title": "Crash Monthly", "slug": "crash"},
                             sources=[{"name": "Blog", "url": server.url("/feed.xml"), "section": "main"}],
                             fetch={"retries": 0, "timeout": 60, "allow_private_hosts": [server.host]}, output={"dir": "out"})


def feed(server: LoopbackServer, posts: int) -> Reply:
    items = "".join(item(f"Post {n}", server.url(f"/post/{n}"), f"p{n}",
                         f'<p>{TEXT}</p><p><img src="{server.url(f"/img/{n}.png")}" alt="Figure {n}"></p>', day=2 + n)
                    for n in range(posts))
    return xml_reply(rss(items))


def digest_build(config: Path) -> subprocess.Popen:
    return subprocess.Popen([str(DIGEST), "-q", "build", "--config", str(config), "--month", "2018-01"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def integrity(store: Path) -> str:
    with sqlite3.connect(store) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def wait_for(condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_kill_during_build_leaves_published_month_and_store_intact(tmp_path):
    stall, stalled = threading.Event(), threading.Event()

    def stalling_image(handler):
        stalled.set()
        stall.wait(120)  # until the test lets go (the build is killed long before)
        return Reply(200, png(), {"Content-Type": "image/png"})

    with LoopbackServer() as server:
        for n in range(3):
            server.routes[f"/img/{n}.png"] = Reply(200, png(), {"Content-Type": "image/png"})
        server.routes["/feed.xml"] = feed(server, 2)
        config = write_project(tmp_path, server)
        first = digest_build(config)
        assert first.wait(300) == 0, first.stdout.read().decode()
        months = tmp_path / "out" / "crash"
        published = tree_hashes(months / "2018-01")
        store = tmp_path / "digest.sqlite3"

        # 1. Killed while stalled on a new image.
        server.routes["/feed.xml"] = feed(server, 3)
        server.routes["/img/2.png"] = stalling_image
        victim = digest_build(config)
        assert stalled.wait(120), "the build never asked for the stalled image"
        os.kill(victim.pid, signal.SIGKILL)
        assert victim.wait(30) == -signal.SIGKILL
        assert tree_hashes(months / "2018-01") == published
        assert integrity(store) == "ok"
        stall.set()
        server.routes["/img/2.png"] = Reply(200, png((500, 300)), {"Content-Type": "image/png"})

        # 2. Killed while its staging folder exists (EPUBCheck and packaging run there).
        victim = digest_build(config)
        versions = tmp_path / "out" / ".crash-versions"
        wait_for(lambda: any(versions.glob("2018-01.building-*")) or victim.poll() is not None)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(30)
        if victim.returncode == -signal.SIGKILL:
            assert tree_hashes(months / "2018-01") == published
        assert integrity(store) == "ok"

        # 3. The next run succeeds, publishes the new post and cleans up after the killed one.
        rerun = digest_build(config)
        output = rerun.communicate(timeout=300)[0].decode()
        assert rerun.returncode == 0, output
    assert integrity(store) == "ok"
    assert [p.name for p in months.iterdir() if p.name.startswith(".")] == []
    assert [p.name for p in versions.iterdir()] == [(months / "2018-01").resolve().name]
    assert tree_hashes(months / "2018-01") != published
    assert "Post 2" in (months / "2018-01" / "manifest.json").read_text()
