"""`digest preview` in a real headless Chromium: what the editor sees, live reload, and safety.

Each test runs its own preview server (ephemeral port, in this process) over a throw-away
copy of the sample publication whose templates live in its own ``theme/`` folder.
"""

from __future__ import annotations

import http.client
import http.server
import io
import logging
import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image, ImageChops, ImageStat
from playwright.sync_api import expect

from digest.cli import cli
from digest.core.configfile import load_config
from digest.core.month import Month
from digest.pipeline import build_issue, compose_issue
from digest.preview.server import DEVICES, Preview
from digest.ebook.render import DEFAULT_CSS, DEFAULT_TEMPLATES, article_file
from factory import sample_sources, write_publication

pytestmark = pytest.mark.slow  # Chromium, and a preview server that composes the issue for each test
MONTH = Month.parse("2018-01")
# Generous upper bounds for a reload on a busy 2-core machine, not expectations.
RELOAD_TIMEOUT_MS = 30_000


@pytest.fixture
def config_path(project_copy):
    """The sample publication with its own copy of the theme, which tests may edit."""
    theme = project_copy / "theme"
    shutil.copytree(DEFAULT_TEMPLATES, theme)
    # A coloured heading gives the grayscale test something to take the colour out of.
    (theme / "digest.css").write_text(DEFAULT_CSS.read_text(encoding="utf-8") + "h1 { color: #c00000; }\n",
                                      encoding="utf-8")
    return write_publication(project_copy, sample=True, output={"templates": "theme"})


@pytest.fixture
def preview(config_path):
    with Preview(config_path, MONTH) as running:
        yield running


@pytest.fixture
def page(browser, preview):
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    tab = context.new_page()
    yield tab
    context.close()


def articles(config_path: Path):
    return compose_issue(load_config(config_path), MONTH).issue.articles


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def raw_get(preview: Preview, target: str) -> tuple[int, bytes]:
    """GET exactly ``target``: browsers and URL libraries would normalise '..' away."""
    host, port = preview.httpd.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_contents_page_shows_every_article_title(page, preview, config_path):
    response = page.goto(preview.url)
    assert page.url.endswith("/contents.xhtml")
    assert response.headers["content-type"].startswith("application/xhtml+xml")
    expect(page.locator("h1")).to_have_text("In this issue")
    shown = [" ".join(t.split()) for t in page.locator("ul.toc-articles a").all_inner_texts()]
    titles = [" ".join(a.title.split()) for a in articles(config_path)]
    assert len(titles) > 3
    assert all(title in shown for title in titles)
    expect(page.locator("#digest-preview-bar")).to_be_visible()


def test_preview_chrome_is_only_added_while_serving(preview):
    with preview.site.current() as (root, _):
        on_disk = (root / "contents.xhtml").read_bytes()
    status, served = raw_get(preview, "/contents.xhtml")
    assert status == 200
    assert b"__preview__" in served
    assert b"__preview__" not in on_disk


def test_next_link_leads_to_the_next_article(page, preview, config_path):
    first, second = articles(config_path)[:2]
    page.goto(preview.url + article_file(first))
    expect(page.locator("h1")).to_have_text(first.title)
    page.get_by_role("link", name=f"Next: {second.title}").click()
    page.wait_for_url(f"**/{article_file(second)}")
    expect(page.locator("h1")).to_have_text(second.title)


def test_device_view_is_a_kindle_sized_non_blank_screen_with_optional_grayscale(page, preview):
    page.goto(preview.url)
    page.select_option("#digest-preview-device", "paperwhite")
    width, height = DEVICES[1].css_size
    assert (width, height) == (396, 527)  # 1236x1648 px at 300 ppi, in 96-per-inch CSS px
    box = page.evaluate("() => { const r = document.documentElement.getBoundingClientRect();"
                        " return [r.width, document.body.getBoundingClientRect().height]; }")
    assert box == [width, height]

    shot = Image.open(io.BytesIO(page.locator("body").screenshot())).convert("RGB")
    assert ImageStat.Stat(shot.convert("L")).stddev[0] > 20, "the page screenshot is blank"
    assert colourfulness(shot) > 0, "the test theme's red heading should show in colour"

    page.check("#digest-preview-gray")
    gray = Image.open(io.BytesIO(page.locator("body").screenshot())).convert("RGB")
    assert colourfulness(gray) == 0
    page.reload()  # the choice of device and grayscale survives navigation
    assert page.is_checked("#digest-preview-gray")
    assert page.evaluate("document.documentElement.getBoundingClientRect().width") == width


def colourfulness(image: Image.Image) -> int:
    """The largest difference between two colour channels of any pixel (0: gray only)."""
    red, green, blue = image.split()
    return max(ImageChops.difference(red, green).getextrema()[1],
               ImageChops.difference(green, blue).getextrema()[1])


def test_template_edit_shows_in_the_open_page_without_a_manual_reload(page, preview, config_path):
    page.goto(preview.url)
    expect(page.locator("h1")).to_have_text("In this issue")
    page.evaluate("window.openedBeforeTheEdit = true")
    edit(config_path.parent / "theme" / "contents.xhtml", "<h1>In this issue</h1>", "<h1>Inside this month</h1>")
    expect(page.locator("h1")).to_have_text("Inside this month", timeout=RELOAD_TIMEOUT_MS)
    assert page.evaluate("window.openedBeforeTheEdit") is None  # the page reloaded by itself


def test_broken_template_shows_an_overlay_and_fixing_it_recovers(page, preview, config_path):
    template = config_path.parent / "theme" / "contents.xhtml"
    good = template.read_text(encoding="utf-8")
    page.goto(preview.url)
    expect(page.locator("h1")).to_have_text("In this issue")

    lines = good.splitlines(keepends=True)
    template.write_text("".join(lines[:4] + ["{% if %}\n"] + lines[4:]), encoding="utf-8")
    overlay = page.locator("#digest-preview-overlay")
    expect(overlay).to_be_visible(timeout=RELOAD_TIMEOUT_MS)
    expect(overlay).to_contain_text("contents.xhtml:5:")
    expect(overlay).to_contain_text("syntax error")
    expect(page.locator("h1")).to_have_text("In this issue")  # the last good page stays
    assert raw_get(preview, "/masthead.xhtml")[0] == 200

    template.write_text(good.replace("<h1>In this issue</h1>", "<h1>Fixed issue</h1>"), encoding="utf-8")
    expect(page.locator("h1")).to_have_text("Fixed issue", timeout=RELOAD_TIMEOUT_MS)
    expect(overlay).to_have_count(0)


def test_latest_built_ebook_can_be_downloaded_from_the_preview(browser, config_path):
    text, count = re.subn(r"(?m)^formats = .*$", 'formats = ["epub"]', config_path.read_text(encoding="utf-8"))
    assert count == 1
    config_path.write_text(text, encoding="utf-8")  # EPUB only: no calibre run
    built = build_issue(load_config(config_path), MONTH)
    with Preview(config_path, MONTH) as running:
        context = browser.new_context(accept_downloads=True)
        try:
            tab = context.new_page()
            tab.goto(running.url)
            link = tab.locator("#digest-preview-downloads a", has_text="EPUB")
            expect(link).to_be_visible()
            with tab.expect_download() as download:
                link.click()
            assert Path(download.value.path()).read_bytes() == built.epub.read_bytes()
            assert download.value.suggested_filename == built.epub.name
        finally:
            context.close()
        assert raw_get(running, "/__preview__/download/azw3")[0] == 404  # not built this time


@pytest.mark.parametrize("target", [
    "/../digest.toml",
    "/%2e%2e/digest.toml",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/..%2f..%2fetc%2fpasswd",
    "//etc/passwd",
    "/etc/passwd",
    "/images/..%5c..%5cdigest.toml",
    "/contents.xhtml%00.css",
    "/images",
    "/images/",
    "/__preview__/chrome.py",
])
def test_paths_outside_the_built_pages_are_not_found(preview, target):
    status, body = raw_get(preview, target)
    assert status == 404
    assert b"[publication]" not in body and b"root:" not in body


def test_symlinks_leading_out_of_the_build_folder_are_not_followed(preview, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret", encoding="utf-8")
    with preview.site.current() as (root, _):
        os.symlink(secret, root / "leak.xhtml")
        os.symlink(tmp_path, root / "outside")
        os.symlink(root / "contents.xhtml", root / "alias.xhtml")
    assert raw_get(preview, "/leak.xhtml")[0] == 404
    assert raw_get(preview, "/outside/secret.txt")[0] == 404
    assert raw_get(preview, "/alias.xhtml")[0] == 200  # a link that stays inside is fine


class FeedServer(http.server.ThreadingHTTPServer):
    """Serves one feed file on loopback and counts the requests for it."""

    def __init__(self, feed: Path):
        self.feed, self.requests = feed, 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests += 1
                body = server.feed.read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)


def test_remote_feeds_are_fetched_once_per_session_and_local_feeds_reread(config_path):
    remote = FeedServer(config_path.parent / "assets" / "sample-feeds" / "architecture.xml")
    threading.Thread(target=remote.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{remote.server_address[1]}/architecture.xml"
        write_publication(config_path.parent, sample=True, output={"templates": "theme"},
                          sources=sample_sources({"architecture.xml": url}),
                          fetch={"allow_private_hosts": [f"127.0.0.1:{remote.server_address[1]}"]})
        with Preview(config_path, MONTH) as running:
            local_feed = config_path.parent / "assets" / "sample-feeds" / "compute.atom"
            title = next(a.title for a in articles(config_path) if a.source == "AWS Compute Blog")
            edit(local_feed, f"<title>{title}</title>", "<title>Edited while previewing</title>")
            state = running.site.rebuild()
            assert state.error is None
            assert any(t == "Edited while previewing" for _, t in state.pages)
            running.site.rebuild()
        assert remote.requests == 1
    finally:
        remote.shutdown()
        remote.server_close()


def test_listening_beyond_loopback_prints_a_warning(config_path, caplog):
    caplog.set_level(logging.WARNING, logger="digest.preview.server")
    running = Preview(config_path, MONTH, host="0.0.0.0")
    running.stop()
    assert "anyone who can reach this machine" in caplog.text


def test_a_bad_config_stops_the_preview_with_exit_code_2(tmp_path):
    result = CliRunner().invoke(cli, ["preview", "--config", str(tmp_path / "missing.toml"),
                                      "--month", "2018-01", "--port", "0"])
    assert result.exit_code == 2
    assert "config file not found" in result.output


def test_a_broken_config_file_shows_in_the_page_and_the_server_keeps_serving(page, preview, config_path):
    good = config_path.read_text(encoding="utf-8")
    page.goto(preview.url)
    config_path.write_text(good.replace('slug = "architecture-monthly"', 'slug = "Not A Slug"'), encoding="utf-8")
    overlay = page.locator("#digest-preview-overlay")
    expect(overlay).to_contain_text("publication.slug", timeout=RELOAD_TIMEOUT_MS)
    assert raw_get(preview, "/contents.xhtml")[0] == 200
    config_path.write_text(good, encoding="utf-8")
    expect(overlay).to_have_count(0, timeout=RELOAD_TIMEOUT_MS)


def test_the_toolbar_fits_a_kindle_sized_window(browser, config_path):
    """At 758 px (a Paperwhite's width in CSS pixels) every control, the downloads last, is inside the bar."""
    folder = load_config(config_path).output.dir / "architecture-monthly" / str(MONTH)
    folder.mkdir(parents=True)
    for fmt in ("epub", "azw3", "mobi"):  # the downloads the bar offers once all three are built
        (folder / f"architecture-monthly-{MONTH}.{fmt}").write_bytes(b"stand-in")
    with Preview(config_path, MONTH) as running:
        context = browser.new_context(viewport={"width": 758, "height": 1024})
        try:
            tab = context.new_page()
            tab.goto(running.url)
            mobi = tab.locator("#digest-preview-downloads a", has_text="MOBI")
            expect(mobi).to_be_visible()
            for device in ("paperwhite", "window"):
                tab.select_option("#digest-preview-device", device)
                bar = tab.evaluate("""() => { const bar = document.getElementById('digest-preview-bar');
                    return [bar.scrollWidth, bar.clientWidth, ...[...bar.children].filter(
                        c => c.offsetParent).map(c => c.getBoundingClientRect().right)]; }""")
                scroll_width, width, *rights = bar
                assert scroll_width <= width and max(rights) <= 758, (device, bar)
        finally:
            context.close()


def test_open_says_when_no_browser_could_be_started(config_path, tmp_path):
    """No DISPLAY and no browser on PATH: the preview says to open the address by hand, and serves."""
    import signal
    import subprocess
    import sys

    env = {"PATH": str(tmp_path / "nothing"), "HOME": str(tmp_path), "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
           "LANG": "C.UTF-8"}
    process = subprocess.Popen([sys.executable, "-m", "digest", "preview", "--config", str(config_path),
                                "--month", str(MONTH), "--port", "0", "--open"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        served = process.stdout.readline()
        assert served.startswith(f"Previewing {MONTH.label} at http://127.0.0.1:"), served
        url = served.split(" at ")[1].split()[0]
        said = process.stderr.readline()
        assert said == f"no web browser could be started here: open {url} in one\n"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
