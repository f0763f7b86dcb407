"""``score``: a CSV of forecasts scored without any database (this module imports none, so the
command starts fast), and the scorecard's text and JSON, which ``scores`` shares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from forecasts.errors import Refused
from forecasts.scoring.samples import SAMPLE_MODES, SampleMode
from forecasts.scoring.scorecard import Scorecard
from services.numeric_score_file import ScoredNumericFile, is_numeric_file, score_numeric_file
from services.score_file import ScoredFile, ScoreFileError, SkippedRow, score_file
from tracker import exit_codes
from tracker.cli.numeric_output import numeric_card_json, print_numeric_card
from tracker.cli.output import echo_json, number, plain

BRIER_SCALE = "0-1 (half form; double it for the 0-2 scale of GJ Open and Fatebook)"


def _print_totals(card: Scorecard) -> None:
    click.echo(
        f"Scored {card.n_forecasts} forecasts on {card.n_questions} questions by {card.n_forecasters} "
        f"forecasters; calibration samples: {card.samples} ({card.n_samples})."
    )
    low, high = card.log_clamp
    click.echo(
        f"Brier {number(card.brier)} on the 0–1 scale ({number(2 * card.brier)} on the 0–2 scale)   "
        f"Log {number(card.log)} (natural log, p clamped to [{low}, {high}])"
    )
    corp, split = card.corp, card.murphy
    click.echo(f"CORP Brier: MCB {number(corp.mcb)}  DSC {number(corp.dsc)}  UNC {number(corp.unc)}")
    click.echo(
        f"Murphy: REL {number(split.rel)}  RES {number(split.res)}  UNC {number(split.unc)}  "
        f"WBV {number(split.wbv)}  WBC {number(split.wbc)}"
    )


def _print_forecasters(card: Scorecard) -> None:
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
            f"{name[:20]:<20} {mine.n_forecasts:>9} {mine.n_questions:>9} {number(mine.brier):>10} "
            f"{number(mine.log, 3):>7} {number(mine.corp.mcb, 3):>7} {number(mine.corp.dsc, 3):>7}"
        )
        if timed and mine.timeline:
            t = mine.timeline
            line += (
                f" {number(t.coverage, 2):>8} {number(t.brier_daily):>11} "
                f"{number(t.relative_brier_daily):>9} {number(t.peer, 1):>8}"
            )
        click.echo(line)


def _print_calibration(card: Scorecard) -> None:
    click.echo(f"{'bin':<11} {'count':>6} {'mean forecast':>13} {'observed':>9} {'95% Wilson':>16}")
    for b in card.calibration:
        closing = "]" if b.upper == 1.0 else ")"
        click.echo(
            f"[{b.lower:.2f}, {b.upper:.2f}{closing:<1} {b.count:>6} {b.mean_forecast:>13.3f} "
            f"{b.observed:>9.3f}   {b.ci_low:.3f}–{b.ci_high:.3f}"
        )


def _print_updating(card: Scorecard) -> None:
    """How each forecaster updates (README: the `updating` keys)."""
    click.echo(
        f"{'how they update':<20} {'questions':>9} {'per q':>6} {'change':>7} {'restated':>8} "
        f"{'excess movement':>17} {'gain':>7} {'toward':>7}"
    )
    for name, mine in card.by_forecaster.items():
        u = mine.updating
        if u is None:
            continue
        spread = f" ± {number(u.excess_movement_se, 3)}" if u.excess_movement_se is not None else ""
        toward = f"{u.update_hit_rate:.0%}" if u.update_hit_rate is not None else "—"
        click.echo(
            f"{name[:20]:<20} {u.n_questions:>9} {u.frequency:>6.2f} {number(u.magnitude, 3):>7} "
            f"{number(u.confirmation, 2):>8} {f'{u.excess_movement:+.3f}{spread}':>17} "
            f"{number(u.update_gain, 3):>7} {toward:>7}"
        )


def print_scorecard(card: Scorecard) -> None:
    _print_totals(card)
    click.echo("")
    _print_forecasters(card)
    click.echo("")
    _print_updating(card)
    click.echo("")
    _print_calibration(card)


def card_json(card: Scorecard, **extra: Any) -> dict[str, Any]:
    """The scorecard as ``score --json`` and ``scores --json`` print it."""
    return {**plain(card), "brier_scale": BRIER_SCALE, **extra}


@click.command()
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
def score(file: Path, as_json: bool, samples: SampleMode) -> None:
    """Score a CSV of resolved forecasts, yes/no or numeric; needs no database.

    Yes/no columns: question_id, forecaster, made_at, probability, outcome (1
    or 0; blank = unresolved, left out), and optionally opens_at, closes_at,
    resolved_at (ISO-8601; no zone means UTC). With the window columns you also
    get time-averaged scores per question (exact-time and daily, coverage,
    Brier against the daily median, Metaculus peer score).

    Numeric columns: question_id, forecaster, made_at, outcome (a number) and
    at least three quantile columns qNN (q05, q25, q50, q75, q95, or any
    others such as q2.5), optionally lower and upper (the question's closed
    range; blank = open) and the window columns. You get CRPS, interval and
    log-density scores, the PIT histogram and interval coverage.

    Bad rows are reported with their line number and skipped; the rest is still
    scored, and the exit code is 3 when any row was skipped.
    """
    try:
        numeric = is_numeric_file(file)
        scored = score_numeric_file(file, samples) if numeric else score_file(file, samples)
    except ScoreFileError as error:
        _report_skipped(file, error.skipped)
        raise click.ClickException(error.message) from error
    except Refused as error:
        raise click.ClickException(error.message) from error
    _report_skipped(file, scored.skipped)
    _print(scored, as_json)
    if scored.skipped:
        click.echo(f"{len(scored.skipped)} rows skipped (see above); the rest was scored.", err=True)
        raise SystemExit(exit_codes.ROWS_SKIPPED)


def _report_skipped(file: Path, skipped: list[SkippedRow]) -> None:
    for row in skipped:
        click.echo(f"{file}:{row.line}: skipped: {row.reason}", err=True)


def _print(scored: ScoredFile | ScoredNumericFile, as_json: bool) -> None:
    if as_json:
        extra = {"n_unresolved": scored.n_unresolved, "skipped": scored.skipped}
        if isinstance(scored, ScoredNumericFile):
            echo_json(numeric_card_json(scored.card, **extra))
        else:
            echo_json(card_json(scored.card, **extra))
        return
    if isinstance(scored, ScoredNumericFile):
        print_numeric_card(scored.card)
    else:
        print_scorecard(scored.card)
    if scored.n_unresolved:
        click.echo(f"\n{scored.n_unresolved} unresolved rows left out.")


COMMANDS = (score,)
