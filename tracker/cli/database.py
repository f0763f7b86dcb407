"""``init``, ``demo``, ``backup`` and ``restore``: the database itself."""

from __future__ import annotations

from pathlib import Path

import click

from services import backups, demo
from services.database import describe, schema_revisions
from tracker.cli.common import opened, speaking


@click.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create the database, or upgrade it to the newest schema.

    Safe to run any number of times: an up-to-date database is left as it is.
    """
    with opened(ctx) as database:
        current, newest = schema_revisions(database)
        click.echo(f"Database ready: {describe(database)} (schema {current}, newest {newest})")


@click.command("demo")
@click.option(
    "--remove", is_flag=True, help="Delete the demo questions, forecasts, events and forecasters instead."
)
@click.pass_context
def demo_command(ctx: click.Context, remove: bool) -> None:
    """Load the demo scenario: the December 2016 Abe–Putin summit, 2016–2022.

    29 resolved questions with their real outcomes and dates, 3 still open,
    42 dated events with source links, and illustrative forecasts by four
    forecasters, among them what the seed article implied in autumn 2016. Loading twice adds nothing;
    your own edits to demo rows are kept.
    """
    with opened(ctx) as database, speaking():
        if remove:
            n_removed = demo.remove_demo(database)
            click.echo(f"Removed the demo: {n_removed} questions with their forecasts and events.")
            return
        counts = demo.load_demo(database)
    added = {kind: n for kind, n in counts.new.items() if n}
    if not added:
        click.echo("The demo is already loaded; nothing to add.")
    else:
        click.echo(f"Loaded the demo: {', '.join(f'{kind} {n}' for kind, n in added.items())}.")
    click.echo("Demo outcomes and dates are real; demo forecasts are illustrative.")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@click.pass_context
def backup_command(ctx: click.Context, path: Path, force: bool) -> None:
    """Copy the database to PATH, consistently, even while the worker is writing.

    Uses SQLite's online backup API and checks the copy before naming it PATH.
    On PostgreSQL it tells you the pg_dump command instead.
    """
    with opened(ctx) as database, speaking():
        result = backups.backup(database, path, force=force)
    click.echo(f"Backed up to {result.path} ({result.bytes / 1e6:.1f} MB); integrity check ok.")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--force", is_flag=True, help="Replace a database that already holds data (a copy of it is kept)."
)
@click.pass_context
def restore_command(ctx: click.Context, path: Path, force: bool) -> None:
    """Replace the database with the backup at PATH (stop the worker first).

    Refuses to overwrite a database holding data unless --force, and even then
    keeps a copy of it beside it. An older backup is upgraded to the newest schema.
    """
    with opened(ctx) as database, speaking():
        kept = backups.restore(database, path, force=force)
    with opened(ctx):  # brings an older backup up to the newest schema
        pass
    click.echo(f"Restored {path}." + (f" The replaced database was kept as {kept}." if kept else ""))


COMMANDS = (init, demo_command, backup_command, restore_command)
