"""The commands of delivery: `digest subscribers ...`, `digest send`, `digest deliveries`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from digest.clikit import config_option, handle_errors, month_option, month_or_latest, say
from digest.core.errors import ConfigError
from digest.core.month import Month
from digest.core.vocabulary import FORMATS, count


@click.group()
def subscribers() -> None:
    """Manage who receives the issue by e-mail."""


format_choice = click.Choice(FORMATS)


@subscribers.command("add")
@config_option
@click.argument("address")
@click.option("--format", "fmt", type=format_choice, help="Format to send (default: the config's delivery.format).")
@click.option("--name", default="", help="The reader's name, for the To: header.")
@handle_errors
def subscribers_add(config_path: Path, address: str, fmt: str | None, name: str) -> None:
    """Add ADDRESS (a Kindle address such as name@kindle.com for EPUB)."""
    from digest.core.configfile import load_config
    from digest.core.stores import open_private
    from digest.deliver.subscribers import add_subscriber
    config = load_config(config_path)
    with open_private(config) as store:
        added = add_subscriber(store, address, format=fmt or config.delivery.format, name=name)
    say(f"added {added.address} ({added.format})")


@subscribers.command("remove")
@config_option
@click.argument("address")
@handle_errors
def subscribers_remove(config_path: Path, address: str) -> None:
    """Remove ADDRESS; what was already sent to it stays in the delivery ledger."""
    from digest.core.configfile import load_config
    from digest.core.stores import open_private
    from digest.deliver.subscribers import remove_subscriber
    with open_private(load_config(config_path)) as store:
        remove_subscriber(store, address)
    say(f"removed {address}")


@subscribers.command("list")
@config_option
@handle_errors
def subscribers_list(config_path: Path) -> None:
    """List every subscriber with format, state and date added."""
    from digest.core.configfile import load_config
    from digest.core.stores import open_private
    from digest.deliver.subscribers import list_subscribers
    from digest.report import format_subscribers
    with open_private(load_config(config_path)) as store:
        click.echo(format_subscribers(list_subscribers(store)))


@subscribers.command("import")
@config_option
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@handle_errors
def subscribers_import(config_path: Path, csv_file: Path) -> None:
    """Add or update subscribers from a CSV file: address[,format,name,active]."""
    from digest.core.configfile import load_config
    from digest.core.stores import open_private
    from digest.deliver.subscribers import import_subscribers
    config = load_config(config_path)
    with open_private(config) as store:
        result = import_subscribers(store, csv_file, default_format=config.delivery.format)
    say(f"imported {csv_file}: {result.added} added, {result.updated} updated")
    if result.problems:
        raise ConfigError([f"{count(len(result.problems), 'row')} rejected (the others were imported):",
                           *result.problems])


@click.command()
@config_option
@month_option
@click.option("--to", "to", metavar="ADDRESS", help="Only this subscriber.")
@click.option("--dry-run", is_flag=True, help="Show who would receive what; send and record nothing.")
@click.option("--resend", is_flag=True, help="With --to: send even if the ledger says sent or unconfirmed.")
@handle_errors
def send(config_path: Path, month: Month | None, to: str | None, dry_run: bool, resend: bool) -> None:
    """E-mail the published issue for MONTH to every subscriber not yet served."""
    from digest.core.configfile import load_config
    from digest.core.stores import open_private
    from digest.deliver.send import send_issue
    from digest.report import format_send_report
    config = load_config(config_path)
    with open_private(config) as store:
        report = send_issue(config, store, month_or_latest(config, month), to=to, dry_run=dry_run, resend=resend)
    say(format_send_report(report), always=bool(report.failed))
    if report.failed:
        sys.exit(1)


@click.command()
@config_option
@month_option
@handle_errors
def deliveries(config_path: Path, month: Month | None) -> None:
    """Show the delivery ledger for MONTH."""
    from digest.core.configfile import load_config
    from digest.core.stores import open_private
    from digest.deliver.ledger import ledger
    from digest.report import format_deliveries
    config = load_config(config_path)
    month = month_or_latest(config, month)
    with open_private(config) as store:
        click.echo(format_deliveries(month, ledger(store, month)))
