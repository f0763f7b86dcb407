"""``sources …``, ``ingest`` and ``scheduler``: following events and crowds."""

from __future__ import annotations

import logging

import click

from services import sources as source_service
from services import status as status_service
from services.sources import NewSource
from tracker import exit_codes
from tracker.cli.common import FLAGS, echo_json, opened, speaking
from tracker.ingest import ingest_source
from tracker.worker import run_worker

SOURCE_FLAGS = {**FLAGS, "name": "NAME", "question": "--question", "delete_events": "--delete-events"}


def _settings_help() -> str:
    """The --setting help, from every kind's declared settings."""
    parts = [
        f"{setting.name}= ({kind.name})"
        for kind in source_service.kinds()
        for setting in kind.settings
        if setting.required
    ]
    lists = [f"{s.name}={s.example}" for kind in source_service.kinds() for s in kind.settings if s.is_list]
    return "Kind-specific settings: " + ", ".join(parts + lists) + "."


def _kinds_epilog() -> str:
    lines = ["\b", "Kinds:"]
    for kind in source_service.kinds():
        needs = ", ".join(f"--setting {s.name}=…" for s in kind.required_settings)
        extra = (" --url" if kind.url_required else "") + (f" {needs}" if needs else "")
        extra += " --question ID" if kind.is_crowd else ""
        lines.append(f"  {kind.name:<13} {kind.label}{':' + extra if extra else ''}")
        if kind.note:
            lines.append(f"  {'':<13} {kind.note}")
    return "\n".join(lines)


@click.group("sources")
def sources_group() -> None:
    """Add, list, enable, disable and remove the sources the worker polls."""


@sources_group.command("add", epilog=_kinds_epilog())
@click.argument("name")
@click.option("--kind", required=True, type=click.Choice([k.name for k in source_service.kinds()]))
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
@click.option("--setting", "settings", multiple=True, metavar="KEY=VALUE", help=_settings_help())
@click.option(
    "--tag", "tags", multiple=True, metavar="TAG[=RULE]", help="Tag every event, or only those matching RULE."
)
@click.option("--disabled", is_flag=True, help="Add it switched off (enable it later).")
@click.option("--json", "as_json", is_flag=True, help="Print the new source as JSON.")
@click.pass_context
def add_command(
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
    as_json: bool,
) -> None:
    """Add a source called NAME.

    \b
    Examples:
      sources add nhk --kind rss --url https://example.org/feed.xml --match 'kuril* OR "northern territories"'
      sources add gdelt --kind gdelt-doc --setting 'query=(kuril OR shikotan) sourcelang:english'
      sources add manifold-treaty --kind manifold --setting market=abc123 --question 12
    """
    with opened(ctx) as database, speaking(SOURCE_FLAGS):
        added = source_service.add_source(
            database,
            NewSource(
                name=name,
                kind=kind,
                url=url,
                every=every,
                match=match,
                question_id=question_id,
                settings=source_service.parse_settings(kind, settings, tags),
                enabled=not disabled,
            ),
        )
    if as_json:
        echo_json(added)
        return
    state = "disabled" if disabled else f"polled every {added.every}"
    click.echo(
        f"Added {kind} source {name!r} ({state}). Run it now with: python -m tracker ingest --source {name}"
    )


@sources_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """List the sources with their schedule, events and last run."""
    with opened(ctx) as database:
        rows = source_service.list_sources(database)
    if as_json:
        echo_json(rows)
        return
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


@sources_group.command("edit")
@click.argument("name")
@click.option("--every", metavar="INTERVAL", help="How often to poll: 30s, 15m, 2h, 1d.")
@click.option("--match", "match", metavar="RULE", help="A new topic rule ('' keeps every item).")
@click.pass_context
def edit_command(ctx: click.Context, name: str, every: str | None, match: str | None) -> None:
    """Change how often the source NAME is polled, or its topic rule."""
    with opened(ctx) as database, speaking(SOURCE_FLAGS):
        edited = source_service.edit_source(database, name, every=every, match=match)
    click.echo(f"Edited {name!r}: every {edited.every}, rule {edited.match_rule or '(everything)'}.")


@sources_group.command("remove")
@click.argument("name")
@click.option("--delete-events", is_flag=True, help="Also delete the events it logged (otherwise refused).")
@click.pass_context
def remove_command(ctx: click.Context, name: str, delete_events: bool) -> None:
    """Remove the source NAME. Its events are kept unless you pass --delete-events."""
    with opened(ctx) as database, speaking(SOURCE_FLAGS):
        n_events = source_service.remove_source(database, name, delete_events=delete_events)
    click.echo(f"Removed {name!r}" + (f" and its {n_events} events." if n_events else "."))


def _toggle(ctx: click.Context, name: str, enabled: bool) -> None:
    with opened(ctx) as database, speaking(SOURCE_FLAGS):
        source_service.set_enabled(database, name, enabled)
    click.echo(
        f"{'Enabled' if enabled else 'Disabled'} {name!r}; a running worker picks this up within 30 s."
    )


@sources_group.command("enable")
@click.argument("name")
@click.pass_context
def enable_command(ctx: click.Context, name: str) -> None:
    """Switch the source NAME on: the worker polls it on its schedule."""
    _toggle(ctx, name, True)


@sources_group.command("disable")
@click.argument("name")
@click.pass_context
def disable_command(ctx: click.Context, name: str) -> None:
    """Switch the source NAME off; its events stay."""
    _toggle(ctx, name, False)


@click.command()
@click.option("--source", "source_name", metavar="NAME", help="Run only this source (even if disabled).")
@click.pass_context
def ingest(ctx: click.Context, source_name: str | None) -> None:
    """Poll sources now and store what they return; prints counts per source.

    Without --source every enabled source runs. A failing source says why and
    the others still run; the exit code is 1 if any failed.
    """
    with opened(ctx) as database:
        with speaking(SOURCE_FLAGS):
            if source_name:
                targets = [source_service.get_source(database, source_name).id]
            else:
                targets = [source_id for source_id, _, _ in source_service.enabled_sources(database)]
        if not targets:
            click.echo(
                "No enabled sources. Add one with `sources add`, or enable one with `sources enable NAME`."
            )
            return
        interrupted = status_service.close_interrupted_runs(database)
        if interrupted:
            click.echo(f"Closed {interrupted} run(s) left running by a process that stopped, as interrupted.")
        failed = 0
        for source_id in targets:
            report = ingest_source(database, source_id)
            click.echo(report.summary(), err=report.status == "error")
            for note in report.notes[:10]:
                click.echo(f"  note: {note}")
            failed += report.status == "error"
    if failed:
        raise SystemExit(exit_codes.FAILED)


@click.command()
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
    for noisy in ("apscheduler", "httpx", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    with opened(ctx) as database:
        code = run_worker(
            database,
            heartbeat_seconds=heartbeat_seconds,
            command_seconds=command_seconds,
            sync_seconds=sync_seconds,
        )
    raise SystemExit(code)


COMMANDS = (sources_group, ingest, scheduler)
