"""The command line's shared parts: the error handler, month and config options, and a
command group that answers a mistyped command with the nearest real one.

Only click and the light core modules: `digest --help` and shell completion stay fast.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from pathlib import Path
from typing import NoReturn

import click

from digest.core.config import DEFAULT_CONFIG_NAME
from digest.core.errors import ConfigError, DigestError, machine_error
from digest.core.month import Month
from digest.core.suggest import close_match


def handle_errors(command):
    """Turn library errors into one clear message and an exit code; never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DigestError as exc:
            _exit_with(exc)
        except OSError as exc:  # disk full, read-only...: a condition of the machine, not a bug
            fault = machine_error(exc)
            if fault is None:
                raise
            _exit_with(fault)

    return wrapper


def say(text: str, *, always: bool = False) -> None:
    """Print a command's report, unless ``-q`` asked for errors only; ``always`` for a failure's
    report and for output asked for (``--json``)."""
    quiet = click.get_current_context().find_root().params.get("quiet")
    if text and (always or not quiet):
        click.echo(text)


def _exit_with(exc: DigestError) -> NoReturn:
    for line in str(exc).splitlines():
        click.echo(f"error: {line}", err=True)
    sys.exit(exc.exit_code)


def parse_month(ctx, param, value: str | None) -> Month | None:
    if value is None:
        return None
    try:
        return Month.parse(value)
    except DigestError as exc:
        raise click.BadParameter(str(exc)) from None


config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_CONFIG_NAME, show_default=True, help="The publication's config file.")
month_option = click.option("--month", callback=parse_month, metavar="YYYY-MM",
                            help="The month the issue covers (default: the latest issues/YYYY-MM.toml).")
out_option = click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
                          help="Output folder (overrides the config's output.dir).")


def month_or_latest(config, month: Month | None) -> Month:
    """``--month``, or without it the latest issue file's month (as `make` takes it)."""
    from digest.editor.issuedraft import latest_issue_month

    return month or latest_issue_month(config)


def load_with_out(config_path: Path, out_dir: Path | None):
    """The config, with ``--out`` (checked like ``output.dir``) in place of its output folder."""
    from digest.core.configfile import load_config, output_dir_problem

    config = load_config(config_path)
    if out_dir is None:
        return config
    if problem := output_dir_problem(out_dir, config.path):
        raise ConfigError(f"--out {out_dir}: {problem}")
    return config.with_output_dir(out_dir)


EXIT_GRACE = 30.0
"""Seconds the cleanups get after SIGTERM; then the process ends anyway (a thread stuck where
no kill reaches must not keep a cancelled job alive)."""


def terminated(signum: int, frame: object) -> None:
    """SIGTERM unwinds like Ctrl-C (SystemExit runs every cleanup on the way out), within EXIT_GRACE."""
    watchdog = threading.Timer(EXIT_GRACE, os._exit, (128 + signum,))
    watchdog.daemon = True
    watchdog.start()
    raise SystemExit(128 + signum)


class SuggestingGroup(click.Group):
    """A command group that answers a mistyped command with the nearest real one."""

    group_class = type  # subgroups (subscribers, link) suggest too

    def resolve_command(self, ctx: click.Context, args: list[str]):
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            match = close_match(args[0], self.list_commands(ctx)) if args else None
            if match is None:
                raise
            raise click.UsageError(f"{exc.message} Did you mean {match!r}?", ctx) from None
