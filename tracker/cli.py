"""``python -m tracker``: the command line, a thin layer over ``db`` and ``forecasts``.

Each command opens the database, calls one library function and words its
errors for people; nothing here holds logic of its own.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import click
from sqlalchemy import make_url
from sqlalchemy.exc import OperationalError

from db import DATABASE_URL_ENV, DEFAULT_DATABASE_URL, Database, open_database, resolve_database_url
from db.migrate import current_revision, head_revision
from forecasts.demo import load_demo, remove_demo
from forecasts.score_csv import REQUIRED, ScoreFileError, read_score_file
from forecasts.scoring.samples import SAMPLE_MODES
from forecasts.scoring.scorecard import Scorecard, score_forecasts

# `score` exits with this when it scored the file but had to skip bad rows.
EXIT_ROWS_SKIPPED = 3


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


def _plain(value: Any) -> Any:
    """JSON-ready: dataclasses to dicts, tuples to lists, NaN to null."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _number(value: float | None, digits: int = 4) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def _print_scorecard(card: Scorecard) -> None:
    click.echo(
        f"Scored {card.n_forecasts} forecasts on {card.n_questions} questions by {card.n_forecasters} "
        f"forecasters; calibration samples: {card.samples} ({card.n_samples})."
    )
    low, high = card.log_clamp
    click.echo(
        f"Brier {_number(card.brier)} on the 0–1 scale ({_number(2 * card.brier)} on the 0–2 scale)   "
        f"Log {_number(card.log)} (natural log, p clamped to [{low}, {high}])"
    )
    corp, split = card.corp, card.murphy
    click.echo(f"CORP Brier: MCB {_number(corp.mcb)}  DSC {_number(corp.dsc)}  UNC {_number(corp.unc)}")
    click.echo(
        f"Murphy: REL {_number(split.rel)}  RES {_number(split.res)}  UNC {_number(split.unc)}  "
        f"WBV {_number(split.wbv)}  WBC {_number(split.wbc)}"
    )
    click.echo("")
    header = (
        f"{'forecaster':<20} {'forecasts':>9} {'questions':>9} {'Brier 0–1':>10} "
        f"{'log':>7} {'MCB':>7} {'DSC':>7}"
    )
    timed = any(c.timeline for c in card.by_forecaster.values())
    if timed:
        header += f" {'coverage':>8} {'daily Brier':>11} {'vs median':>9} {'peer':>8}"
    click.echo(header)
    for name, mine in card.by_forecaster.items():
        line = (
            f"{name[:20]:<20} {mine.n_forecasts:>9} {mine.n_questions:>9} {_number(mine.brier):>10} "
            f"{_number(mine.log, 3):>7} {_number(mine.corp.mcb, 3):>7} {_number(mine.corp.dsc, 3):>7}"
        )
        if timed and mine.timeline:
            t = mine.timeline
            line += (
                f" {_number(t.coverage, 2):>8} {_number(t.brier_daily):>11} "
                f"{_number(t.relative_brier_daily):>9} {_number(t.peer, 1):>8}"
            )
        click.echo(line)
    click.echo("")
    click.echo(f"{'bin':<11} {'count':>6} {'mean forecast':>13} {'observed':>9} {'95% Wilson':>16}")
    for b in card.calibration:
        closing = "]" if b.upper == 1.0 else ")"
        click.echo(
            f"[{b.lower:.2f}, {b.upper:.2f}{closing:<1} {b.count:>6} {b.mean_forecast:>13.3f} "
            f"{b.observed:>9.3f}   {b.ci_low:.3f}–{b.ci_high:.3f}"
        )


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option(
    "--samples",
    type=click.Choice(SAMPLE_MODES),
    default="last",
    show_default=True,
    help="Which forecasts count for calibration: the last per forecaster and question, "
    "every forecast weighted by how long it stood, or every forecast.",
)
def score(file: Path, as_json: bool, samples: str) -> None:
    """Score a CSV of resolved binary forecasts; needs no database.

    Columns: question_id, forecaster, made_at, probability, outcome (1 or 0;
    blank = unresolved, left out), and optionally opens_at, closes_at,
    resolved_at (ISO-8601; no zone means UTC). With the window columns you also
    get time-averaged scores per question (exact-time and daily, coverage,
    Brier against the daily median, Metaculus peer score).

    Bad rows are reported with their line number and skipped; the rest is still
    scored, and the exit code is 3 when any row was skipped.
    """
    try:
        parsed = read_score_file(file)
    except ScoreFileError as error:
        raise click.ClickException(str(error)) from error
    for row in parsed.skipped:
        click.echo(f"{file}:{row.line}: skipped: {row.reason}", err=True)
    if len(parsed.table) == 0:
        raise click.ClickException(
            f"{file}: no resolved forecasts to score "
            f"(needs rows with {', '.join(REQUIRED)} and outcome 1 or 0)"
        )
    try:
        card = score_forecasts(parsed.table, samples=samples)  # type: ignore[arg-type]
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        payload = _plain(card) | {
            "brier_scale": "0-1 (half form; double it for the 0-2 scale of GJ Open and Fatebook)",
            "n_unresolved": parsed.n_unresolved,
            "skipped": [_plain(row) for row in parsed.skipped],
        }
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        _print_scorecard(card)
        if parsed.n_unresolved:
            click.echo(f"\n{parsed.n_unresolved} unresolved rows left out.")
    if parsed.skipped:
        click.echo(f"{len(parsed.skipped)} rows skipped (see above); the rest was scored.", err=True)
        raise SystemExit(EXIT_ROWS_SKIPPED)
