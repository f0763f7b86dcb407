"""``python -m tracker``: the command line, a thin layer over ``db`` and ``forecasts``.

Each command opens the database, calls one library function and words its
errors for people; nothing here holds logic of its own.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import func, make_url, select
from sqlalchemy.exc import OperationalError

from db import DATABASE_URL_ENV, DEFAULT_DATABASE_URL, Database, open_database, resolve_database_url
from db.backup import BackupError, backup, restore
from db.migrate import current_revision, head_revision
from db.models import SOURCE_KINDS, Event, Forecast, Question, Source
from forecasts.demo import load_demo, remove_demo
from forecasts.errors import ValidationError
from forecasts.score_csv import REQUIRED, ScoreFileError, read_score_file
from forecasts.scoring.samples import SAMPLE_MODES
from forecasts.scoring.scorecard import Scorecard, score_forecasts
from forecasts.transfer import (
    IMPORT_FORMATS,
    ImportRefused,
    bundle_json,
    events_csv,
    forecasts_csv,
    import_bundle,
    read_bundle,
    read_file,
)
from tracker.ingest import ingest_source
from tracker.registry import (
    add_source,
    format_interval,
    get_source,
    list_sources,
    parse_settings,
    remove_source,
    set_enabled,
)
from tracker.status import worker_status
from tracker.worker import run_worker

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

    29 resolved questions with their real outcomes and dates, 3 still open,
    42 dated events with source links, and illustrative forecasts by four
    forecasters, among them what the seed article implied in autumn 2016. Loading twice adds nothing;
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


# --- Sources, ingestion and the worker ---------------------------------------------------------


def _validation(error: ValidationError) -> click.ClickException:
    return click.ClickException(f"{error.field}: {error.message}")


@cli.group()
def sources() -> None:
    """Add, list, enable, disable and remove the sources the worker polls."""


@sources.command("add")
@click.argument("name")
@click.option("--kind", required=True, type=click.Choice([k for k in SOURCE_KINDS if k != "manual"]))
@click.option("--url", help="Feed address, or the API base URL for other kinds (defaults to the public API).")
@click.option(
    "--every",
    metavar="INTERVAL",
    help="How often to poll: 30s, 15m, 2h, 1d. Default 15m for feeds, 1h for crowds.",
)
@click.option(
    "--match", "match", metavar="RULE", help="Topic rule, e.g. 'kuril* OR \"northern territories\"'."
)
@click.option(
    "--question",
    "question_id",
    type=int,
    help="Question id: crowd sources log forecasts on it; feeds link events to it.",
)
@click.option(
    "--setting",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="query= (gdelt-doc), actors=JPN,RUS (gdelt-events), market= / post= (crowd).",
)
@click.option(
    "--tag", "tags", multiple=True, metavar="TAG[=RULE]", help="Tag every event, or only those matching RULE."
)
@click.option("--disabled", is_flag=True, help="Add it switched off (enable it later).")
@click.pass_context
def sources_add(
    ctx: click.Context,
    name: str,
    kind: str,
    url: str | None,
    every: str | None,
    match: str | None,
    question_id: int | None,
    settings: tuple[str, ...],
    tags: tuple[str, ...],
    disabled: bool,
) -> None:
    """Add a source called NAME.

    \b
    Examples:
      sources add nhk --kind rss --url https://example.org/feed.xml --match 'kuril* OR "northern territories"'
      sources add gdelt --kind gdelt-doc --setting 'query=(kuril OR shikotan) sourcelang:english'
      sources add manifold-treaty --kind manifold --setting market=abc123 --question 12
    """
    database = _open(ctx)
    try:
        with database.write_session() as session:
            source = add_source(
                session,
                name=name,
                kind=kind,
                url=url,
                every=every,
                match=match,
                question_id=question_id,
                settings=parse_settings(settings, tags),
                enabled=not disabled,
            )
            state = "disabled" if disabled else f"polled every {format_interval(source.every_seconds)}"
    except ValidationError as error:
        raise _validation(error) from error
    click.echo(
        f"Added {kind} source {name!r} ({state}). Run it now with: python -m tracker ingest --source {name}"
    )


@sources.command("list")
@click.pass_context
def sources_list(ctx: click.Context) -> None:
    """List the sources with their schedule, events and last run."""
    database = _open(ctx)
    with database.read_session() as session:
        rows = list_sources(session)
    if not rows:
        click.echo("No sources yet. Add one with: python -m tracker sources add NAME --kind rss --url URL")
        return
    click.echo(f"{'name':<24} {'kind':<13} {'on':<3} {'every':>6} {'events':>7}  last run")
    for row in rows:
        last = "never"
        if row.last_run_at:
            last = f"{row.last_run_at:%Y-%m-%d %H:%M} UTC {row.last_status}"
            if row.last_error:
                last += f": {row.last_error}"
        enabled = "yes" if row.enabled else "no"
        click.echo(
            f"{row.name[:24]:<24} {row.kind:<13} {enabled:<3} {row.every:>6} {row.n_events:>7}  {last}"
        )
        if row.match_rule:
            click.echo(f"{'':<24} match: {row.match_rule}")


@sources.command("remove")
@click.argument("name")
@click.option("--delete-events", is_flag=True, help="Also delete the events it logged (otherwise refused).")
@click.pass_context
def sources_remove(ctx: click.Context, name: str, delete_events: bool) -> None:
    """Remove the source NAME. Its events are kept unless you pass --delete-events."""
    database = _open(ctx)
    try:
        with database.write_session() as session:
            n_events = remove_source(session, name, delete_events=delete_events)
    except ValidationError as error:
        raise _validation(error) from error
    click.echo(f"Removed {name!r}" + (f" and its {n_events} events." if n_events else "."))


def _toggle(ctx: click.Context, name: str, enabled: bool) -> None:
    database = _open(ctx)
    try:
        with database.write_session() as session:
            set_enabled(session, name, enabled)
    except ValidationError as error:
        raise _validation(error) from error
    click.echo(
        f"{'Enabled' if enabled else 'Disabled'} {name!r}; a running worker picks this up within 30 s."
    )


@sources.command("enable")
@click.argument("name")
@click.pass_context
def sources_enable(ctx: click.Context, name: str) -> None:
    """Switch the source NAME on: the worker polls it on its schedule."""
    _toggle(ctx, name, True)


@sources.command("disable")
@click.argument("name")
@click.pass_context
def sources_disable(ctx: click.Context, name: str) -> None:
    """Switch the source NAME off; its events stay."""
    _toggle(ctx, name, False)


@cli.command()
@click.option("--source", "source_name", metavar="NAME", help="Run only this source (even if disabled).")
@click.pass_context
def ingest(ctx: click.Context, source_name: str | None) -> None:
    """Poll sources now and store what they return; prints counts per source.

    Without --source every enabled source runs. A failing source says why and
    the others still run; the exit code is 1 if any failed.
    """
    database = _open(ctx)
    with database.read_session() as session:
        if source_name:
            try:
                targets = [(get_source(session, source_name).id, source_name)]
            except ValidationError as error:
                raise _validation(error) from error
        else:
            query = select(Source.id, Source.name).where(Source.enabled.is_(True), Source.kind != "manual")
            targets = [tuple(row) for row in session.execute(query.order_by(Source.name))]
    if not targets:
        click.echo(
            "No enabled sources. Add one with `sources add`, or enable one with `sources enable NAME`."
        )
        return
    failed = 0
    for source_id, _ in targets:
        report = ingest_source(database, source_id)
        click.echo(report.summary(), err=report.status == "error")
        for note in report.notes[:10]:
            click.echo(f"  note: {note}")
        failed += report.status == "error"
    if failed:
        raise SystemExit(1)


@cli.command()
@click.option(
    "--heartbeat",
    "heartbeat_seconds",
    type=float,
    default=30.0,
    show_default=True,
    help="Seconds between heartbeats.",
)
@click.option(
    "--command-poll",
    "command_seconds",
    type=float,
    default=2.0,
    show_default=True,
    help="Seconds between checks for 'run now' requests.",
)
@click.option(
    "--sync",
    "sync_seconds",
    type=float,
    default=30.0,
    show_default=True,
    help="Seconds between re-reading the source list.",
)
@click.pass_context
def scheduler(
    ctx: click.Context, heartbeat_seconds: float, command_seconds: float, sync_seconds: float
) -> None:
    """Run the worker: poll sources on schedule until SIGTERM or Ctrl-C.

    Only one worker runs per database: a second one refuses to start (exit
    code 3). Its state (heartbeat, runs, next run per source) is in the
    database, where the dashboard reads it.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    database = _open(ctx)
    code = run_worker(
        database,
        heartbeat_seconds=heartbeat_seconds,
        command_seconds=command_seconds,
        sync_seconds=sync_seconds,
    )
    database.dispose()
    raise SystemExit(code)


# --- export, import, backup, restore ---------------------------------------------------------


def _events_path(path: Path) -> Path:
    """summit.csv → summit.events.csv: the events CSV that goes with a forecasts CSV."""
    return path.with_name(f"{path.stem}.events{path.suffix or '.csv'}")


@cli.command("export")
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json"]),
    default=None,
    help="csv: one row per forecast, plus OUT.events.csv; json: everything. Default: from OUT's suffix.",
)
@click.pass_context
def export_command(ctx: click.Context, out: Path, fmt: str | None) -> None:
    """Write every question, forecast, resolution and event to a file you can import again.

    Importing it into an empty database and exporting again gives the same bytes.
    """
    fmt = fmt or ("json" if out.suffix.lower() == ".json" else "csv")
    database = _open(ctx)
    with database.read_session() as session:
        bundle = read_bundle(session)
    database.dispose()
    if fmt == "json":
        out.write_text(bundle_json(bundle), encoding="utf-8")
        written = [out]
    else:
        out.write_text(forecasts_csv(bundle), encoding="utf-8")
        _events_path(out).write_text(events_csv(bundle), encoding="utf-8")
        written = [out, _events_path(out)]
    counts = bundle.counts()
    click.echo(
        f"Exported {counts['questions']} questions, {counts['forecasts']} forecasts, "
        f"{counts['resolutions']} resolutions and {counts['events']} events "
        f"to {', '.join(map(str, written))}."
    )


@cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(IMPORT_FORMATS),
    default="auto",
    show_default=True,
    help="ours: our CSV/JSON; fatebook: its CSV export; predictionbook: its API JSON; "
    "csv: any CSV with --map.",
)
@click.option(
    "--map",
    "mapping",
    default="",
    metavar="FIELD=COLUMN,…",
    help="For --format csv: which column holds what, e.g. title=Question,probability=P,made_at=Date. "
    "Fields: title, probability, made_at, forecaster, created_at, resolve_by, resolution, "
    "resolved_at, tags, notes.",
)
@click.option(
    "--dry-run", is_flag=True, help="Read and check the file, say what would change, write nothing."
)
@click.option("--strict", is_flag=True, help="Import nothing at all if any row cannot be read.")
@click.pass_context
def import_command(
    ctx: click.Context, file: Path, fmt: str, mapping: str, dry_run: bool, strict: bool
) -> None:
    """Import questions, forecasts and resolutions (or events) from FILE.

    Safe to repeat: records are matched by stable keys, so importing the same
    file twice changes nothing. Rows that cannot be read are listed with their
    line number and skipped; the rest go in as one transaction (exit code 3 if
    any row was skipped), or nothing does with --strict. A file that cannot be
    read at all changes nothing.
    """
    try:
        parsed = read_file(file.read_bytes(), file.name, fmt, mapping)  # type: ignore[arg-type]
    except ImportRefused as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Read {file} as {parsed.format}.")
    for note in parsed.notes:
        click.echo(f"  note: {note}")
    for error in parsed.errors[:50]:
        click.echo(f"  skipped {error}", err=True)
    if len(parsed.errors) > 50:
        click.echo(f"  … and {len(parsed.errors) - 50} more rows skipped", err=True)
    if strict and parsed.errors:
        click.echo(f"--strict: {len(parsed.errors)} rows cannot be read, so nothing was imported.", err=True)
        raise SystemExit(EXIT_ROWS_SKIPPED)
    database = _open(ctx)
    total = len(parsed.bundle.forecasts)
    with click.progressbar(length=max(total, 1), label="Writing forecasts", file=sys.stderr) as bar:
        shown = 0

        def advance(done: int, _: int) -> None:
            nonlocal shown
            bar.update(done - shown)
            shown = done

        try:
            counts = import_bundle(database, parsed.bundle, dry_run=dry_run, progress=advance)
        except ImportRefused as error:
            raise click.ClickException(str(error)) from error
        finally:
            database.dispose()
    click.echo(("Would import: " if dry_run else "Imported: ") + counts.summary() + ".")
    if dry_run:
        click.echo("Dry run: nothing was written.")
    if parsed.errors:
        raise SystemExit(EXIT_ROWS_SKIPPED)


@cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@click.pass_context
def backup_command(ctx: click.Context, path: Path, force: bool) -> None:
    """Copy the database to PATH, consistently, even while the worker is writing.

    Uses SQLite's online backup API and checks the copy before naming it PATH.
    On PostgreSQL it tells you the pg_dump command instead.
    """
    database = _open(ctx)
    try:
        result = backup(database, path, force=force)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    finally:
        database.dispose()
    click.echo(f"Backed up to {result.path} ({result.bytes / 1e6:.1f} MB); integrity check ok.")


@cli.command("restore")
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
    database = _open(ctx)
    try:
        with database.read_session() as session:
            if worker_status(session, datetime.now(UTC)).alive:
                raise BackupError(
                    "the worker is running on this database; stop it (Ctrl-C in `make run`) first"
                )
            holds_data = any(
                session.scalar(select(func.count()).select_from(model))
                for model in (Question, Forecast, Event)
            )
        safety = restore(database, path, force=force, holds_data=holds_data)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    finally:
        database.dispose()
    database = _open(ctx)  # brings an older backup up to the newest schema
    database.dispose()
    click.echo(f"Restored {path}." + (f" The replaced database was kept as {safety}." if safety else ""))
