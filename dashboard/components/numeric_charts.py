"""Calibration charts for numeric and date questions: the PIT histogram and interval coverage."""

from __future__ import annotations

import altair as alt
import pandas as pd

from dashboard.components.charts import PERCENT, UNIT, Figure


def pit_chart(bins: pd.DataFrame, band_low: float, band_high: float) -> Figure:
    """``bins``: ``lower``, ``upper``, ``count`` per tenth of F(outcome). The shaded band is where a
    bin's count stays 95 % of the time when the forecasts are calibrated."""
    band = (
        alt.Chart(pd.DataFrame({"x": [0.0], "x2": [1.0], "low": [band_low], "high": [band_high]}))
        .mark_rect(color="#f39c12", opacity=0.25)
        .encode(x=alt.X("x:Q", scale=UNIT), x2="x2:Q", y=alt.Y("low:Q"), y2="high:Q")
    )
    bars = (
        alt.Chart(bins)
        .mark_bar(color="#1f77b4", opacity=0.85)
        .encode(
            x=alt.X("lower:Q", bin="binned", scale=UNIT, axis=PERCENT, title="F(outcome): where it fell"),
            x2="upper:Q",
            y=alt.Y("count:Q", title="Outcomes"),
            tooltip=[
                alt.Tooltip("lower:Q", format=".0%", title="From"),
                alt.Tooltip("upper:Q", format=".0%", title="To"),
                alt.Tooltip("count:Q", title="Outcomes", format=".3~f"),
            ],
        )
    )
    layered: Figure = alt.layer(band, bars).properties(height=220)
    return layered


def coverage_chart(coverage: pd.DataFrame) -> Figure:
    """One central interval's coverage: ``forecaster``, ``level``, ``share``, ``low``, ``high``, ``inside``,
    ``n``. Bars are the share of outcomes inside, with Wilson intervals; the black tick is where a
    calibrated forecaster's share would be. (One chart per interval: a faceted chart cannot
    stretch to its column.)"""
    y = alt.Y(
        "forecaster:N", title=None, sort=list(coverage["forecaster"]), axis=alt.Axis(labelOverlap=False)
    )
    shown = alt.X("share:Q", scale=UNIT, axis=PERCENT, title="Outcomes inside the interval")
    bars = alt.Chart(coverage).mark_bar(color="#1f77b4", opacity=0.6).encode(x=shown, y=y)
    whiskers = (
        alt.Chart(coverage).mark_rule(strokeWidth=2).encode(x=alt.X("low:Q", scale=UNIT), x2="high:Q", y=y)
    )
    target = (
        alt.Chart(coverage)
        .mark_tick(color="black", thickness=3)
        .encode(
            x=alt.X("level:Q", scale=UNIT),
            y=y,
            tooltip=[
                alt.Tooltip("forecaster:N", title="Forecaster"),
                alt.Tooltip("inside:Q", title="Inside", format=".3~f"),
                alt.Tooltip("n:Q", title="Of", format=".3~f"),
                alt.Tooltip("share:Q", title="Share", format=".0%"),
                alt.Tooltip("low:Q", title="95% low", format=".0%"),
                alt.Tooltip("high:Q", title="95% high", format=".0%"),
            ],
        )
    )
    layered: Figure = alt.layer(bars, whiskers, target).properties(height=80 + 40 * len(coverage))
    return layered
