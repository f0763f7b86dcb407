"""``python -m tracker``: the command line, one module per command group, each a thin layer over
:mod:`services` (sqlite-utils style: every command mirrors a library call).

Commands open the database, call one service and print the result, as text or
with ``--json``; errors are worded with the command's own flags
(:mod:`tracker.cli.common`) and exit codes come from :mod:`tracker.exit_codes`.
"""

from __future__ import annotations

import importlib

import click

from db.config import DATABASE_URL_ENV, DEFAULT_DATABASE_URL

# Each command's module, imported when the command runs (or when --help lists them all): `score`
# needs no database, so it should not wait for SQLAlchemy and Alembic to import.
COMMAND_MODULES = {
    "backup": "database",
    "demo": "database",
    "events": "events",
    "export": "transfer",
    "forecast": "forecasting",
    "import": "transfer",
    "ingest": "sources",
    "init": "database",
    "questions": "questions",
    "resolve": "forecasting",
    "restore": "database",
    "scheduler": "sources",
    "score": "score_csv",
    "scores": "scoring",
    "sources": "sources",
    "unresolve": "forecasting",
}


def all_commands() -> dict[str, click.Command]:
    """Every command by name, each module imported."""
    found = {}
    for module_name in sorted(set(COMMAND_MODULES.values())):
        for command in importlib.import_module(f"tracker.cli.{module_name}").COMMANDS:
            found[str(command.name)] = command
    return found


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = COMMAND_MODULES.get(cmd_name)
        if module_name is None:
            return None
        module = importlib.import_module(f"tracker.cli.{module_name}")
        return next((c for c in module.COMMANDS if c.name == cmd_name), None)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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


__all__ = ["all_commands", "cli"]
