"""The command line: each command parses its options and calls one library function."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path

import click

from digest import __version__
from digest.clideliver import deliveries, send, subscribers
from digest.clikit import SuggestingGroup, config_option, load_with_out, month_option, out_option, say, terminated
from digest.clikit import handle_errors as _handle_errors
from digest.clikit import month_or_latest as _latest
from digest.clikit import parse_month as _month
from digest.clistore import prune, record
from digest.core.month import FIRST_YEAR, LAST_YEAR, Month
from digest.core.vocabulary import LINK_KINDS, count

# Commands import the library inside their bodies: `digest --help` and shell completion
# stay fast because they never load lxml, Pillow, httpx or the language model.

EXTRACTION_LOGGERS = ("trafilatura", "htmldate", "courlan", "justext", "readability")


@click.group(cls=SuggestingGroup)
@click.version_option(__version__, prog_name="digest")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors (listings and --json still print).")
def cli(verbose: int, quiet: bool) -> None:
    """Publish a monthly digest of technical blogs as Kindle-ready ebooks."""
    from digest.core.progress import console, interactive
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    if interactive():
        from rich.logging import RichHandler

        logging.basicConfig(level=level, format="%(message)s",
                            handlers=[RichHandler(show_path=False, console=console())])
    else:  # CI logs: one plain line per message
        logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    # The extraction libraries warn about markup quirks of the pages (16 lines on the 181 real
    # pages) that digest handles; the report says what matters. Shown with -v.
    for name in EXTRACTION_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if verbose else logging.ERROR)


@cli.command()
@config_option
@month_option
@out_option
@click.option("--strict", is_flag=True, help="Fail on any broken source or entry instead of reporting it.")
@click.option("--allow-empty", is_flag=True, help="Publish even when the month has no articles.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (schemas/build-report.schema.json).")
@_handle_errors
def build(config_path: Path, month: Month | None, out_dir: Path | None, strict: bool, allow_empty: bool,
          as_json: bool) -> None:
    """Build the issue for MONTH and publish it to the output folder."""
    from digest.pipeline import build_issue
    from digest.report import build_report_json, format_build_report
    config = load_with_out(config_path, out_dir)
    result = build_issue(config, _latest(config, month), strict=strict, allow_empty=allow_empty)
    say(build_report_json(result) if as_json else format_build_report(result), always=as_json)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--title", default="My Digest", show_default=True, help="The publication's name.")
@click.option("--language", default="en", show_default=True, help="BCP 47 language of the issues.")
@click.option("--timezone", default="UTC", show_default=True, help="IANA time zone that decides the month of a post.")
@click.option("--feed", default="", metavar="URL|FILE",
              help="The first source (default: a sample feed, so the first issue builds at once).")
@_handle_errors
def init(directory: Path, title: str, language: str, timezone: str, feed: str) -> None:
    """Start a new publication in DIRECTORY (default: here); never overwrites a file."""
    from digest.editor.commands import start_publication
    from digest.editor.scaffold import NewPublication
    from digest.report import format_init_report
    scaffold, draft = start_publication(directory, NewPublication(title=title, language=language,
                                                                  timezone=timezone, feed=feed))
    say(format_init_report(directory, scaffold, draft))


@cli.command("new-issue")
@config_option
@click.option("--month", callback=_month, metavar="YYYY-MM",
              help="The month the issue covers (default: the month after the latest issue file, or this month).")
@_handle_errors
def new_issue(config_path: Path, month: Month | None) -> None:
    """Write issues/MONTH.toml: number and volume continued, the feeds' articles listed to exclude or pin."""
    from digest.core.configfile import load_config
    from digest.editor.commands import draft_issue
    from digest.editor.issuedraft import next_issue_month
    from digest.report import format_draft_report
    config = load_config(config_path)
    say(format_draft_report(*draft_issue(config, month or next_issue_month(config))))


@cli.group()
def link() -> None:
    """Curated links of an issue (whitepapers, sample code, training...)."""


@link.command("add")
@config_option
@click.argument("url")
@click.option("--kind", metavar="KIND", help="whitepaper, sample-code, training... (default: guessed from the page).",
              shell_complete=lambda ctx, param, typed: [kind for kind in LINK_KINDS if kind.startswith(typed)])
@click.option("--month", callback=_month, metavar="YYYY-MM",
              help="The issue to add it to (default: the latest issue file).")
@_handle_errors
def link_add(config_path: Path, url: str, kind: str | None, month: Month | None) -> None:
    """Fetch URL's title, summary and image and append it to the issue file, keeping its comments."""
    from digest.core.configfile import load_config
    from digest.editor.commands import add_curated_link
    from digest.report import format_link_report
    say(format_link_report(url, add_curated_link(load_config(config_path), url, kind=kind, month=month)))


@cli.command()
@config_option
@click.option("--month", callback=_month, metavar="YYYY-MM", help="Also show what each source yields for this month.")
@_handle_errors
def sources(config_path: Path, month: Month | None) -> None:
    """List the configured sources and listings, and what each yields for a month."""
    from digest.core.configfile import load_config
    from digest.editor.survey import survey_listings, survey_sources
    from digest.pipeline import make_fetcher
    from digest.report import format_sources_report
    config = load_config(config_path)
    with make_fetcher(config, None) as fetcher:
        click.echo(format_sources_report(survey_sources(config, month, fetcher),
                                         survey_listings(config, month, fetcher), month))


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--no-epubcheck", is_flag=True, help="Only the Kindle rules (fast, needs no java).")
@click.option("--accessibility", is_flag=True, help="Also run Ace by DAISY (needs Node.js and Chromium: make ace).")
@_handle_errors
def check(path: Path, as_json: bool, no_epubcheck: bool, accessibility: bool) -> None:
    """Check an EPUB, or every EPUB of a built month folder, against EPUBCheck and the Kindle rules.

    Exits 1 on any violation, 2 if PATH cannot be read as an EPUB or a checker asked for cannot run.
    """
    from digest.ebook.check import check_path
    from digest.report import check_report_json, format_check_report
    report = check_path(path, epubcheck=not no_epubcheck, ace=accessibility)
    say(check_report_json(report) if as_json else format_check_report(report), always=as_json or not report.ok)
    if not report.ok:
        sys.exit(1)


@cli.command()
@config_option
@_handle_errors
def fetch(config_path: Path) -> None:
    """Read every source now and remember its entries in the store (run daily)."""
    from digest.core.configfile import load_config
    from digest.pipeline import fetch_sources
    from digest.report import format_fetch_report
    gathered = fetch_sources(load_config(config_path))
    failed = any(report.error for report in gathered.reports)
    say(format_fetch_report(gathered), always=failed)
    if failed:
        sys.exit(1)


@cli.command()
@config_option
@month_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback exposes the preview to the network.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port).")
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in the default browser.")
@_handle_errors
def preview(config_path: Path, month: Month | None, host: str, port: int, open_browser: bool) -> None:
    """Serve the issue for MONTH locally; pages reload whenever an input changes."""
    import webbrowser

    from digest.core.configfile import load_config
    from digest.preview.server import Preview
    with Preview(config_path, _latest(load_config(config_path), month), host=host, port=port) as running:
        click.echo(f"Previewing {running.site.month.label} at {running.url} (Ctrl-C to stop)")
        if open_browser and not webbrowser.open(running.url):
            click.echo(f"no web browser could be started here: open {running.url} in one", err=True)
        try:
            running.wait()
        except KeyboardInterrupt:
            click.echo("stopped")


@cli.command()
@config_option
@out_option
@click.option("--year", required=True, type=click.IntRange(FIRST_YEAR, LAST_YEAR), metavar="YYYY",
              help="Bundle every published issue of this year.")
@_handle_errors
def bundle(config_path: Path, out_dir: Path | None, year: int) -> None:
    """Write the yearly subscription bundle (one zip of every issue of YEAR) and list it on the site."""
    from digest.publish.site import publish_year_bundle
    say(f"wrote {publish_year_bundle(load_with_out(config_path, out_dir), year)}")


@cli.command()
@config_option
@out_option
@_handle_errors
def site(config_path: Path, out_dir: Path | None) -> None:
    """Regenerate the site, Atom feed and OPDS catalog from the issues in place."""
    from digest.publish.site import publish_site
    changed = publish_site(load_with_out(config_path, out_dir))
    say(f"site: {count(len(changed), 'file')} changed")


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@_handle_errors
def verify(path: Path) -> None:
    """Check a bundle (month folder, its zip or a yearly zip) against its manifest's sizes and SHA-256.

    Exits 1 when a file is missing or differs, 2 if PATH is not a bundle.
    """
    from digest.publish.verify import verify as verify_bundle
    result = verify_bundle(path)
    for line in result.mismatches:
        click.echo(line)
    if result.mismatches:
        click.echo(f"{count(len(result.mismatches), 'problem')} in {count(result.checked, 'file')} checked", err=True)
        sys.exit(1)
    say(f"ok: {count(result.checked, 'file')} {'matches' if result.checked == 1 else 'match'} the manifest")


cli.add_command(prune)
cli.add_command(record)
cli.add_command(subscribers)
cli.add_command(send)
cli.add_command(deliveries)


def main() -> None:
    # SIGTERM (a cancelled CI job, `kill`) unwinds like Ctrl-C: calibre and java, which run in
    # their own process group, are killed with their helpers, and temporary folders are removed.
    signal.signal(signal.SIGTERM, terminated)
    from digest.core.memory import limit_malloc_arenas

    limit_malloc_arenas()
    cli(prog_name="digest")
