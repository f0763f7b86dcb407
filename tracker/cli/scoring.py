"""``scores``: the database's scorecard, as the Calibration page shows it."""

from __future__ import annotations

from typing import Any

import click

from forecasts.scoring.numeric_card import NumericCard, NumericScores
from services import scores
from services.numeric_scores import NumericReport, numeric_report
from services.score_report import ReportFilters
from tracker.cli.common import echo_json, opened, speaking
from tracker.cli.numeric_output import numeric_card_json, print_numeric_card
from tracker.cli.output import number
from tracker.cli.score_csv import card_json, print_scorecard


def _time_averaged_json(card: NumericCard) -> dict[str, Any]:
    def means(s: NumericScores) -> dict[str, Any]:
        return {"crps_quantile": s.crps_quantile, "crps_cdf": s.crps_cdf, "interval_score": s.interval_score}

    return {**means(card.overall), "by_forecaster": {n: means(s) for n, s in card.by_forecaster.items()}}


def numeric_report_json(report: NumericReport) -> dict[str, Any]:
    """``scores --json``'s ``numeric``: the card of the last forecasts, on each question's range axis,
    and the time-averaged scores."""
    return numeric_card_json(
        report.card, time_averaged=_time_averaged_json(report.time_averaged), crps_scale=report.scale_note
    )


def print_numeric_report(report: NumericReport) -> None:
    click.echo(f"Numeric and date questions. {report.scale_note}.")
    print_numeric_card(report.card)
    timed = report.time_averaged.overall
    click.echo(
        f"Time-averaged (every forecast, weighted by how long it stood): CRPS {number(timed.crps_quantile)}"
        f" of the quantiles, {number(timed.crps_cdf)} of the CDF"
    )


@click.command("scores")
@click.option(
    "--forecaster", "forecasters", multiple=True, metavar="NAME", help="Only this forecaster (repeat)."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.pass_context
def scores_command(ctx: click.Context, forecasters: tuple[str, ...], as_json: bool) -> None:
    """Print the scorecard of the database's resolved questions: the Calibration page's numbers.

    Each forecaster's last forecast per resolved question counts for
    calibration; the time-averaged scores use every forecast. Numeric and date
    questions follow, scored on each question's range. Annulled and open
    questions are left out.
    """
    with opened(ctx) as database, speaking():
        card = scores.scorecard(database, forecasters=forecasters)
        numeric = numeric_report(database, ReportFilters(forecasters=tuple(sorted(forecasters))))
    if card is None and numeric is None:
        raise click.ClickException("no resolved questions to score yet (for these forecasters)")
    if as_json:
        echo_json(
            {
                **(card_json(card) if card else {}),
                **({"numeric": numeric_report_json(numeric)} if numeric else {}),
            }
        )
        return
    if card is not None:
        print_scorecard(card)
    if numeric is not None:
        if card is not None:
            click.echo("")
        print_numeric_report(numeric)


COMMANDS = (scores_command,)
