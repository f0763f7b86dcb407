"""``python -m tracker``: the command line, one module per command group, each a thin layer over
:mod:`services` (sqlite-utils style: every command mirrors a library call).

Commands open the database, call one service and print the result, as text or
with ``--json``; errors are worded with the command's own flags
(:mod:`tracker.cli.common`) and exit codes come from :mod:`tracker.exit_codes`.
"""

from __future__ import annotations

import click

from db import DATABASE_URL_ENV, DEFAULT_DATABASE_URL
from tracker.cli import database, events, forecasting, questions, scoring, sources, transfer


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help=(
        f"Database URL, e.g. sqlite:///data/tracker.db or postgresql+psycopg://user@host/name. "
        f"Default: ${DATABASE_URL_ENV}, else {DEFAULT_DATABASE_URL}."
    ),
)
@click.version_option("0.1.0", prog_name="Summit Watch")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None) -> None:
    """Summit Watch: log events, record forecasts, score them when questions resolve.

    Every command creates the database if needed and upgrades it to the newest
    schema before it runs. Start with `init`, then `demo` to load the 2016
    Abe–Putin summit scenario, or run `make run` to open the dashboard.
    """
    ctx.ensure_object(dict)
    ctx.obj["db_url"] = db_url


for module in (database, questions, forecasting, events, scoring, sources, transfer):
    for command in module.COMMANDS:
        cli.add_command(command)

__all__ = ["cli"]
