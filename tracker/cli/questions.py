"""``questions list|show|add|edit|watch``: the questions, as the Questions page shows them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click
import pandas as pd

from forecasts.entry import END_OF_DAY, parse_time, parse_value
from forecasts.errors import Invalid
from forecasts.quantities import shown_quantiles, shown_value
from forecasts.scoring.numeric import NumericRange
from services import event_links, questions
from services import forecasts as forecast_service
from services.questions import STATUSES, VIEWS, NewQuestion, QuestionDetail, QuestionFilter
from tracker.cli.common import FLAGS, echo_json, opened, speaking

QUESTION_FLAGS = {
    **FLAGS,
    "title": "TITLE",
    "question": "QUESTION",
    "type": "--type",
    "view": "--view",
    "range": "--lower/--upper",
    "unit": "--unit",
}


def _when(text: str | None, field: str, *, end_of_day: bool = False) -> datetime | None:
    """An ISO date or time from an option; a bare date closes at the end of that day (UTC)."""
    if text is None:
        return None
    when = parse_time(text, field)
    bare_date = len(text.strip()) == 10
    return (
        when.replace(hour=END_OF_DAY.hour, minute=END_OF_DAY.minute, second=59)
        if end_of_day and bare_date
        else when
    )


def _shown(when: datetime | None) -> str:
    return "—" if when is None else f"{when:%Y-%m-%d %H:%M} UTC"


@click.group("questions")
def questions_group() -> None:
    """List, show, add, edit and watch questions (what the Questions page shows)."""


@questions_group.command("list")
@click.option(
    "--search", "text", default="", metavar="WORDS", help="Only questions whose title has these words."
)
@click.option("--status", "statuses", multiple=True, type=click.Choice(STATUSES), help="Only these statuses.")
@click.option("--tag", help="Only questions with this tag.")
@click.option(
    "--view",
    type=click.Choice(VIEWS),
    default="all",
    show_default=True,
    help="ready: past resolve-by and unresolved; soon: due within 7 days; recently_resolved: last 7 days.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
@click.pass_context
def list_command(
    ctx: click.Context, text: str, statuses: tuple[str, ...], tag: str | None, view: str, as_json: bool
) -> None:
    """List questions, newest first, with status, outcome and forecast count."""
    wanted = QuestionFilter(text=text, statuses=statuses, tag=tag, view=view)
    with opened(ctx) as database, speaking(QUESTION_FLAGS):
        rows = questions.list_questions(database, wanted)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo(
            "No questions match. Add one with: python -m tracker questions add 'Will …?' --closes 2027-12-31"
        )
        return
    click.echo(f"{'id':>5}  {'status':<9} {'outcome':<10} {'closes':<10} {'fc':>4}  title")
    for row in rows:
        closes = f"{row.closes_at:%Y-%m-%d}" if row.closes_at else "—"
        click.echo(
            f"{row.id:>5}  {row.status:<9} {(row.outcome or '—')[:10]:<10} {closes:<10} "
            f"{row.n_forecasts:>4}  {row.title}"
        )


def _shape(detail: QuestionDetail) -> str:
    """`` (a, b, c)`` for multiple choice; `` from 20 to 120 USD (open above)`` for a number."""
    if detail.options:
        return f" ({', '.join(detail.options)})"
    scale = detail.scale
    if scale is None:
        return ""
    low, high = (shown_value(detail.type, bound, detail.unit) for bound in (scale.lower, scale.upper))
    open_sides = [
        side for side, is_open in (("below", scale.lower_open), ("above", scale.upper_open)) if is_open
    ]
    opened = f", open {' and '.join(open_sides)}" if open_sides else ""
    log = ", log scale" if scale.log_scale else ""
    return f" from {low} to {high}{opened}{log}"


def _print_detail(detail: QuestionDetail) -> None:
    click.echo(f"#{detail.id} {detail.title}")
    click.echo(f"  {detail.type}{_shape(detail)}, {detail.status}")
    if detail.outcome:
        click.echo(f"  resolved {detail.outcome} on {_shown(detail.resolved_at)}")
    click.echo(
        f"  opens {_shown(detail.opens_at)}, closes {_shown(detail.closes_at)}, "
        f"due {_shown(detail.resolve_by)}"
    )
    if detail.tags:
        click.echo(f"  tags: {', '.join(detail.tags)}")
    if detail.resolution_criteria:
        click.echo(f"  criteria: {detail.resolution_criteria}")
    if detail.watch_rule:
        click.echo(f"  watches: {detail.watch_rule}")


def _shown_forecast(record: dict[Any, Any], detail: QuestionDetail) -> str:
    if record["probability"] is not None:
        return f"{record['probability']:.0%}"
    if record["quantiles"] is not None:
        return shown_quantiles(detail.type, record["quantiles"], detail.unit)
    return " / ".join(f"{p:.0%}" for p in record["option_probabilities"] or ())


@questions_group.command("show")
@click.argument("question_id", metavar="QUESTION", type=int)
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object (the question and its latest forecasts)."
)
@click.pass_context
def show_command(ctx: click.Context, question_id: int, as_json: bool) -> None:
    """Show one question and its latest forecasts."""
    with opened(ctx) as database, speaking(QUESTION_FLAGS):
        detail = questions.get_question(database, question_id)
        latest = forecast_service.latest_forecasts(database, question_id, limit=20)
    records = [
        {**row, "probability": None if pd.isna(row["probability"]) else row["probability"]}
        for row in latest.to_dict("records")
    ]
    if as_json:
        echo_json({"question": detail, "latest_forecasts": records})
        return
    _print_detail(detail)
    for record in records:
        shown = _shown_forecast(record, detail)
        click.echo(
            f"  {_shown(record['made_at'])}  {record['forecaster']:<16} {shown}  {record['rationale']}"
        )


@questions_group.command("add")
@click.argument("title")
@click.option(
    "--closes", metavar="DATE", help="When forecasting stops: 2027-12-31 (end of that day, UTC) or a time."
)
@click.option("--resolve-by", metavar="DATE", help="When it should be resolved (default: when it closes).")
@click.option("--opens", metavar="TIME", help="When it opened (default: now).")
@click.option(
    "--type",
    "question_type",
    type=click.Choice(["binary", "multiple_choice", "numeric", "date"]),
    default="binary",
)
@click.option(
    "--option", "options", multiple=True, metavar="NAME", help="An option (multiple choice; repeat)."
)
@click.option(
    "--ordered", is_flag=True, help="The options are in order (counts, ranges, dates): also scored by RPS."
)
@click.option(
    "--lower", metavar="VALUE", help="Numeric or date: the lowest value (or date) it may resolve to."
)
@click.option(
    "--upper", metavar="VALUE", help="Numeric or date: the highest value (or date) it may resolve to."
)
@click.option("--open-lower", is_flag=True, help="Numeric: it may also resolve below --lower.")
@click.option("--open-upper", is_flag=True, help="Numeric: it may also resolve above --upper.")
@click.option("--log-scale", is_flag=True, help="Numeric: forecasts interpolate in the log of the value.")
@click.option("--unit", default="", metavar="TEXT", help="Numeric: the unit (USD, % of GDP, documents).")
@click.option("--tag", "tags", multiple=True, help="A tag (repeat for more).")
@click.option("--criteria", default="", help="How it will be resolved.")
@click.option("--description", default="", help="Background.")
@click.option("--json", "as_json", is_flag=True, help="Print the new question as JSON.")
@click.pass_context
def add_command(
    ctx: click.Context,
    title: str,
    closes: str | None,
    resolve_by: str | None,
    opens: str | None,
    question_type: str,
    options: tuple[str, ...],
    ordered: bool,
    lower: str | None,
    upper: str | None,
    open_lower: bool,
    open_upper: bool,
    log_scale: bool,
    unit: str,
    tags: tuple[str, ...],
    criteria: str,
    description: str,
    as_json: bool,
) -> None:
    """Add a question called TITLE: yes/no, multiple choice (--option, repeated), numeric or
    date (--lower and --upper, dates as 2017-12-31; each side closed unless --open-lower /
    --open-upper)."""
    with opened(ctx) as database, speaking(QUESTION_FLAGS):
        scale = None
        if lower is not None or upper is not None:
            if lower is None or upper is None:
                raise Invalid("range", "give both --lower and --upper")
            bounds = parse_value(lower, question_type, "range"), parse_value(upper, question_type, "range")
            scale = NumericRange(*bounds, lower_open=open_lower, upper_open=open_upper, log_scale=log_scale)
        new = NewQuestion(
            title=title,
            description=description,
            resolution_criteria=criteria,
            type=question_type,
            options=options or None,
            options_ordered=ordered,
            scale=scale,
            unit=unit,
            opens_at=_when(opens, "opens_at"),
            closes_at=_when(closes, "closes_at", end_of_day=True),
            resolve_by=_when(resolve_by, "resolve_by", end_of_day=True),
            tags=tags,
        )
        detail = questions.create_question(database, new, now=datetime.now(UTC))
    if as_json:
        echo_json(detail)
    else:
        click.echo(f"Added question {detail.id}: {detail.title}")


@questions_group.command("edit")
@click.argument("question_id", metavar="QUESTION", type=int)
@click.option("--title", help="New wording.")
@click.option("--closes", metavar="DATE", help="New close date or time.")
@click.option("--resolve-by", metavar="DATE", help="New resolve-by date or time.")
@click.option("--tag", "tags", multiple=True, help="The tags it should have (replaces them; repeat).")
@click.option("--no-tags", is_flag=True, help="Remove every tag.")
@click.option("--criteria", help="New resolution criteria.")
@click.option("--description", help="New background.")
@click.option("--json", "as_json", is_flag=True, help="Print the edited question as JSON.")
@click.pass_context
def edit_command(
    ctx: click.Context,
    question_id: int,
    title: str | None,
    closes: str | None,
    resolve_by: str | None,
    tags: tuple[str, ...],
    no_tags: bool,
    criteria: str | None,
    description: str | None,
    as_json: bool,
) -> None:
    """Edit the question QUESTION (its text, dates and tags)."""
    changes: dict[str, object] = {
        name: value
        for name, value in (("title", title), ("resolution_criteria", criteria), ("description", description))
        if value is not None
    }
    with opened(ctx) as database, speaking(QUESTION_FLAGS):
        if closes is not None:
            changes["closes_at"] = _when(closes, "closes_at", end_of_day=True)
        if resolve_by is not None:
            changes["resolve_by"] = _when(resolve_by, "resolve_by", end_of_day=True)
        if tags or no_tags:
            changes["tags"] = list(tags)
        detail = questions.edit_question(database, question_id, **changes)
    if as_json:
        echo_json(detail)
    else:
        click.echo(f"Edited question {detail.id}: {detail.title}")


@questions_group.command("watch")
@click.argument("question_id", metavar="QUESTION", type=int)
@click.argument("rule", metavar="RULE")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def watch_command(ctx: click.Context, question_id: int, rule: str, as_json: bool) -> None:
    """Link to QUESTION every event matching RULE, stored or still to come ('' stops watching).

    RULE is a topic rule: words, "phrases", prefix*, AND, OR, NOT and ( ), such as
    'kuril* OR "northern territories" NOT sport'. Events you unlink stay unlinked.
    """
    with opened(ctx) as database, speaking({**QUESTION_FLAGS, "rule": "RULE"}):
        result = event_links.watch_question(database, question_id, rule)
    if as_json:
        echo_json(result)
    elif result.rule is None:
        click.echo(f"Question {question_id} watches no rule now; the events linked so far stay linked.")
    else:
        click.echo(
            f"Question {question_id} watches {result.rule}: {result.matching} stored events match, "
            f"{result.linked} newly linked."
        )


COMMANDS = (questions_group,)
