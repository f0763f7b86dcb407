"""``export`` and ``import``: your data, in and out, as the Import & export page does it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from services import transfer
from services.transfer import IMPORT_FORMATS, ImportFormat, Progress
from tracker import exit_codes
from tracker.cli.common import opened, speaking

SHOWN_ROW_ERRORS = 50


def _events_path(path: Path) -> Path:
    """summit.csv → summit.events.csv: the events CSV that goes with a forecasts CSV."""
    return path.with_name(f"{path.stem}.events{path.suffix or '.csv'}")


@click.command("export")
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
@click.option(
    "--raw",
    is_flag=True,
    help="CSV: write cells exactly as stored. Without it, a cell starting with = + - @, a tab or "
    "a carriage return gets a leading ' so a spreadsheet shows it instead of running it "
    "(import takes the ' off again).",
)
@click.pass_context
def export_command(ctx: click.Context, out: Path, fmt: str | None, raw: bool) -> None:
    """Write every question, forecast, resolution and event to a file you can import again.

    Importing it into an empty database and exporting again gives the same bytes.
    """
    fmt = fmt or ("json" if out.suffix.lower() == ".json" else "csv")
    with opened(ctx) as database:
        bundle = transfer.export_bundle(database)
    if fmt == "json":
        out.write_text(transfer.bundle_json(bundle), encoding="utf-8")
        written = [out]
    else:
        out.write_text(transfer.forecasts_csv(bundle, raw=raw), encoding="utf-8")
        _events_path(out).write_text(transfer.events_csv(bundle, raw=raw), encoding="utf-8")
        written = [out, _events_path(out)]
    counts = bundle.counts()
    click.echo(
        f"Exported {counts['questions']} questions, {counts['forecasts']} forecasts, "
        f"{counts['resolutions']} resolutions and {counts['events']} events "
        f"to {', '.join(map(str, written))}."
    )


@contextmanager
def _progress_bar(total: int) -> Iterator[Progress]:
    """A progress bar on stderr, and the callback the writer reports to."""
    with click.progressbar(length=max(total, 1), label="Writing forecasts", file=sys.stderr) as bar:
        shown = 0

        def advance(done: int, _: int) -> None:
            nonlocal shown
            bar.update(done - shown)
            shown = done

        yield advance


@click.command("import")
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
@click.option(
    "--all-responders",
    is_flag=True,
    help="PredictionBook: import everyone's responses, not only the account owner's.",
)
@click.pass_context
def import_command(
    ctx: click.Context,
    file: Path,
    fmt: ImportFormat,
    mapping: str,
    dry_run: bool,
    strict: bool,
    all_responders: bool,
) -> None:
    """Import questions, forecasts and resolutions (or events) from FILE.

    Safe to repeat: records are matched by stable keys, so importing the same
    file twice changes nothing. Rows that cannot be read are listed with their
    line number and skipped; the rest go in as one transaction (exit code 3 if
    any row was skipped), or nothing does with --strict. A file that cannot be
    read at all changes nothing.
    """
    with opened(ctx) as database, speaking():
        options = (fmt, mapping, all_responders)
        if (again := transfer.already_imported(database, file, options)) is not None:
            _report_already_imported(file, again, dry_run)
            return
        with transfer.stored_read_ahead(database, file) as stored_ahead:
            parsed = transfer.read_file(file, file.name, fmt, mapping, all_responders=all_responders)
            click.echo(f"Read {file} as {parsed.format}.")
            _report_unreadable_rows(parsed)
            if strict and parsed.errors:
                unread = len(parsed.errors)
                click.echo(f"--strict: {unread} rows cannot be read, so nothing was imported.", err=True)
                raise SystemExit(exit_codes.ROWS_SKIPPED)
            with (
                transfer.receipt_meanwhile(file, options, parsed, dry_run=dry_run) as receipt_for,
                _progress_bar(len(parsed.bundle.forecasts)) as advance,
            ):
                counts = transfer.import_bundle(
                    database,
                    parsed.bundle,
                    dry_run=dry_run,
                    progress=advance,
                    stored_ahead=stored_ahead,
                    receipt_for=receipt_for,
                )
    for refused in counts.refused[:SHOWN_ROW_ERRORS]:
        click.echo(f"  skipped {refused}", err=True)
    click.echo(("Would import: " if dry_run else "Imported: ") + counts.summary() + ".")
    if dry_run:
        click.echo("Dry run: nothing was written.")
    if parsed.errors or counts.refused:
        raise SystemExit(exit_codes.ROWS_SKIPPED)


def _report_already_imported(file: Path, again: transfer.AlreadyImported, dry_run: bool) -> None:
    click.echo(
        f"{file} ({again.format}) was imported before, and neither it nor anything it touches "
        "has changed since: it was not read again."
    )
    for note in again.notes:
        click.echo(f"  note: {note}")
    click.echo(("Would import: " if dry_run else "Imported: ") + again.counts.summary() + ".")
    if dry_run:
        click.echo("Dry run: nothing was written.")


def _report_unreadable_rows(parsed: transfer.Parsed) -> None:
    for note in parsed.notes:
        click.echo(f"  note: {note}")
    for error in parsed.errors[:SHOWN_ROW_ERRORS]:
        click.echo(f"  skipped {error}", err=True)
    if len(parsed.errors) > SHOWN_ROW_ERRORS:
        click.echo(f"  … and {len(parsed.errors) - SHOWN_ROW_ERRORS} more rows skipped", err=True)


COMMANDS = (export_command, import_command)
