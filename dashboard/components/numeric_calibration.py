"""The Calibration page's section for numeric and date questions, drawn from one NumericReport."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.components.calibration import SMALL_SAMPLE, download
from dashboard.components.numeric_charts import coverage_chart, pit_chart
from dashboard.components.text import plain
from forecasts.scoring.numeric import Coverage
from forecasts.scoring.numeric_card import NumericScores
from services.numeric_scores import NumericReport
from services.scores import questions_count

EVERYONE = "everyone"
CRPS = "CRPS (share of range)"


def _summary(report: NumericReport) -> pd.DataFrame:
    timed = report.time_averaged.by_forecaster
    rows = [
        {
            "Forecaster": name,
            "Questions": s.n_questions,
            CRPS: s.crps_quantile,
            "CRPS, time-averaged": timed[name].crps_quantile if name in timed else np.nan,
            "Interval score 50 %": s.interval_score["50"],
            "Interval score 90 %": s.interval_score["90"],
            "Log density": s.log_density,
            "Inside 50 %": _inside(s.interval_coverage["50"]),
            "Inside 90 %": _inside(s.interval_coverage["90"]),
        }
        for name, s in report.card.by_forecaster.items()
    ]
    return pd.DataFrame(rows).sort_values(CRPS)


def _inside(coverage: Coverage) -> str:
    """``2 of 3: 67 % (21–94 %)``, the share with its Wilson interval."""
    if not coverage.n:
        return "—"
    count = f"{coverage.inside:g} of {coverage.n:g}"
    return f"{count}: {coverage.share:.0%} ({coverage.low:.0%}–{coverage.high:.0%})"


def _pit_bins(scores: NumericScores) -> pd.DataFrame:
    counts = np.array(scores.pit.counts, dtype=float)
    edges = np.arange(counts.size + 1) / counts.size
    return pd.DataFrame({"lower": edges[:-1], "upper": edges[1:], "count": counts})


def _coverage(report: NumericReport, label: str) -> pd.DataFrame:
    rows = [
        {"forecaster": name, **{k: getattr(c, k) for k in ("level", "inside", "n", "low", "high", "share")}}
        for name, s in report.card.by_forecaster.items()
        for c in [s.interval_coverage[label]]
    ]
    return pd.DataFrame(rows)


def _header(report: NumericReport) -> None:
    card = report.card
    st.subheader("Numbers and dates")
    summary = _summary(report)
    st.dataframe(
        summary,
        hide_index=True,
        width="stretch",
        column_config={
            name: st.column_config.NumberColumn(format="percent") for name in ("Inside 50 %", "Inside 90 %")
        }
        | {name: st.column_config.NumberColumn(format="%.3f") for name in summary.columns[2:7]},
    )
    st.caption(
        f"Each forecaster's last forecast on {questions_count(card.n_questions)} "
        f"({card.n_samples} of {card.n_forecasts} forecasts); lower CRPS and interval scores are better, "
        f"higher log density is. {report.scale_note}. Log density: relative to a uniform spread over the "
        f"range, floored at {card.density_floor:g}. Tails: {card.tails}."
    )
    download(summary, "numeric-scores-by-forecaster")


def _pit(report: NumericReport) -> None:
    names = [EVERYONE, *report.card.by_forecaster]
    subject = st.selectbox("Whose PIT histogram", names, key="cal_numeric_subject")
    scores = report.card.overall if subject == EVERYONE else report.card.by_forecaster[subject]
    if scores.n_questions < SMALL_SAMPLE:
        st.warning(
            f"{questions_count(scores.n_questions)} resolved ({plain(subject)}): too few for the histogram "
            f"to say much (under {SMALL_SAMPLE}). Read the band, not the bars.",
            icon=":material/info:",
        )
    st.markdown(
        "**PIT histogram** — where each outcome fell in its forecast, F(outcome), in tenths. Calibrated "
        "forecasts are flat inside the shaded band; piles at both ends mean intervals too narrow, "
        "a hump in the middle too wide"
    )
    st.altair_chart(pit_chart(_pit_bins(scores), scores.pit.band_low, scores.pit.band_high), width="stretch")


def _coverage_bars(report: NumericReport) -> None:
    st.markdown(
        "**Interval coverage** — the share of outcomes inside each forecaster's central 50 % and "
        "90 % intervals, with 95 % Wilson intervals; the black tick is what calibration would give"
    )
    for label in ("50", "90"):
        st.caption(f"{label} % central intervals (tick at {label} %)")
        st.altair_chart(coverage_chart(_coverage(report, label)), width="stretch")


QUESTION_COLUMNS = {
    "title": st.column_config.TextColumn("Question", width="medium"),
    "forecaster": st.column_config.TextColumn("Forecaster"),
    "forecast": st.column_config.TextColumn("Last forecast", width="medium"),
    "outcome": st.column_config.TextColumn("Outcome"),
    "pit": st.column_config.NumberColumn("F(outcome)", format="percent"),
    "crps": st.column_config.NumberColumn(CRPS, format="%.3f"),
    "in_50": st.column_config.CheckboxColumn("Inside 50 %"),
    "in_90": st.column_config.CheckboxColumn("Inside 90 %"),
}


def numbers_and_dates(report: NumericReport | None) -> None:
    """Scores, PIT histogram, coverage and the per-question table; nothing when none is resolved."""
    if report is None:
        return
    _header(report)
    left, right = st.columns(2)
    with left:
        _pit(report)
    with right:
        _coverage_bars(report)
    st.markdown("**Numeric and date questions** — each forecaster's last forecast")
    table = report.questions.drop(columns="question")
    st.dataframe(table, hide_index=True, width="stretch", column_config=QUESTION_COLUMNS)
    download(table, "numeric-scores-by-question")
