"""The commands that look after the record and the cache: `digest prune`, `digest record rebuild`."""

from __future__ import annotations

from pathlib import Path

import click

from digest.clikit import config_option, handle_errors, load_with_out, out_option


@click.command()
@config_option
@click.option("--dry-run", is_flag=True, help="Only say what would be removed.")
@handle_errors
def prune(config_path: Path, dry_run: bool) -> None:
    """Shrink the cache to [cache] max_mb, least recently used first (builds do it too)."""
    from digest.core.configfile import load_config
    from digest.core.stores import prune_cache
    from digest.report import format_prune_report
    click.echo(format_prune_report(prune_cache(load_config(config_path), dry_run=dry_run), dry_run=dry_run))


@click.group()
def record() -> None:
    """The record: the entries seen and what each issue carried."""


@record.command("rebuild")
@config_option
@out_option
@handle_errors
def record_rebuild(config_path: Path, out_dir: Path | None) -> None:
    """Take back what every published issue carried from its manifest (after the record was lost)."""
    from digest.pipeline import rebuild_record
    months = rebuild_record(load_with_out(config_path, out_dir))
    click.echo(f"recorded the articles of {months} published issues")
