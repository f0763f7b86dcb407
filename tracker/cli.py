"""``python -m tracker``: the command line, a thin layer over ``db`` and ``forecasts``.

Each command opens the database, calls one library function and words its
errors for people; nothing here holds logic of its own.
"""

from __future__ import annotations

import click
from sqlalchemy import make_url
from sqlalchemy.exc import OperationalError

from db import DATABASE_URL_ENV, DEFAULT_DATABASE_URL, Database, open_database, resolve_database_url
from db.migrate import current_revision, head_revision
from forecasts.demo import load_demo, remove_demo


def _open(ctx: click.Context) -> Database:
    url = resolve_database_url(ctx.obj.get("db_url"))
    try:
        return open_database(url)
    except OperationalError as error:
        shown = make_url(url).render_as_string(hide_password=True)
        raise click.ClickException(
            f"cannot open the database {shown}: {error.orig}. Check --db or ${DATABASE_URL_ENV}."
        ) from error


def _safe_url(database: Database) -> str:
    return database.engine.url.render_as_string(hide_password=True)


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


@cli.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create the database, or upgrade it to the newest schema.

    Safe to run any number of times: an up-to-date database is left as it is.
    """
    database = _open(ctx)
    revision = current_revision(database.url)
    click.echo(f"Database ready: {_safe_url(database)} (schema {revision}, newest {head_revision()})")
    database.dispose()


@cli.command()
@click.option(
    "--remove", is_flag=True, help="Delete the demo questions, forecasts, events and forecasters instead."
)
@click.pass_context
def demo(ctx: click.Context, remove: bool) -> None:
    """Load the demo scenario: the December 2016 Abe–Putin summit, 2016–2022.

    29 questions with their real outcomes and dates, 42 dated events with
    source links, and illustrative forecasts by four forecasters, among them
    what the seed article implied in autumn 2016. Loading twice adds nothing;
    your own edits to demo rows are kept.
    """
    database = _open(ctx)
    with database.write_session() as session:
        if remove:
            n_removed = remove_demo(session)
            click.echo(f"Removed the demo: {n_removed} questions with their forecasts and events.")
            return
        report = load_demo(session)
    if report.total == 0:
        click.echo("The demo is already loaded; nothing to add.")
    else:
        added = ", ".join(f"{kind} {n}" for kind, n in report.added.items())
        click.echo(f"Loaded the demo: {added}.")
    click.echo("Demo outcomes and dates are real; demo forecasts are illustrative.")
    database.dispose()
