"""Scores: the calibration report the Calibration page shows, the headline, and scoring a CSV.

The report for the default view is kept in the database and refreshed by the
worker after every change (see :mod:`services.score_report`); filtered views
are scored when asked. ``scorecard`` is what ``python -m tracker scores``
prints: the same card the page shows. Scoring a CSV without any database is
:mod:`services.score_file`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import case, func, select

from db import Database
from db.models import Forecast, Forecaster, Question
from db.queries import latest_resolutions
from forecasts.scoring.scorecard import Scorecard
from services import score_report
from services.score_report import CalibrationReport, ReportFilters
from services.status import RunCounts, record_run

__all__ = [
    "CalibrationReport",
    "Headline",
    "ReportFilters",
    "headline",
    "kept_report_is_current",
    "refresh_kept_report",
    "report",
    "scorecard",
]


def report(
    database: Database, filters: ReportFilters | None = None, *, worker_alive: bool = False
) -> CalibrationReport | None:
    """The report for ``filters`` (everything by default; None when no resolved yes/no question matches)."""
    return score_report.current_report(database, filters or ReportFilters(), worker_alive=worker_alive)


def scorecard(database: Database, *, forecasters: tuple[str, ...] = ()) -> Scorecard | None:
    """The scorecard the Calibration page shows, for everyone or for some forecasters."""
    found = report(database, ReportFilters(forecasters=tuple(sorted(forecasters))))
    return found.card if found is not None else None


def kept_report_is_current(database: Database) -> bool:
    with database.read_session() as session:
        return score_report.kept_report_is_current(session)


def refresh_kept_report(database: Database) -> bool:
    """For the worker: rescore the default view if the data changed. True (and a job run) if it did."""
    started_at, clock = datetime.now(UTC), time.perf_counter()
    if not score_report.refresh_stored_report(database):
        return False
    seconds = time.perf_counter() - clock
    record_run(database, "scores", started_at, RunCounts(n_updated=1), notes=f"rescored in {seconds:.1f} s")
    return True


# Fewer resolved questions than this and a low Brier score is luck as much as skill: not ranked.
MIN_RANKED_QUESTIONS = 5


@dataclass(frozen=True)
class Standing:
    forecaster: str
    n_questions: int
    brier: float  # 0–1 scale, last forecast per question


def ranking(scores: dict[str, tuple[int, float]]) -> tuple[list[Standing], list[Standing]]:
    """(those with at least MIN_RANKED_QUESTIONS resolved questions, best Brier first; the others,
    most questions first): who may be called the leader, and who is too new to say."""
    everyone = [Standing(name, n, brier) for name, (n, brier) in scores.items()]
    ranked = sorted(
        (s for s in everyone if s.n_questions >= MIN_RANKED_QUESTIONS), key=lambda s: (s.brier, s.forecaster)
    )
    unranked = sorted(
        (s for s in everyone if s.n_questions < MIN_RANKED_QUESTIONS),
        key=lambda s: (-s.n_questions, s.forecaster),
    )
    return ranked, unranked


def questions_count(n: int) -> str:
    return f"{n} question" + ("" if n == 1 else "s")


@dataclass(frozen=True)
class Headline:
    """Per forecaster: resolved yes/no questions scored and their mean Brier (0–1)."""

    scores: dict[str, tuple[int, float]] = field(default_factory=dict)
    scored_at: datetime | None = None  # set when these are from an older kept report


def _aggregate_scores(database: Database) -> dict[str, tuple[int, float]]:
    """The scorecard's ``brier`` (last forecast per question) computed in the database."""
    latest = latest_resolutions()
    ranked = select(
        Forecast.question_id,
        Forecast.forecaster_id,
        Forecast.probability,
        func.row_number()
        .over(
            partition_by=(Forecast.question_id, Forecast.forecaster_id),
            order_by=(Forecast.made_at.desc(), Forecast.id.desc()),
        )
        .label("rank"),
    ).subquery()
    outcome = case((latest.c.outcome == "yes", 1.0), else_=0.0)
    error = (ranked.c.probability - outcome) * (ranked.c.probability - outcome)
    query = (
        select(Forecaster.name, func.count(), func.avg(error))
        .join(ranked, ranked.c.forecaster_id == Forecaster.id)
        .join(latest, latest.c.question_id == ranked.c.question_id)
        .join(Question, Question.id == ranked.c.question_id)
        .where(ranked.c.rank == 1, latest.c.outcome.in_(("yes", "no")), Question.type == "binary")
        .group_by(Forecaster.name)
    )
    with database.read_session() as session:
        return {str(name): (int(n), float(brier)) for name, n, brier in session.execute(query)}


def headline(database: Database) -> Headline:
    """From the kept report when there is one (a stale one says when it was scored: the worker is
    rescoring), else one aggregate query, so the Overview stays fast on a large history."""
    with database.read_session() as session:
        kept = score_report.stored_report(session, with_questions=False)
    if kept is not None:
        kept_report, current = kept
        if kept_report is not None:
            scores = {name: (c.n_questions, c.brier) for name, c in kept_report.card.by_forecaster.items()}
            return Headline(scores, None if current else kept_report.computed_at)
        if current:
            return Headline()
    return Headline(_aggregate_scores(database))
