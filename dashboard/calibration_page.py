"""Calibration & scores: how well each forecaster did once questions resolved."""

from __future__ import annotations

from datetime import UTC, datetime, time

import numpy as np
import pandas as pd
import streamlit as st
from sqlalchemy import select

from dashboard.charts import (
    bin_counts_chart,
    corp_chart,
    reliability_chart,
    score_over_time_chart,
    sharpness_chart,
)
from dashboard.database import data_version, get_database
from dashboard.forms import local
from db.models import Forecaster, QuestionTag
from forecasts.calibration_report import (
    CalibrationReport,
    ReportFilters,
    current_report,
    kept_report_is_current,
)
from tracker.status import worker_status

BRIER = "Brier (0–1 scale)"


@st.cache_data(ttl=60, show_spinner="Scoring…")
def load_report(version: tuple[int, ...], filters: ReportFilters) -> CalibrationReport | None:
    """The kept report when current (the worker keeps it so); else scored now, or, when that
    would be slow and the worker is up, the kept one marked stale while the worker rescores."""
    database = get_database()
    with database.read_session() as session:
        alive = worker_status(session, datetime.now(UTC)).alive
    return current_report(database, filters, worker_alive=alive)


@st.fragment(run_every=3)
def refresh_when_rescored() -> None:
    with get_database().read_session() as session:
        if kept_report_is_current(session):
            st.rerun(scope="app")


@st.cache_data(ttl=60, show_spinner=False)
def load_filter_options(version: tuple[int, ...]) -> tuple[list[str], list[str], list[str]]:
    with get_database().read_session() as session:
        people = list(
            session.scalars(
                select(Forecaster.name).where(Forecaster.kind == "person").order_by(Forecaster.name)
            )
        )
        crowds = list(
            session.scalars(
                select(Forecaster.name).where(Forecaster.kind == "crowd").order_by(Forecaster.name)
            )
        )
        tags = list(session.scalars(select(QuestionTag.tag).distinct().order_by(QuestionTag.tag)))
    return people, crowds, tags


def download(frame: pd.DataFrame, name: str) -> None:
    st.download_button(
        f"Download {name} (CSV)",
        frame.to_csv(index=False).encode(),
        f"{name}.csv",
        "text/csv",
        key=f"dl-{name}",
    )


st.title("Calibration & scores")
version = data_version()
people, crowds, all_tags = load_filter_options(version)
everyone = people + crowds
with st.container(horizontal=True):
    chosen = st.multiselect("Forecasters", everyone, default=everyone, key="cal_forecasters")
    tag = st.selectbox("Tag", ["(all)", *all_tags], key="cal_tag")
    dates = st.date_input("Resolved between", value=(), key="cal_dates", format="YYYY-MM-DD")
since, until = (dates[0], dates[1]) if isinstance(dates, tuple) and len(dates) == 2 else (None, None)
filters = ReportFilters(
    forecasters=() if set(chosen) == set(everyone) else tuple(sorted(chosen)),
    tag=None if tag == "(all)" else tag,
    resolved_from=datetime.combine(since, time.min, tzinfo=UTC) if since else None,
    resolved_until=datetime.combine(until, time.max, tzinfo=UTC) if until else None,
)
report = load_report(version, filters)
if report is None:
    st.info("No resolved yes/no questions match these filters yet. Resolve a question to see scores here.")
    st.stop()
card, rows, tags = report.card, report.questions, report.tags
if report.stale:
    st.info(
        f"These scores were computed {local(report.computed_at)}. The newest forecasts and resolutions "
        f"are being scored now (about {report.compute_seconds:.0f} s); this page updates by itself."
    )
    refresh_when_rescored()

# The ten-second story: who did best, on the same scale, with the seed article called out.
summary = pd.DataFrame(
    [
        {
            "Forecaster": name,
            "Questions": c.n_questions,
            BRIER: c.brier,
            "Log score (nats)": c.log,
            "Miscalibration (MCB)": c.corp.mcb,
            "Discrimination (DSC)": c.corp.dsc,
            "Daily Brier vs median (0–1)": c.timeline.relative_brier_daily if c.timeline else np.nan,
            "Peer score": c.timeline.peer if c.timeline else np.nan,
        }
        for name, c in card.by_forecaster.items()
    ]
).sort_values(BRIER)
best = summary.iloc[0]
story = (
    f"**{best['Forecaster']}** forecast best: {BRIER} {best[BRIER]:.3f} over {best['Questions']} questions "
    "(lower is better; always saying 50 % scores 0.25)."
)
if "seed-article" in card.by_forecaster:
    article = card.by_forecaster["seed-article"]
    # Ties (85 % on a miss costs what 15 % on a hit does) go to the first title, so the story is stable.
    article_rows = rows[rows["forecaster"] == "seed-article"]
    worst = article_rows.sort_values(["brier_last", "title"], ascending=[False, True], kind="stable").iloc[0]
    story += (
        f" The **seed article** scored {article.brier:.3f} on its {article.n_questions} questions; "
        "its costliest call was "
        f"*{worst['title']}* at {worst['last_probability']:.0%}."
    )
st.markdown(story)
st.dataframe(
    summary,
    hide_index=True,
    width="stretch",
    column_config={
        c: st.column_config.NumberColumn(format="%.3f")
        for c in summary.columns
        if c not in ("Forecaster", "Questions")
    },
)
st.caption(
    f"Scores use each forecaster's last forecast per question "
    f"({card.n_samples} of {card.n_forecasts} forecasts). "
    "Log scores clamp p to [0.1 %, 99.9 %]. MCB − DSC + UNC = Brier (CORP). "
    "Negative 'vs median' and positive peer scores beat the crowd. "
    f"Scored {local(report.computed_at)} in "
    f"{'under 0.1' if report.compute_seconds < 0.1 else f'{report.compute_seconds:.1f}'} s."
)
download(summary, "scores-by-forecaster")

st.subheader("Calibration")
subject = st.selectbox(
    "Whose calibration",
    list(card.by_forecaster),
    index=list(card.by_forecaster).index("analyst") if "analyst" in card.by_forecaster else 0,
    key="cal_subject",
)
mine = card.by_forecaster[subject]
left, right = st.columns(2)
bins = pd.DataFrame([b.__dict__ for b in mine.calibration])
with left:
    st.markdown(
        "**Binned reliability** — points at the mean forecast of each bin, "
        "bars are 95 % Wilson intervals, counts beneath"
    )
    st.altair_chart(reliability_chart(bins), width="stretch")
    st.altair_chart(bin_counts_chart(bins), width="stretch")
    download(bins, f"reliability-{subject}")
with right:
    curve_frame = report.curves[subject]
    st.markdown(
        "**CORP reliability** — isotonic recalibration; shaded: where a calibrated forecaster "
        f"lands {curve_frame['level'].iloc[0]:.0%} of the time"
    )
    st.altair_chart(corp_chart(curve_frame), width="stretch")
    m1, m2, m3 = st.columns(3)
    m1.metric("MCB (miscalibration)", f"{mine.corp.mcb:.3f}")
    m2.metric("DSC (discrimination)", f"{mine.corp.dsc:.3f}")
    m3.metric("UNC (uncertainty)", f"{mine.corp.unc:.3f}")
    download(curve_frame, f"corp-{subject}")

st.subheader("Sharpness")
sharpness = report.sharpness[report.sharpness["forecaster"] == subject]
st.altair_chart(sharpness_chart(sharpness), width="stretch")
download(sharpness, f"sharpness-{subject}")

st.subheader("Scores by question")
by_question = rows[
    [
        "title",
        "forecaster",
        "last_probability",
        "outcome",
        "brier_last",
        "brier_exact",
        "coverage",
        "resolved_at",
    ]
].rename(
    columns={
        "title": "Question",
        "forecaster": "Forecaster",
        "last_probability": "Last forecast",
        "outcome": "Happened",
        "brier_last": f"{BRIER}, last forecast",
        "brier_exact": f"{BRIER}, time-averaged",
        "coverage": "Coverage",
        "resolved_at": "Resolved",
    }
)
by_question["Happened"] = by_question["Happened"].map({1.0: "yes", 0.0: "no"})
st.dataframe(
    by_question,
    hide_index=True,
    width="stretch",
    column_config={
        "Last forecast": st.column_config.NumberColumn(format="percent"),
        "Coverage": st.column_config.NumberColumn(format="percent"),
    },
)
download(by_question, "scores-by-question")

st.subheader("Scores by tag")
tagged = rows.merge(tags, left_on="question", right_on="uid")
by_tag = (
    tagged.groupby(["tag", "forecaster"], as_index=False)
    .agg(questions=("question", "nunique"), brier=("brier_last", "mean"))
    .rename(columns={"brier": BRIER})
)
st.dataframe(
    by_tag.pivot(index="tag", columns="forecaster", values=BRIER).reset_index(),
    hide_index=True,
    width="stretch",
)
download(by_tag, "scores-by-tag")

st.subheader("Over time")
st.altair_chart(
    score_over_time_chart(
        rows.drop(columns="question").rename(columns={"brier_last": "brier", "title": "question"})
    ),
    width="stretch",
)

if crowds and people:
    st.subheader("You against the crowd")
    with st.container(horizontal=True):
        you = st.selectbox(
            "You", people, index=people.index("analyst") if "analyst" in people else 0, key="cal_you"
        )
        crowd = st.selectbox("Crowd", crowds, key="cal_crowd")
    pair = rows[rows["forecaster"].isin([you, crowd])].pivot(
        index="title", columns="forecaster", values="brier_exact"
    )
    if you in pair and crowd in pair:
        pair = pair.dropna()
        pair["difference"] = pair[you] - pair[crowd]
        st.metric(
            f"Mean time-averaged {BRIER}: you − crowd",
            f"{pair['difference'].mean():+.3f}",
            help="Negative: you beat the crowd on the questions you both forecast.",
        )
        st.dataframe(pair.reset_index(), hide_index=True, width="stretch")
        download(pair.reset_index(), "you-vs-crowd")
