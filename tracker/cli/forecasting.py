"""``forecast``, ``resolve`` and ``unresolve``: the two forms of a question's page, on the command line."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import click

from forecasts.entry import parse_distribution, parse_probability, parse_time, parse_value
from forecasts.errors import Invalid
from forecasts.quantities import shown_quantiles
from services import forecasts as forecast_service
from services import questions, resolutions
from services.forecasts import ForecastInput, SavedForecast
from services.questions import QuestionDetail
from tracker.cli.common import FLAGS, echo_json, opened, speaking

FORECAST_FLAGS = {
    **FLAGS,
    "question": "QUESTION",
    "probability": "PROBABILITY",
    "option_probabilities": "PROBABILITY",
    "quantiles": "PROBABILITY",
    "forecaster": "--by",
    "event": "--because",
}
RESOLVE_FLAGS = {
    **FLAGS,
    "question": "QUESTION",
    "outcome": "OUTCOME",
    "option": "OUTCOME",
    "value": "OUTCOME",
}


def _option_values(text: str, options: tuple[str, ...]) -> list[float]:
    """``30%,50%,20%`` (in the options' order) or ``A=30%,B=70%`` (by name; the rest get 0)."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not all("=" in part for part in parts):
        return [parse_probability(part, "option_probabilities") for part in parts]
    named = {name.strip(): value for name, _, value in (part.partition("=") for part in parts)}
    unknown = sorted(set(named) - set(options))
    if unknown:
        raise Invalid(
            "option_probabilities", f"no option {unknown[0]!r}; the options are {', '.join(options)}"
        )
    return [parse_probability(named[o], "option_probabilities") if o in named else 0.0 for o in options]


@click.command("forecast")
@click.argument("question_id", metavar="QUESTION", type=int)
@click.argument("probability", metavar="PROBABILITY")
@click.option("--by", "forecaster", required=True, metavar="NAME", help="Who makes the forecast.")
@click.option("--why", "rationale", default="", metavar="TEXT", help="The reason, in a sentence.")
@click.option(
    "--at", "made_at", metavar="TIME", help="When it was made, if not now (ISO 8601; no zone = UTC)."
)
@click.option(
    "--because",
    "because",
    multiple=True,
    type=int,
    metavar="EVENT",
    help="An event that moved you, by id (repeat; see `events search`); it becomes linked to QUESTION.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the stored forecast as JSON.")
@click.pass_context
def forecast_command(
    ctx: click.Context,
    question_id: int,
    probability: str,
    forecaster: str,
    rationale: str,
    made_at: str | None,
    because: tuple[int, ...],
    as_json: bool,
) -> None:
    """Add a forecast on QUESTION: P(yes) in any notation, one per option, or quantiles.

    PROBABILITY is 70, 70%, 0.7, odds 7:3 or 1 in 20; for a multiple-choice
    question, one per option in order (30%,50%,20%) or by name (A=30%,B=70%);
    for a numeric question a median and 90% interval, "55 (48-62)", or three
    or more quantiles, "5%: 48, 25%: 52, 50%: 55, 75%: 58, 95%: 62"; for a
    date question the same with dates, "2017-09-01 (2017-03-01 to 2018-06-30)".
    The same value again within two minutes is a double submit and is stored once.
    """
    # Without --at the forecast is made now: a time that is refused is the question's, not an option's.
    flags = FORECAST_FLAGS if made_at else {**FORECAST_FLAGS, "made_at": "QUESTION"}
    with opened(ctx) as database, speaking(flags):
        question = questions.get_question(database, question_id)
        when = parse_time(made_at, "made_at") if made_at else None
        if question.type == "binary":
            given = ForecastInput(forecaster, probability=parse_probability(probability), made_at=when)
        elif question.scale is not None:
            levels, stated = parse_distribution(probability, "quantiles", question.type)
            pairs = tuple(zip(levels, stated, strict=True))
            given = ForecastInput(forecaster, quantiles=pairs, made_at=when)
        else:
            values = _option_values(probability, question.options)
            given = ForecastInput(forecaster, option_probabilities=values, made_at=when)
        given = replace(given, rationale=rationale, because=because)
        saved = forecast_service.add_forecast(database, question_id, given)
    if as_json:
        echo_json(saved)
        return
    shown = _shown_forecast(saved, question)
    again = " (already stored: a double submit)" if saved.duplicate else ""
    cites = f", citing event {', '.join(map(str, saved.because))}" if saved.because else ""
    click.echo(f"Saved {saved.forecaster}'s forecast of {shown} on question {question_id}{cites}{again}.")


def _shown_forecast(saved: SavedForecast, question: QuestionDetail) -> str:
    if saved.probability is not None:
        return f"{saved.probability:.0%}"
    if saved.quantiles is not None:
        return shown_quantiles(question.type, saved.quantiles, question.unit)
    return ", ".join(
        f"{option} {p:.0%}"
        for option, p in zip(question.options, saved.option_probabilities or (), strict=True)
    )


@click.command("resolve")
@click.argument("question_id", metavar="QUESTION", type=int)
@click.argument("outcome", metavar="OUTCOME")
@click.option("--at", "resolved_at", metavar="TIME", help="When the world settled it (default: now).")
@click.option("--note", default="", metavar="TEXT", help="A note or source link.")
@click.option("--json", "as_json", is_flag=True, help="Print the resolution as JSON.")
@click.pass_context
def resolve_command(
    ctx: click.Context, question_id: int, outcome: str, resolved_at: str | None, note: str, as_json: bool
) -> None:
    """Resolve QUESTION: yes, no or annulled, the name of one of its options, or (numeric or date)
    the value, a date as 2017-09-15."""
    with opened(ctx) as database, speaking(RESOLVE_FLAGS):
        question = questions.get_question(database, question_id)
        word = outcome.strip()
        annulled = word.lower() == "annulled"
        is_option = question.type == "multiple_choice" and not annulled
        is_value = question.scale is not None and not annulled
        when = parse_time(resolved_at, "resolved_at") if resolved_at else datetime.now(UTC)
        recorded = resolutions.resolve(
            database,
            question_id,
            outcome="option" if is_option else "value" if is_value else word.lower(),
            option=word if is_option else None,
            value=parse_value(word, question.type) if is_value else None,
            resolved_at=when,
            note=note,
        )
    if as_json:
        echo_json(recorded)
    else:
        click.echo(f"Resolved question {question_id}: {recorded.shown} (settled {when:%Y-%m-%d %H:%M} UTC).")


@click.command("unresolve")
@click.argument("question_id", metavar="QUESTION", type=int)
@click.option("--note", default="", metavar="TEXT", help="Why (kept in the history).")
@click.pass_context
def unresolve_command(ctx: click.Context, question_id: int, note: str) -> None:
    """Undo QUESTION's resolution; the history keeps both, and you can resolve it again."""
    with opened(ctx) as database, speaking(RESOLVE_FLAGS):
        resolutions.undo(database, question_id, note=note)
    click.echo(f"Question {question_id} is open again; its earlier resolution stays in the history.")


COMMANDS = (forecast_command, resolve_command, unresolve_command)
