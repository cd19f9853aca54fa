"""Docs as tests: every shell command in README.md and docs/*.md runs, as written, against a
scratch publication, with the network on loopback.

A command is a line of a code block (fenced, or indented after a blank line) that starts
with `digest` or `make`; a `# comment` is dropped, and so are `[optional parts]` (each
option in them must still exist). Commands run in the order the page gives them, in one
of three publications (SCENES): the sample one, the one README's "Your own publication"
starts, and the one getting-started starts (which docs/kindle.md goes on sending). Where
a page asks the reader to edit something ("replace the sample [[sources]]", "fill in
[delivery]"), EDITS does it. Only the commands in CANNOT_RUN are not run, each for its reason.
"""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
from aiosmtpd.controller import Controller
from conftest import ROOT
from loopback import LoopbackServer, Reply
from test_editor_flow import atom_feed

from digest.cli import cli
from digest.core.month import Month

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_FENCES = {"", "sh", "shell", "console", "bash"}  # ```text blocks are output

CANNOT_RUN = {
    "make issue MONTH=2018-01": "creates .venv, installs every package from the index and calibre and java "
                                "with apt-get as root: network and a second copy of the environment",
    "make publish MONTH=2018-01": "the same installation as make issue, then the commands README runs here",
    "make test": "lint and this whole suite: a test cannot run the suite it is part of",
    "make ace": "installs Ace by DAISY from the npm registry into tools/ace; `make test` does it before this "
                "suite, and tests/test_accessibility.py runs what it installed",
}

# Which publication a command runs in: (page, section or None for the whole page) -> scene.
SCENES = {
    ("README.md", "Your own publication"): "readme-init",
    ("docs/getting-started.md", None): "getting-started",
    ("docs/kindle.md", None): "getting-started",
}
# Commands that serve until stopped: run until they say where, then stopped like Ctrl-C.
SERVING = ("digest preview",)


@dataclass(frozen=True)
class Documented:
    page: str
    line: int
    section: str
    text: str
    """The command as written, without its comment."""

    @property
    def scene(self) -> str:
        return SCENES.get((self.page, self.section)) or SCENES.get((self.page, None)) or "sample"

    @property
    def args(self) -> list[str]:
        """What runs: the command without its [optional parts]."""
        return shlex.split(re.sub(r"\s*\[[^\]]*\]", "", self.text))

    @property
    def optional_options(self) -> list[str]:
        return re.findall(r"\[(--?[a-z-]+)", self.text)


def documented_commands() -> list[Documented]:
    found = []
    for path in DOCS:
        page = path.relative_to(ROOT).as_posix()
        fence, indented, blank_before, section = None, False, True, ""
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            stripped = line.strip()
            if stripped.startswith("```"):
                fence = None if fence is not None else stripped[3:].strip()
                continue
            if fence is None and line.startswith("## "):
                section = line[3:].strip()
            in_code = fence in SHELL_FENCES if fence is not None else (
                line.startswith("    ") and (blank_before or indented))
            indented = fence is None and in_code
            blank_before = not stripped
            if in_code and re.match(r"(digest|make)(\s|$)", stripped):
                text = re.sub(r"\s+#.*$", "", stripped)  # no page puts a '#' inside quotes
                found.append(Documented(page, number, section, text))
    return found


COMMANDS = documented_commands()


def test_the_docs_have_commands_and_cannot_run_names_only_documented_ones():
    texts = {command.text for command in COMMANDS}
    assert len(COMMANDS) > 25, COMMANDS  # the extraction still finds the blocks
    assert set(CANNOT_RUN) <= texts, f"stale CANNOT_RUN entries: {set(CANNOT_RUN) - texts}"
    make = {command.text for command in COMMANDS if command.args[0] == "make"}
    assert make <= set(CANNOT_RUN), f"make commands neither run nor explained: {make - set(CANNOT_RUN)}"


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.args[0] == "digest"],
                         ids=lambda c: f"{c.page}:{c.line}")
def test_every_documented_digest_command_and_option_exists(command):
    """Fast: the command line parses as written (a renamed command or option fails here)."""
    group: click.Group = cli
    words = command.args[1:]
    while isinstance(group, click.Group) and words and not words[0].startswith("-"):
        group = group.commands[words.pop(0)]  # KeyError: the page names a command that does not exist
    assert isinstance(group, click.Command) and not isinstance(group, click.Group), command
    group.make_context(command.args[0], list(words), resilient_parsing=False)
    known = {opt for param in group.params for opt in getattr(param, "opts", ())}
    assert set(command.optional_options) <= known, (command, set(command.optional_options) - known)


# --- running them -----------------------------------------------------------------------

class Inbox:
    def __init__(self):
        self.recipients: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        self.recipients.extend(envelope.rcpt_tos)
        return "250 2.0.0 Queued"


class _EphemeralController(Controller):
    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class World:
    """What the commands run against: loopback web and mail servers, and a folder per scene."""

    web: LoopbackServer
    smtp_port: int
    inbox: Inbox
    root: Path
    cwd: dict[str, Path]


def _pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.add_metadata({"/Title": "Designing Resilient Systems"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _append(config: Path, text: str) -> None:
    config.write_text(config.read_text(encoding="utf-8") + text, encoding="utf-8")


def _delivery(world: World, cwd: Path) -> None:
    """The [delivery] table the page asks for, reaching the loopback mail server (no TLS on loopback)."""
    _append(cwd / "digest.toml", f'\n[delivery]\nhost = "127.0.0.1"\nport = {world.smtp_port}\n'
                                 'security = "none"\nfrom_address = "digest@example.org"\nrate_limit_seconds = 0\n')


def _own_feeds(world: World, cwd: Path) -> None:
    """getting-started: "Replace the sample [[sources]] table with the blogs you publish"."""
    now = datetime.now(UTC)
    this, after = Month(now.year, now.month), Month(now.year, now.month).next()
    world.web.routes["/blog/feed.atom"] = Reply(body=atom_feed([
        ("Queues Before Databases", world.web.url("/blog/queues"), datetime(this.year, this.month, 2, 12, tzinfo=UTC),
         "en"),
        ("Idempotent Handlers", world.web.url("/blog/idempotent"), datetime(after.year, after.month, 15, 12, tzinfo=UTC),
         "en"),
    ]).encode(), headers={"Content-Type": "application/atom+xml"})
    config = cwd / "digest.toml"
    text = config.read_text(encoding="utf-8")
    start = re.search(r"(?m)^\[\[sources\]\]$", text).start()
    end = text.find("\n[", start + 3)
    section = re.search(r'section = "([^"]+)"', text[start:]).group(1)
    own = f'[[sources]]\nname = "Systems Blog"\nurl = "{world.web.url("/blog/feed.atom")}"\nsection = "{section}"\n'
    config.write_text(text[:start] + own + (text[end:] if end != -1 else ""), encoding="utf-8")
    # The loopback server stands in for the blogs' hosts: private addresses are refused otherwise.
    _append(config, f'\n[fetch]\nallow_private_hosts = ["{world.web.host}"]\n')


def _subscribers_file(world: World, cwd: Path) -> None:
    (cwd / "readers.csv").write_text("address,format,name\nann@kindle.com,epub,Ann\n", encoding="utf-8")


def _subscriber(world: World, cwd: Path) -> None:
    """kindle.md step 4: `digest subscribers add name@kindle.com`."""
    _run(world, cwd, ["digest", "subscribers", "add", "name@kindle.com"])


# Edits a page asks the reader to make, done before the command at (page, first words).
EDITS: dict[tuple[str, str], tuple[Callable[[World, Path], None], ...]] = {
    ("docs/getting-started.md", "digest sources"): (_own_feeds,),
    ("README.md", "digest subscribers import"): (_subscribers_file,),
    ("README.md", "digest send"): (_delivery,),
    ("docs/kindle.md", "digest send --dry-run"): (_delivery, _subscriber),
}
# URLs a page uses as an example, served from loopback instead.
EXAMPLE_URLS = {"https://example.org/whitepaper.pdf": "/whitepaper.pdf"}


def _env() -> dict[str, str]:
    env = {name: value for name, value in os.environ.items()
           if name not in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER", "TERM")}  # --open finds no browser
    env["PYTHONPATH"] = str(ROOT)
    return env


def _run(world: World, cwd: Path, args: list[str]) -> str:
    command = [sys.executable, "-m", "digest", *args[1:]]
    if args[:2] == ["digest", "preview"]:
        return _serve(cwd, [*command, "--port", "0"])
    done = subprocess.run(command, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=900)
    output = done.stdout + done.stderr
    assert done.returncode == 0 and "Traceback" not in output, f"{shlex.join(args)} (in {cwd}):\n{output}"
    return output


def _serve(cwd: Path, command: list[str]) -> str:
    process = subprocess.Popen(command, cwd=cwd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    timer = threading.Timer(600, process.kill)  # a preview that never comes up fails, not hangs
    timer.start()
    try:
        said = process.stdout.readline()
        assert said.startswith("Previewing "), f"{shlex.join(command)}: {said}{process.stderr.read()}"
    finally:
        timer.cancel()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
    return said


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("docs")
    inbox = Inbox()
    controller = _EphemeralController(inbox, hostname="127.0.0.1", port=0)
    controller.start()
    with LoopbackServer() as web:
        web.routes["/whitepaper.pdf"] = Reply(body=_pdf(), headers={"Content-Type": "application/pdf"})
        sample = root / "sample"
        sample.mkdir()
        for name in ("digest.toml", "issues", "assets/sample-feeds", "assets/sample-documents"):
            source, target = ROOT / name, sample / name
            shutil.copytree(source, target) if source.is_dir() else shutil.copy(source, target)
        cwd = {"sample": sample, "readme-init": root / "readme-init", "getting-started": root / "getting-started"}
        for folder in cwd.values():
            folder.mkdir(exist_ok=True)
        yield World(web, controller.port, inbox, root, cwd)
    controller.stop()


def _play(world: World, scene: str) -> list[str]:
    outputs = []
    cwd = world.cwd[scene]
    for command in (c for c in COMMANDS if c.scene == scene and c.text not in CANNOT_RUN):
        args = [EXAMPLE_URLS.get(arg) and world.web.url(EXAMPLE_URLS[arg]) or arg for arg in command.args]
        for (page, start), edits in EDITS.items():
            if page == command.page and command.text.startswith(start):
                for edit in edits:
                    edit(world, cwd)
        outputs.append(_run(world, cwd, args))
        if args[:2] == ["digest", "init"]:  # the page's next line: cd DIR
            cwd = cwd / cli.commands["init"].make_context("init", args[2:]).params["directory"]
    return outputs


@pytest.mark.slow  # whole builds with EPUBCheck and calibre
def test_readme_commands_run_on_the_sample_publication(world):
    outputs = _play(world, "sample")
    assert any("Architecture Monthly, January 2018" in out for out in outputs)
    assert world.inbox.recipients == ["ann@kindle.com"]  # imported, sent once; name@kindle.com was removed


@pytest.mark.slow
def test_readme_your_own_publication_runs(world):
    outputs = _play(world, "readme-init")
    assert len(outputs) == 2 and "check: " in outputs[-1] and "built in " in outputs[-1], outputs


@pytest.mark.slow
def test_getting_started_then_kindle_runs(world):
    before = list(world.inbox.recipients)
    outputs = _play(world, "getting-started")
    assert any("Designing Resilient Systems" in out for out in outputs), outputs  # the PDF link, described
    assert world.inbox.recipients[len(before):] == ["name@kindle.com"]
