"""The numeric scorecard as ``score`` prints it: text tables and the JSON object (light: no
database, like the command)."""

from __future__ import annotations

from typing import Any

import click

from forecasts.scoring.numeric import Coverage, PitHistogram
from forecasts.scoring.numeric_card import NumericCard, NumericScores
from tracker.cli.output import number, plain

PIT_BAR_WIDTH = 40


def _share(coverage: Coverage) -> str:
    if not coverage.n:
        return "—"
    return f"{coverage.share:.0%} ({coverage.low:.0%}–{coverage.high:.0%})"


def _count(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.2f}"


def _print_totals(card: NumericCard) -> None:
    o = card.overall
    click.echo(
        f"Scored {card.n_forecasts} numeric forecasts on {card.n_questions} questions by "
        f"{card.n_forecasters} forecasters; calibration samples: {card.samples} ({card.n_samples})."
    )
    click.echo(
        f"CRPS {number(o.crps_quantile)} of the quantiles (twice the mean pinball loss, as "
        f"scoringrules.crps_quantile)   CRPS {number(o.crps_cdf)} of the interpolated CDF"
    )
    click.echo(
        f"Interval score: 50 % {number(o.interval_score['50'])}   90 % {number(o.interval_score['90'])} "
        "(width plus the miss penalty; lower is better)"
    )
    click.echo(
        f"Log density {number(o.log_density)} (natural log, relative to uniform over the range, "
        f"floored at {card.density_floor:g}; {o.n_log_density} of {o.n_samples} samples have a closed range)"
    )
    click.echo(f"Tails: {card.tails}.")


def _print_forecasters(card: NumericCard) -> None:
    click.echo(
        f"{'forecaster':<20} {'forecasts':>9} {'questions':>9} {'CRPS q':>9} {'CRPS cdf':>9} "
        f"{'IS 50%':>9} {'IS 90%':>9} {'log':>7} {'in 50%':>15} {'in 90%':>15}"
    )
    for name, mine in card.by_forecaster.items():
        click.echo(
            f"{name[:20]:<20} {mine.n_forecasts:>9} {mine.n_questions:>9} "
            f"{number(mine.crps_quantile):>9} {number(mine.crps_cdf):>9} "
            f"{number(mine.interval_score['50']):>9} {number(mine.interval_score['90']):>9} "
            f"{number(mine.log_density, 3):>7} {_share(mine.interval_coverage['50']):>15} "
            f"{_share(mine.interval_coverage['90']):>15}"
        )


def _print_pit(pit: PitHistogram) -> None:
    click.echo(
        f"PIT histogram: F(outcome) of each sample, in tenths. Calibrated forecasts put "
        f"{pit.band_low}–{pit.band_high} in each bin 95 % of the time; "
        "humps in the middle are too-wide intervals, piles at the ends too-narrow ones."
    )
    top = max(max(pit.counts), 1)
    for i, count in enumerate(pit.counts):
        closing = "]" if i == len(pit.counts) - 1 else ")"
        flag = "" if pit.band_low <= count <= pit.band_high else "   outside the band"
        bar = "#" * round(PIT_BAR_WIDTH * count / top)
        click.echo(f"[{i / 10:.1f}, {(i + 1) / 10:.1f}{closing} {_count(count):>7} {bar}{flag}")


def _print_coverage(scores: NumericScores) -> None:
    for label, coverage in scores.interval_coverage.items():
        click.echo(
            f"Outcomes inside the {label} % central interval: {_count(coverage.inside)} of "
            f"{_count(coverage.n)}, {_share(coverage)} with its 95 % Wilson interval"
        )


def print_numeric_card(card: NumericCard) -> None:
    _print_totals(card)
    click.echo("")
    _print_forecasters(card)
    click.echo("")
    _print_pit(card.overall.pit)
    click.echo("")
    _print_coverage(card.overall)


def _scores_json(scores: NumericScores) -> dict[str, Any]:
    fields: dict[str, Any] = plain(scores)
    fields["pit"] = list(scores.pit.counts)
    fields["pit_band"] = {"low": scores.pit.band_low, "high": scores.pit.band_high}
    for label, coverage in scores.interval_coverage.items():
        fields["interval_coverage"][label]["share"] = plain(coverage.share)
    return fields


def numeric_card_json(card: NumericCard, **extra: Any) -> dict[str, Any]:
    """``score --json`` of a numeric file: the overall scores at the top, then each forecaster's."""
    return {
        "kind": "numeric",
        "n_forecasters": card.n_forecasters,
        "samples": card.samples,
        **_scores_json(card.overall),
        "by_forecaster": {name: _scores_json(s) for name, s in card.by_forecaster.items()},
        "density_floor": card.density_floor,
        "tails": card.tails,
        **plain(extra),
    }
