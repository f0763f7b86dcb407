"""The Calibration page's sections, each drawn from one :class:`CalibrationReport`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.components.charts import (
    bin_counts_chart,
    corp_chart,
    reliability_chart,
    score_over_time_chart,
    sharpness_chart,
)
from dashboard.components.forms import local
from dashboard.components.text import plain
from forecasts.scoring.multiple_choice import ChoiceScores
from services.scores import MIN_RANKED_QUESTIONS, CalibrationReport, questions_count, ranking

BRIER = "Brier (0–1 scale)"
SMALL_SAMPLE = 10  # resolved questions under which calibration charts carry a caution
SEED = "seed-article"


def download(frame: pd.DataFrame, name: str) -> None:
    st.download_button(
        f"Download {plain(name)} (CSV)",  # names carry forecasters' names
        frame.to_csv(index=False).encode(),
        f"{name}.csv",
        "text/csv",
        key=f"dl-{name}",
    )


def _summary(report: CalibrationReport) -> pd.DataFrame:
    rows = [
        {
            "Forecaster": name,
            "Questions": c.n_questions,
            BRIER: c.brier,
            "Log score (nats)": c.log,
            "Miscalibration (MCB)": c.corp.mcb,
            "Discrimination (DSC)": c.corp.dsc,
            "Daily Brier vs median (0–1)": c.timeline.relative_brier_daily if c.timeline else np.nan,
            "Peer score": c.timeline.peer if c.timeline else np.nan,
            "Multiple choice: questions": c.multiple_choice.n_questions if c.multiple_choice else 0,
            "Multiple-choice Brier (0–2)": c.multiple_choice.brier if c.multiple_choice else np.nan,
        }
        for name, c in report.card.by_forecaster.items()
    ]
    return pd.DataFrame(rows).sort_values(BRIER)


def _story(report: CalibrationReport) -> str:
    """The ten-second story: who did best, on the same scale, with the seed article called out;
    no one is crowned on fewer than MIN_RANKED_QUESTIONS resolved questions."""
    ranked, unranked = ranking({n: (c.n_questions, c.brier) for n, c in report.card.by_forecaster.items()})
    if ranked:
        best = ranked[0]
        story = (
            f"**{plain(best.forecaster)}** forecast best: {BRIER} {best.brier:.3f} over "
            f"{questions_count(best.n_questions)} (lower is better; always saying 50 % scores 0.25)."
        )
    else:
        story = f"Too few resolved questions to rank anyone yet (it takes {MIN_RANKED_QUESTIONS} each)."
    if unranked:
        story += (
            " Not ranked, with fewer than "
            + f"{MIN_RANKED_QUESTIONS}: "
            + ", ".join(f"{plain(s.forecaster)} ({questions_count(s.n_questions)})" for s in unranked)
            + "."
        )
    if SEED in report.card.by_forecaster:
        article = report.card.by_forecaster[SEED]
        rows = report.questions[report.questions["forecaster"] == SEED]
        # Ties (85 % on a miss costs what 15 % on a hit does) go to the first title, so the story is stable.
        worst = rows.sort_values(["brier_last", "title"], ascending=[False, True], kind="stable").iloc[0]
        story += (
            f" The **seed article** scored {article.brier:.3f} on its {article.n_questions} questions; "
            f"its costliest call was *{plain(worst['title'])}* at {worst['last_probability']:.0%}."
        )
    return story


def story_and_table(report: CalibrationReport) -> None:
    summary = _summary(report)
    st.markdown(_story(report))
    numbers = [
        c for c in summary.columns if c not in ("Forecaster", "Questions", "Multiple choice: questions")
    ]
    st.dataframe(
        summary,
        hide_index=True,
        width="stretch",
        column_config={c: st.column_config.NumberColumn(format="%.3f") for c in numbers},
    )
    card = report.card
    seconds = "under 0.1" if report.compute_seconds < 0.1 else f"{report.compute_seconds:.1f}"
    st.caption(
        f"Scores use each forecaster's last forecast per question ({card.n_samples} of {card.n_forecasts} "
        "forecasts). Log scores clamp p to [0.1 %, 99.9 %]. MCB − DSC + UNC = Brier (CORP). "
        "Negative 'vs median' and positive peer scores beat the crowd. "
        f"Scored {local(report.computed_at)} in {seconds} s."
    )
    download(summary, "scores-by-forecaster")


def calibration(report: CalibrationReport) -> str:
    """The reliability diagrams for one forecaster, who is returned."""
    st.subheader("Calibration")
    names = list(report.card.by_forecaster)
    default = names.index("analyst") if "analyst" in names else 0
    subject = st.selectbox("Whose calibration", names, index=default, key="cal_subject")
    mine = report.card.by_forecaster[subject]
    if mine.n_questions < SMALL_SAMPLE:
        st.warning(
            f"{plain(subject)} has {questions_count(mine.n_questions)} resolved: too few for calibration "
            f"to say much (under {SMALL_SAMPLE}). Read the intervals, not the points.",
            icon=":material/info:",
        )
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
        curve = report.curves[subject]
        st.markdown(
            "**CORP reliability** — isotonic recalibration; shaded: where a calibrated forecaster "
            f"lands {curve['level'].iloc[0]:.0%} of the time"
        )
        st.altair_chart(corp_chart(curve), width="stretch")
        for column, (label, value) in zip(
            st.columns(3),
            (
                ("MCB (miscalibration)", mine.corp.mcb),
                ("DSC (discrimination)", mine.corp.dsc),
                ("UNC (uncertainty)", mine.corp.unc),
            ),
            strict=True,
        ):
            column.metric(label, f"{value:.3f}")
        download(curve, f"corp-{subject}")
    _choice_calibration(subject, mine.multiple_choice)
    return str(subject)


def _choice_calibration(subject: str, choices: ChoiceScores | None) -> None:
    """Multiple-choice calibration, one-vs-rest: each option of each last forecast is one sample."""
    if choices is None:
        return
    st.markdown(
        f"**Multiple choice, one-vs-rest** — {plain(subject)}'s last forecast on "
        f"{questions_count(choices.n_questions)}: every option of every forecast is one yes/no sample "
        f"({choices.n_samples} samples), so an option given 30 % should happen 30 % of the time"
    )
    bins = pd.DataFrame([b.__dict__ for b in choices.calibration])
    left, right = st.columns(2)
    with left:
        st.altair_chart(reliability_chart(bins), width="stretch")
    with right:
        st.altair_chart(bin_counts_chart(bins), width="stretch")


def sharpness(report: CalibrationReport, subject: str) -> None:
    st.subheader("Sharpness")
    mine = report.sharpness[report.sharpness["forecaster"] == subject]
    counted = int(mine["forecasts"].sum()) if "forecasts" in mine else 0
    st.caption(
        f"How often {plain(subject)} used each probability, in 5-point bins: every one of their forecasts "
        f"on resolved yes/no questions ({counted} forecast{'s' * (counted != 1)}), updates included."
    )
    st.altair_chart(sharpness_chart(mine), width="stretch")
    download(mine, f"sharpness-{subject}")


BY_QUESTION = {
    "title": "Question",
    "forecaster": "Forecaster",
    "last_probability": "Last forecast",
    "outcome": "Happened",
    "brier_last": f"{BRIER}, last forecast",
    "brier_exact": f"{BRIER}, time-averaged",
    "coverage": "Coverage",
    "resolved_at": "Resolved",
}


def by_question(report: CalibrationReport) -> None:
    st.subheader("Scores by question")
    table = report.questions[list(BY_QUESTION)].rename(columns=BY_QUESTION)
    table["Happened"] = table["Happened"].map({1.0: "yes", 0.0: "no"})
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "Last forecast": st.column_config.NumberColumn(format="percent"),
            "Coverage": st.column_config.NumberColumn(format="percent"),
        },
    )
    download(table, "scores-by-question")
    _choice_questions(report)


def _choice_questions(report: CalibrationReport) -> None:
    choices = report.choices
    if choices.empty:
        return
    st.markdown(
        "**Multiple-choice questions** — the last forecast per forecaster; Brier on the **0–2 scale** "
        "(Σ over options of (p − happened)²; a sure miss costs 2), RPS (0–1) where the options are in order"
    )
    st.dataframe(
        choices.drop(columns="question"),
        hide_index=True,
        width="stretch",
        column_config={
            "title": st.column_config.TextColumn("Question", width="large"),
            "forecaster": st.column_config.TextColumn("Forecaster"),
            "forecast": st.column_config.TextColumn("Last forecast", width="large"),
            "happened": st.column_config.TextColumn("Happened"),
            "brier": st.column_config.NumberColumn("Brier (0–2 scale)", format="%.3f"),
            "brier_exact": st.column_config.NumberColumn("Brier (0–2), time-averaged", format="%.3f"),
            "log": st.column_config.NumberColumn("Log score (nats)", format="%.3f"),
            "rps": st.column_config.NumberColumn("RPS (0–1)", format="%.3f"),
        },
    )
    download(choices, "multiple-choice-scores")


def by_tag(report: CalibrationReport) -> None:
    st.subheader("Scores by tag")
    tagged = report.questions.merge(report.tags, left_on="question", right_on="uid")
    table = (
        tagged.groupby(["tag", "forecaster"], as_index=False)
        .agg(questions=("question", "nunique"), brier=("brier_last", "mean"))
        .rename(columns={"brier": BRIER})
    )
    st.dataframe(
        table.pivot(index="tag", columns="forecaster", values=BRIER).reset_index(),
        hide_index=True,
        width="stretch",
    )
    download(table, "scores-by-tag")
    if not report.choices.empty:
        tagged_choices = report.choices.merge(report.tags, left_on="question", right_on="uid")
        choice_table = tagged_choices.groupby(["tag", "forecaster"], as_index=False).agg(
            questions=("question", "nunique"), brier=("brier", "mean")
        )
        st.caption("Multiple-choice questions by tag: mean Brier on the 0–2 scale.")
        st.dataframe(
            choice_table.pivot(index="tag", columns="forecaster", values="brier").reset_index(),
            hide_index=True,
            width="stretch",
        )


def over_time(report: CalibrationReport) -> None:
    st.subheader("Over time")
    st.caption("Each resolved question's Brier score (0–1 scale) on the last forecast, by resolution date.")
    rows = report.questions.drop(columns="question").rename(
        columns={"brier_last": "brier", "title": "question"}
    )
    st.altair_chart(score_over_time_chart(rows), width="stretch")


def you_against_the_crowd(report: CalibrationReport, people: list[str], crowds: list[str]) -> None:
    st.subheader("You against the crowd")
    with st.container(horizontal=True):
        you = st.selectbox(
            "You", people, index=people.index("analyst") if "analyst" in people else 0, key="cal_you"
        )
        crowd = st.selectbox("Crowd", crowds, key="cal_crowd")
    rows = report.questions
    pair = rows[rows["forecaster"].isin([you, crowd])].pivot(
        index="title", columns="forecaster", values="brier_exact"
    )
    if you not in pair or crowd not in pair:
        st.caption("No questions you both forecast were resolved yet.")
        return
    pair = pair.dropna()
    pair["difference"] = pair[you] - pair[crowd]
    st.metric(
        f"Mean time-averaged {BRIER}: you − crowd",
        f"{pair['difference'].mean():+.3f}",
        help="Negative: you beat the crowd on the questions you both forecast.",
    )
    st.dataframe(pair.reset_index(), hide_index=True, width="stretch")
    download(pair.reset_index(), "you-vs-crowd")
