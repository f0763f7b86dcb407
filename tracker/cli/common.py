"""What every command shares: opening the database, wording errors with flags, JSON output.

Library errors name a field (``question``, ``settings.market``); here each
command says which of its own options or arguments that field is, so a person
reads ``--question: …`` rather than a library's vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import click

from db import DATABASE_URL_ENV, Database
from forecasts.errors import Invalid, NotFound, Refused, SummitWatchError
from services.backups import ConfirmationNeeded
from services.database import DatabaseUnavailable, open_database
from services.transfer import MappingNeeded
from tracker.cli.output import echo_json, number, plain

__all__ = ["echo_json", "number", "plain"]  # kept here for the command modules

# How the fields services name are spelled on the command line, unless a command says otherwise.
FLAGS: dict[str, str] = {
    "url": "--url",
    "every": "--every",
    "match": "--match",
    "kind": "--kind",
    "question": "--question",
    "setting": "--setting",
    "delete_events": "--delete-events",
    "forecaster": "--by",
    "made_at": "--at",
    "resolved_at": "--at",
    "rationale": "--why",
    "closes_at": "--closes",
    "opens_at": "--opens",
    "resolve_by": "--resolve-by",
    "options": "--option",
    "tags": "--tag",
    "description": "--description",
    "resolution_criteria": "--criteria",
}
CONFIRM_HINT = "Pass --force to go ahead."
MAPPING_HINT = "Give --format csv --map title=COLUMN,probability=COLUMN,made_at=COLUMN."


def flag_for(field: str, flags: Mapping[str, str]) -> str:
    if field in flags:
        return flags[field]
    head, _, rest = field.partition(".")
    if head == "settings" and rest:
        return f"--setting {rest}=…"
    if head == "tags" and rest:
        return f"--tag {rest}=RULE"
    return FLAGS.get(field, field)


def worded(error: SummitWatchError, flags: Mapping[str, str] = FLAGS) -> click.ClickException:
    """The error as a person reads it at the command line."""
    if isinstance(error, Invalid):
        flag = flag_for(error.field, flags)
        example = f" (e.g. {flag.replace('…', error.allowed)})" if error.allowed and "…" in flag else ""
        return click.ClickException(f"{flag}: {error.message}{example}")
    if isinstance(error, DatabaseUnavailable):
        stop = "" if error.message.endswith(("?", "!")) else "."
        return click.ClickException(f"{error.message}{stop} Check --db or ${DATABASE_URL_ENV}.")
    if isinstance(error, ConfirmationNeeded):
        return click.ClickException(f"{error.message}. {CONFIRM_HINT}")
    if isinstance(error, MappingNeeded):
        return click.ClickException(f"{error.message}. {MAPPING_HINT}")
    if isinstance(error, NotFound | Refused):
        return click.ClickException(error.message)
    return click.ClickException(str(error))


@contextmanager
def speaking(flags: Mapping[str, str] = FLAGS) -> Iterator[None]:
    """Turn any library error raised inside into a one-line message and exit code 1."""
    try:
        yield
    except SummitWatchError as error:
        raise worded(error, flags) from error


def database_of(ctx: click.Context) -> Database:
    """The database named by --db (else the configured one), upgraded to the newest schema."""
    with speaking():
        return open_database(ctx.obj.get("db_url"))


@contextmanager
def opened(ctx: click.Context) -> Iterator[Database]:
    database = database_of(ctx)
    try:
        yield database
    finally:
        database.dispose()
