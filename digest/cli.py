"""The command line: each command parses its options and calls one library function."""

from __future__ import annotations

import functools
import logging
import sys
from pathlib import Path

import click

from digest import __version__
from digest.config import DEFAULT_CONFIG_NAME, load_config
from digest.errors import DigestError
from digest.month import Month
from digest.pipeline import build_issue
from digest.report import format_build_report, format_sources_report
from digest.sources import survey_sources


def _handle_errors(command):
    """Turn library errors into one clear message and an exit code; never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DigestError as exc:
            for line in str(exc).splitlines():
                click.echo(f"error: {line}", err=True)
            sys.exit(exc.exit_code)

    return wrapper


def _month(ctx, param, value: str | None) -> Month | None:
    if value is None:
        return None
    try:
        return Month.parse(value)
    except DigestError as exc:
        raise click.BadParameter(str(exc)) from None


config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_CONFIG_NAME, show_default=True, help="The publication's config file.")
month_option = click.option("--month", required=True, callback=_month, metavar="YYYY-MM",
                            help="The month the issue covers.")


@click.group()
@click.version_option(__version__, prog_name="digest")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
def cli(verbose: int, quiet: bool) -> None:
    """Publish a monthly digest of technical blogs as Kindle-ready ebooks."""
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


@cli.command()
@config_option
@month_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (overrides the config's output.dir).")
@click.option("--strict", is_flag=True, help="Fail on any broken source or entry instead of reporting it.")
@click.option("--allow-empty", is_flag=True, help="Publish even when the month has no articles.")
@_handle_errors
def build(config_path: Path, month: Month, out_dir: Path | None, strict: bool, allow_empty: bool) -> None:
    """Build the issue for MONTH and publish it to the output folder."""
    config = load_config(config_path)
    if out_dir is not None:
        config = config.with_output_dir(out_dir)
    result = build_issue(config, month, strict=strict, allow_empty=allow_empty)
    click.echo(format_build_report(result))


@cli.command()
@config_option
@click.option("--month", callback=_month, metavar="YYYY-MM", help="Also show what each source yields for this month.")
@_handle_errors
def sources(config_path: Path, month: Month | None) -> None:
    """List the configured sources, and what each yields for a month."""
    config = load_config(config_path)
    click.echo(format_sources_report(survey_sources(config, month)))


def main() -> None:
    cli(prog_name="digest")
