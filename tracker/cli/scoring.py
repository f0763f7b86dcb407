"""``scores``: the database's scorecard, as the Calibration page shows it."""

from __future__ import annotations

import click

from services import scores
from tracker.cli.common import echo_json, opened, speaking
from tracker.cli.score_csv import card_json, print_scorecard


@click.command("scores")
@click.option(
    "--forecaster", "forecasters", multiple=True, metavar="NAME", help="Only this forecaster (repeat)."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.pass_context
def scores_command(ctx: click.Context, forecasters: tuple[str, ...], as_json: bool) -> None:
    """Print the scorecard of the database's resolved questions: the Calibration page's numbers.

    Each forecaster's last forecast per resolved yes/no question counts for
    calibration; the time-averaged scores use every forecast. Annulled and
    open questions are left out.
    """
    with opened(ctx) as database, speaking():
        card = scores.scorecard(database, forecasters=forecasters)
    if card is None:
        raise click.ClickException("no resolved yes/no questions to score yet (for these forecasters)")
    if as_json:
        echo_json(card_json(card))
    else:
        print_scorecard(card)


COMMANDS = (scores_command,)
