"""``events search|link|unlink``: finding events and tying them to the questions they bear on."""

from __future__ import annotations

from typing import Any

import click

from forecasts.entry import parse_time
from forecasts.snippets import Snippet
from services import event_links
from services.event_links import EventHit, LinkChange
from tracker.cli.common import FLAGS, echo_json, opened, speaking

EVENT_FLAGS = {**FLAGS, "query": "QUERY", "question": "QUESTION", "event": "EVENT", "since": "--since"}


def _marked(snippet: Snippet) -> str:
    """Matches in [brackets]: a terminal shows no bold, and the text stays as it was written."""
    return "".join(f"[{text}]" if is_match else text for text, is_match in snippet.pieces)


def _hit_json(hit: EventHit) -> dict[str, Any]:
    return {
        "id": hit.id,
        "occurred_at": hit.occurred_at,
        "title": hit.title,
        "url": hit.url,
        "source": hit.source,
        "score": round(hit.score, 6),
        "title_highlighted": _marked(hit.title_snippet),
        "snippet": _marked(hit.summary_snippet),
    }


@click.group("events")
def events_group() -> None:
    """Search events, and link or unlink them to questions."""


@events_group.command("search")
@click.argument("query", metavar="QUERY")
@click.option(
    "--question", "question_id", type=int, metavar="ID", help="Only events linked to this question."
)
@click.option("--since", metavar="TIME", help="Only events on or after this date or time (ISO 8601, UTC).")
@click.option("--limit", default=event_links.SEARCH_LIMIT, show_default=True, help="At most this many.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list (best match first).")
@click.pass_context
def search_command(
    ctx: click.Context, query: str, question_id: int | None, since: str | None, limit: int, as_json: bool
) -> None:
    """Events matching QUERY, best first: words, "phrases", prefix*, AND, OR, NOT and ( ).

    Case and accents do not matter; Chinese and Japanese terms match inside words.
    """
    with opened(ctx) as database, speaking({**EVENT_FLAGS, "question": "--question"}):
        start = parse_time(since, "since") if since else None
        hits = event_links.search_events(database, query, question_id=question_id, since=start, limit=limit)
    if as_json:
        echo_json([_hit_json(hit) for hit in hits])
        return
    if not hits:
        click.echo(f"No events match {query!r}.")
        return
    for hit in hits:
        click.echo(
            f"{hit.id:>7}  {hit.occurred_at:%Y-%m-%d %H:%M}  {hit.source}: {_marked(hit.title_snippet)}"
        )
        if hit.summary_snippet.has_match:
            click.echo(f"         {_marked(hit.summary_snippet)}")


def _said(change: LinkChange, verb: str, already: str) -> str:
    if not change.changed:
        return f"Event {change.event_id} was {already} question {change.question_id}; nothing changed."
    return (
        f"{verb} event {change.event_id} ({change.event_title}) {'to' if verb == 'Linked' else 'from'} "
        f"question {change.question_id} ({change.question_title})."
    )


@events_group.command("link")
@click.argument("event_id", metavar="EVENT", type=int)
@click.argument("question_id", metavar="QUESTION", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def link_command(ctx: click.Context, event_id: int, question_id: int, as_json: bool) -> None:
    """Link EVENT to QUESTION by hand (this also undoes an earlier unlink)."""
    with opened(ctx) as database, speaking(EVENT_FLAGS):
        change = event_links.link_event(database, event_id, question_id)
    echo_json(change) if as_json else click.echo(_said(change, "Linked", "linked to"))


@events_group.command("unlink")
@click.argument("event_id", metavar="EVENT", type=int)
@click.argument("question_id", metavar="QUESTION", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def unlink_command(ctx: click.Context, event_id: int, question_id: int, as_json: bool) -> None:
    """Unlink EVENT from QUESTION; no watch rule, source or import links them again."""
    with opened(ctx) as database, speaking(EVENT_FLAGS):
        change = event_links.unlink_event(database, event_id, question_id)
    echo_json(change) if as_json else click.echo(_said(change, "Unlinked", "not linked to"))


COMMANDS = (events_group,)
